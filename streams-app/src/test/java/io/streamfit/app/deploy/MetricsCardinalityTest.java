package io.streamfit.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Labels never carry a series or object id: 10,000 distinct series (each with its own object ids,
 * trained, predicted-only and dead-lettered records) export exactly as many Prometheus time series
 * as 100 do, through the real topology, processor, StreamfitMetrics and Prometheus registry.
 */
@Slow
class MetricsCardinalityTest {

    private static final int M = 3;
    private static final int FEW = 100;
    private static final int MANY = 10_000;

    @TempDir
    Path stateDir;

    @Test
    void exportedTimeSeriesDoNotGrowWithTheNumberOfSeries() {
        PrometheusMeterRegistry registry = Registries.prometheus();
        StreamfitMetrics metrics = new StreamfitMetrics(registry);
        Random rnd = new Random(3);
        // One model for all series keeps 10,000 series fast; the meters see every series either way.
        try (TopologyHarness topology = TopologyHarness.start(TestConfigs.regressor(M).app("cardinality-test")
                .stateDir(stateDir).with("model.hidden", 4).with("model.scope", "global").toMap(), metrics)) {
            for (int s = 0; s < MANY; s++) {
                String series = "series-" + s;
                // Every kind of record, each from its own series: trained, predicted only, and bad
                // (wrong m, so dead-lettered). Most series are dead letters to keep the test fast; the
                // model path still sees 2,000 series.
                Timestep kind = switch (s % 10) {
                    case 0 -> record(series, rnd, M, true);
                    case 1 -> record(series, rnd, M, false);
                    default -> record(series, rnd, M + 1, true);
                };
                topology.send(series, kind);
                if (s == FEW - 1) {
                    // Not a test of the values: scrape now to count the series with FEW series seen.
                    fewScrape = registry.scrape();
                }
            }
        }
        String manyScrape = registry.scrape();

        assertThat(metrics.recordsTotal()).isEqualTo(MANY);
        assertThat(metrics.deadLetters()).isEqualTo(MANY * 8 / 10);
        assertThat(metrics.updatesTotal()).isEqualTo(MANY / 10);
        List<String> few = timeSeries(fewScrape);
        List<String> many = timeSeries(manyScrape);
        System.out.printf("MetricsCardinalityTest: %d exported time series after %d series, %d after %d%n",
                few.size(), FEW, many.size(), MANY);
        assertThat(many).as("exported time series after %d vs %d series", MANY, FEW).hasSameSizeAs(few);
        assertThat(many.stream().map(MetricsCardinalityTest::withoutValue).toList())
                .containsExactlyInAnyOrderElementsOf(few.stream().map(MetricsCardinalityTest::withoutValue).toList());
        // No label value is an id: neither a series nor an object of ours appears in the exposition.
        assertThat(manyScrape).doesNotContain("series-", "obj-");
        assertThat(many).anyMatch(l -> l.startsWith("streamfit_records_total{") && l.contains("outcome=\"dead_letter\""));
    }

    /** The exposition after the first {@link #FEW} series. */
    private String fewScrape;

    /**
     * The sample lines of a Prometheus text exposition: one per time series. The JVM's GC pauses
     * are left out: their labels name the collections the JVM happened to run (a new cause, e.g. a
     * humongous allocation, adds a series), which says nothing about ours.
     */
    private static List<String> timeSeries(String exposition) {
        List<String> out = new ArrayList<>();
        exposition.lines().filter(l -> !l.isBlank() && !l.startsWith("#") && !l.startsWith("jvm_gc_pause_seconds"))
                .forEach(out::add);
        return out;
    }

    private static String withoutValue(String sample) {
        return sample.substring(0, sample.lastIndexOf(' '));
    }

    private static Timestep record(String series, Random rnd, int m, boolean targets) {
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            float[] x = new float[m];
            for (int j = 0; j < m; j++) {
                x[j] = (float) rnd.nextGaussian();
            }
            objs.add(new Timestep.ObjectInput("obj-" + series + "-" + i, new FeatureVector.Dense(x),
                    targets ? (double) x[0] : null, null));
        }
        return new Timestep(series, 1, objs, null);
    }
}
