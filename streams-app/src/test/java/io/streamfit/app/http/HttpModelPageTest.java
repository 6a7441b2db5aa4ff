package io.streamfit.app.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import io.streamfit.app.metrics.ModelInfo;
import org.junit.jupiter.api.Test;

/** {@link ModelPage} against a sorted copy: the same pages, whatever the order it is handed the models in. */
class HttpModelPageTest {

    private static ModelInfo model(String key) {
        return new ModelInfo(key, "spec", 1, 1, 0, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void pagesAreTheSortedKeysCutAtTheLimit() {
        Random random = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            TreeSet<String> keys = new TreeSet<>();
            int n = random.nextInt(60);
            while (keys.size() < n) {
                keys.add(Integer.toString(random.nextInt(500), 7));
            }
            List<ModelInfo> live = new ArrayList<>();
            keys.forEach(k -> live.add(model(k)));
            java.util.Collections.shuffle(live, random);
            int limit = 1 + random.nextInt(12);

            List<String> walked = new ArrayList<>();
            String after = random.nextBoolean() ? null : "";
            int pages = 0;
            do {
                ModelPage page = ModelPage.of(live, after, limit);
                List<String> expected = (after == null || after.isEmpty() ? keys : keys.tailSet(after, false))
                        .stream().limit(limit).toList();
                assertThat(page.models()).extracting(ModelInfo::key).isEqualTo(expected);
                boolean more = expected.size() == limit
                        && keys.higher(expected.get(expected.size() - 1)) != null;
                assertThat(page.next()).isEqualTo(more ? expected.get(expected.size() - 1) : null);
                page.models().forEach(m -> walked.add(m.key()));
                after = page.next();
                pages++;
            } while (after != null);
            assertThat(walked).isEqualTo(new ArrayList<>(keys));
            assertThat(pages).isEqualTo(Math.max(1, (n + limit - 1) / limit));
        }
    }

    @Test
    void aCursorThatIsNoKeyStartsWhereItWouldSort() {
        List<ModelInfo> live = List.of(model("b"), model("d"), model("a"), model("c"));
        assertThat(ModelPage.of(live, "bb", 10).models()).extracting(ModelInfo::key).containsExactly("c", "d");
        assertThat(ModelPage.of(live, "z", 10).models()).isEmpty();
        assertThat(ModelPage.of(List.of(), null, 10)).isEqualTo(new ModelPage(List.of(), null));
    }

    @Test
    void aLimitBelowOneIsABug() {
        assertThatThrownBy(() -> ModelPage.of(List.of(), null, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
