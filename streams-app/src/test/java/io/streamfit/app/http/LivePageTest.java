package io.streamfit.app.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.RecentPredictions;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The live page's files ({@code GET /}, {@code /page/...}) and {@code GET /recent} over real HTTP;
 * the page in a browser is {@code LivePageIT}.
 */
class LivePageTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client = HttpClient.newHttpClient();
    private PrometheusMeterRegistry registry;
    private StreamfitMetrics metrics;
    private HttpApi http;

    @BeforeEach
    void start() throws Exception {
        registry = Registries.prometheus();
        metrics = new StreamfitMetrics(registry);
        StreamfitApp app = new StreamfitApp(new StreamfitConfig(Map.of("model.features", "2")), metrics);
        http = HttpApi.start("127.0.0.1", 0, app, registry, new HttpSettings(2, 16, 5_000, 10_000, 100, 500));
    }

    @AfterEach
    void stop() {
        http.close();
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + pathAndQuery)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theRootServesThePageWhichLoadsOnlyFilesOfThisServer() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                csp -> assertThat(csp).startsWith("default-src 'self'"));
        assertThat(page.body()).contains("id=\"curves\"", "id=\"predictions\"", "id=\"models\"", "id=\"dead-letters\"",
                "id=\"events\"", "src=\"/page/vendor/uplot/uPlot.iife.min.js\"", "src=\"/page/app.js\"")
                .doesNotContain("http://", "https://");
        for (String file : new String[] {"/page/app.js", "/page/style.css", "/page/vendor/uplot/uPlot.iife.min.js",
                "/page/vendor/uplot/uPlot.min.css", "/page/vendor/uplot/LICENSE"}) {
            HttpResponse<String> r = get(file);
            assertThat(r.statusCode()).as(file).isEqualTo(200);
            assertThat(r.body()).as(file).isNotBlank();
        }
        assertThat(get("/page/vendor/uplot/LICENSE").body()).contains("MIT");
        assertThat(get("/page/../pom.xml").statusCode()).isEqualTo(404);
        assertThat(get("/page/vendor/uplot/README.md").statusCode()).isEqualTo(404);
        assertThat(get("/index.html").statusCode()).isEqualTo(404);
    }

    @Test
    void recentGivesTheNewestSumPredictionsWithTheirTargetsOldestFirst() throws Exception {
        RecentPredictions recent = metrics.recentPredictions();
        for (int t = 0; t < RecentPredictions.CAPACITY + 10; t++) {
            recent.record("s-" + (t % 2), t, t * 0.5, t % 3 == 0 ? Double.NaN : t * 0.4, t, "champion", 1000L + t);
        }
        JsonNode body = JSON.readTree(get("/recent?limit=3").body());
        assertThat(body.get("total").asLong()).isEqualTo(RecentPredictions.CAPACITY + 10);
        JsonNode list = body.get("predictions");
        assertThat(list).hasSize(3);
        int last = RecentPredictions.CAPACITY + 9;
        assertThat(list.get(2).get("timestep").asLong()).isEqualTo(last);
        assertThat(list.get(2).get("prediction").asDouble()).isEqualTo(last * 0.5);
        assertThat(list.get(0).get("timestep").asLong()).isEqualTo(last - 2);
        // 519 = 3 * 173: no target, written as null rather than NaN (not JSON).
        assertThat(list.get(0).get("sumTarget").isNull()).isTrue();
        assertThat(JSON.readTree(get("/recent").body()).get("predictions")).hasSize(HttpApi.RECENT_LIMIT_DEFAULT);
        assertThat(JSON.readTree(get("/recent?limit=100000").body()).get("predictions"))
                .hasSize(RecentPredictions.CAPACITY);
        assertThat(get("/recent?limit=0").statusCode()).isEqualTo(400);
        assertThat(get("/recent?limit=x").statusCode()).isEqualTo(400);
    }

    @Test
    void deadLettersAreCountedByReasonWithABoundOnDistinctReasons() throws Exception {
        metrics.recordDeadLetter("unparsable");
        metrics.recordDeadLetter("unparsable");
        metrics.recordDeadLetter("wrong-feature-count");
        for (int i = 0; i < 100; i++) {
            metrics.recordDeadLetter("free-text-" + i);
        }
        String scrape = get("/metrics").body();
        assertThat(scrape).containsPattern("streamfit_dead_letters_total\\{[^}]*reason=\"unparsable\"[^}]*} 2\\.0")
                .containsPattern("streamfit_dead_letters_total\\{[^}]*reason=\"wrong-feature-count\"[^}]*} 1\\.0")
                .containsPattern("streamfit_records_total\\{[^}]*outcome=\"dead_letter\"[^}]*} 103\\.0");
        long reasons = scrape.lines().filter(l -> l.startsWith("streamfit_dead_letters_total{")).count();
        assertThat(reasons).isEqualTo(32);
        assertThat(scrape).contains("reason=\"other\"");
    }
}
