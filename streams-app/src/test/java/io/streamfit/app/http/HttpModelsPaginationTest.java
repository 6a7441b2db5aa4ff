package io.streamfit.app.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /models?limit=N&after=KEY} over real HTTP, with a few thousand models published into
 * the live directory that HTTP reads ({@link StreamfitMetrics}, as the processor publishes them).
 */
class HttpModelsPaginationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MODELS = 3000;
    private static final int MAX_LIMIT = 500;
    private static final int DEFAULT_LIMIT = 100;
    /** Keys a client must percent-encode, in the path and in the cursor alike. */
    private static final List<String> ODD_KEYS = List.of("a/b", "50%", "x y", "plus+key", "semi;colon", "..",
            "dots/../x", "ünïcode-ß", "emoji-\uD83D\uDE00", "q?s=1&t=2", "hash#tag", "back\\slash");

    private final HttpClient client = HttpClient.newHttpClient();
    private final StreamfitMetrics metrics = new StreamfitMetrics(Registries.prometheus());
    private final Set<String> published = new HashSet<>();
    private HttpApi http;

    @BeforeEach
    void start() throws Exception {
        Random random = new Random(7);
        while (published.size() < MODELS - ODD_KEYS.size()) {
            publish("series-" + Integer.toString(random.nextInt(1_000_000_000), 36));
        }
        ODD_KEYS.forEach(this::publish);
        PrometheusMeterRegistry registry = Registries.prometheus();
        StreamfitApp app = new StreamfitApp(new StreamfitConfig(Map.of("model.features", "2")), metrics);
        http = HttpApi.start("127.0.0.1", 0, app, registry,
                new HttpSettings(2, 16, 5_000, 10_000, DEFAULT_LIMIT, MAX_LIMIT));
    }

    @AfterEach
    void stop() {
        http.close();
    }

    private void publish(String key) {
        published.add(key);
        metrics.publish(new ModelInfo(key, "spec", key.length(), 10L * key.length(), 0.5, 1.5, 0.6, 1.6, 1234, 99,
                key.hashCode()));
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + pathAndQuery)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode page(String pathAndQuery) throws Exception {
        HttpResponse<String> r = get(pathAndQuery);
        assertThat(r.statusCode()).as(pathAndQuery).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** The keys of a page, in the order the response lists them, checked against each entry's own key. */
    private static List<String> keys(JsonNode page) {
        List<String> keys = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = page.path("models").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            assertThat(e.getValue().path("key").asText()).isEqualTo(e.getKey());
            keys.add(e.getKey());
        }
        return keys;
    }

    @Test
    void pagesCoverEveryModelOnceInKeyOrder() throws Exception {
        int limit = 250;
        List<String> walked = new ArrayList<>();
        String after = null;
        int pages = 0;
        do {
            JsonNode page = page("/models?limit=" + limit + (after == null ? "" : "&after=" + encode(after)));
            List<String> keys = keys(page);
            pages++;
            assertThat(page.path("limit").asInt()).isEqualTo(limit);
            assertThat(page.path("total").asInt()).isEqualTo(MODELS);
            JsonNode next = page.path("next");
            if (next.isNull()) {
                assertThat(keys.size()).isBetween(1, limit);
                after = null;
            } else {
                assertThat(keys).hasSize(limit);
                assertThat(next.asText()).isEqualTo(keys.get(keys.size() - 1));
                after = next.asText();
            }
            walked.addAll(keys);
            assertThat(pages).as("the walk ends").isLessThanOrEqualTo(MODELS / limit + 1);
        } while (after != null);

        assertThat(pages).isEqualTo((MODELS + limit - 1) / limit);
        assertThat(walked).doesNotHaveDuplicates().hasSize(MODELS).isSorted();
        assertThat(new HashSet<>(walked)).isEqualTo(published);
    }

    @Test
    void withoutLimitAPageHasTheDefaultSizeAndALargerLimitIsCapped() throws Exception {
        List<String> sorted = new ArrayList<>(new TreeSet<>(published));
        JsonNode first = page("/models");
        assertThat(keys(first)).isEqualTo(sorted.subList(0, DEFAULT_LIMIT));
        assertThat(first.path("limit").asInt()).isEqualTo(DEFAULT_LIMIT);
        assertThat(first.path("next").asText()).isEqualTo(sorted.get(DEFAULT_LIMIT - 1));

        JsonNode capped = page("/models?limit=1000000");
        assertThat(keys(capped)).hasSize(MAX_LIMIT);
        assertThat(capped.path("limit").asInt()).isEqualTo(MAX_LIMIT);

        // A cursor that is no key starts after where it would be.
        JsonNode fromCursor = page("/models?limit=3&after=" + encode("series-"));
        assertThat(keys(fromCursor)).isEqualTo(sorted.stream().filter(k -> k.compareTo("series-") > 0).limit(3)
                .toList());
        // After the last key: an empty last page.
        JsonNode past = page("/models?after=" + encode(sorted.get(sorted.size() - 1)));
        assertThat(keys(past)).isEmpty();
        assertThat(past.path("next").isNull()).isTrue();
    }

    @Test
    void aBadLimitIsRefused() throws Exception {
        for (String bad : new String[] {"0", "-5", "ten", "", "1.5"}) {
            HttpResponse<String> r = get("/models?limit=" + bad);
            assertThat(r.statusCode()).as("limit=%s", bad).isEqualTo(400);
            assertThat(r.body()).contains("limit must be a whole number from 1 to " + MAX_LIMIT);
        }
        // Malformed percent-encoding; java.net.http will not even send it.
        assertThat(RawHttp.get(http.port(), "/models?after=%zz", 10_000).status()).isEqualTo(400);
        assertThat(RawHttp.get(http.port(), "/models/%zz", 10_000).status()).isEqualTo(400);
    }

    @Test
    void eachEntryOfAPageIsThePerKeyViewAndOddKeysAreReachable() throws Exception {
        Map<String, JsonNode> listed = new java.util.HashMap<>();
        String after = "";
        while (after != null) {
            JsonNode page = page("/models?limit=" + MAX_LIMIT + "&after=" + encode(after));
            page.path("models").fields().forEachRemaining(e -> listed.put(e.getKey(), e.getValue()));
            after = page.path("next").isNull() ? null : page.path("next").asText();
        }
        assertThat(listed).hasSize(MODELS);
        for (String key : ODD_KEYS) {
            assertThat(listed).as(key).containsKey(key);
            JsonNode one = page("/models/" + encode(key));
            assertThat(one).isEqualTo(listed.get(key));
            assertThat(one.path("key").asText()).isEqualTo(key);
            assertThat(one.path("version").asLong()).isEqualTo(key.length());
            assertThat(one.path("prequential").path("objectMse").asDouble()).isEqualTo(0.5);
        }
        assertThat(get("/models/" + encode("no such key")).statusCode()).isEqualTo(404);
    }

    @Test
    void aWalkWhileModelsComeAndGoNeverRepeatsAKeyAndMissesNoneThatStayed() throws Exception {
        Set<String> stayed = new HashSet<>(published);
        List<String> originals = new ArrayList<>(published);
        List<String> walked = new ArrayList<>();
        Random random = new Random(11);
        String after = null;
        int round = 0;
        do {
            JsonNode page = page("/models?limit=200" + (after == null ? "" : "&after=" + encode(after)));
            walked.addAll(keys(page));
            after = page.path("next").isNull() ? null : page.path("next").asText();
            // Between pages: new models before and after the cursor, and some old ones leave.
            for (int i = 0; i < 20; i++) {
                publish("series-" + Integer.toString(random.nextInt(1_000_000_000), 36) + "-new" + round);
            }
            for (int i = 0; i < 5; i++) {
                String gone = originals.get(random.nextInt(originals.size()));
                metrics.forget(gone);
                stayed.remove(gone);
            }
            round++;
        } while (after != null && round < 100);
        assertThat(after).as("the walk ends").isNull();
        assertThat(walked).doesNotHaveDuplicates().isSorted();
        assertThat(walked).containsAll(stayed);
    }
}
