package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PromTextTest {

    private static final String SCRAPE = """
            # HELP jvm_memory_used_bytes The amount of used memory
            # TYPE jvm_memory_used_bytes gauge
            jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 1.0E7
            jvm_memory_used_bytes{area="heap",id="G1 Old Gen"} 3.0E7
            jvm_memory_used_bytes{area="nonheap",id="Metaspace"} 5.0E7
            streamfit_model_cache_bytes 4194304.0
            streamfit_records_total{outcome="trained"} 90.0
            streamfit_records_total{outcome="dead_letter"} 10.0
            streamfit_update_seconds_bucket{le="0.001"} 50.0
            streamfit_update_seconds_bucket{le="0.002"} 98.0
            streamfit_update_seconds_bucket{le="0.004"} 100.0
            streamfit_update_seconds_bucket{le="+Inf"} 100.0
            streamfit_update_seconds_count 100.0
            streamfit_update_seconds_sum 0.15
            """;

    @Test
    void sumsSamplesByNameAndLabels() {
        PromText p = PromText.parse(SCRAPE);
        assertThat(p.sum("jvm_memory_used_bytes", "area=\"heap\"")).isEqualTo(4.0e7);
        assertThat(p.sum("streamfit_model_cache_bytes")).isEqualTo(4194304.0);
        assertThat(p.sum("streamfit_records_total")).isEqualTo(100.0);
        assertThat(p.sumOrZero("streamfit_records_total", "outcome=\"dead_letter\"")).isEqualTo(10.0);
        assertThat(p.sum("streamfit_absent")).isNaN();
        assertThat(p.sumOrZero("streamfit_absent")).isZero();
    }

    @Test
    void readsTimersAndTheirHistograms() {
        PromText p = PromText.parse(SCRAPE);
        assertThat(p.timerMeanSeconds("streamfit_update_seconds", null)).isCloseTo(0.0015, within(1e-12));
        assertThat(p.histogramQuantile("streamfit_update_seconds", 0.5, null)).isEqualTo(0.001);
        assertThat(p.histogramQuantile("streamfit_update_seconds", 0.99, null)).isEqualTo(0.004);
        PromText earlier = PromText.parse("streamfit_update_seconds_bucket{le=\"0.001\"} 50.0\n"
                + "streamfit_update_seconds_bucket{le=\"0.002\"} 50.0\n"
                + "streamfit_update_seconds_bucket{le=\"0.004\"} 50.0\n"
                + "streamfit_update_seconds_bucket{le=\"+Inf\"} 50.0\nstreamfit_update_seconds_count 50.0\n"
                + "streamfit_update_seconds_sum 0.05\n");
        // Since the earlier scrape: 50 more, 48 of them in (1, 2] ms.
        assertThat(p.histogramQuantile("streamfit_update_seconds", 0.9, earlier)).isEqualTo(0.002);
        assertThat(p.timerMeanSeconds("streamfit_update_seconds", earlier)).isCloseTo(0.002, within(1e-12));
    }
}
