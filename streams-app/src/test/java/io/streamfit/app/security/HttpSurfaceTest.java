package io.streamfit.app.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collections;
import java.util.Map;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.http.HttpApi;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP surface over real HTTP: read-only (GET and HEAD only), no request bodies, bounded URIs,
 * bound to the configured address. The app is not started: the surface does not depend on Kafka.
 */
class HttpSurfaceTest {

    private final HttpClient client = HttpClient.newHttpClient();
    private HttpApi http;

    @BeforeEach
    void start() throws Exception {
        PrometheusMeterRegistry registry = Registries.prometheus();
        StreamfitApp app = new StreamfitApp(new StreamfitConfig(Map.of("model.features", "2")),
                new StreamfitMetrics(registry));
        http = HttpApi.start("127.0.0.1", 0, app, registry);
    }

    @AfterEach
    void stop() {
        http.close();
    }

    private HttpResponse<String> send(String method, String path, HttpRequest.BodyPublisher body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
                .method(method, body).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void onlyGetAndHeadAreServed() throws Exception {
        assertThat(send("GET", "/metrics", HttpRequest.BodyPublishers.noBody()).statusCode()).isEqualTo(200);
        HttpResponse<String> head = send("HEAD", "/metrics", HttpRequest.BodyPublishers.noBody());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        for (String method : new String[] {"POST", "PUT", "DELETE", "PATCH"}) {
            for (String path : new String[] {"/metrics", "/health", "/models", "/models/a", "/other"}) {
                HttpResponse<String> r = send(method, path, HttpRequest.BodyPublishers.ofString("{}"));
                assertThat(r.statusCode()).as("%s %s", method, path).isEqualTo(405);
                assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
                // The body is not read, so the connection closes; a client must not send on it again.
                assertThat(r.headers().firstValue("Connection")).as("%s %s", method, path).hasValue("close");
            }
        }
    }

    @Test
    void requestBodiesAreRefused() throws Exception {
        HttpResponse<String> r = send("GET", "/models", HttpRequest.BodyPublishers.ofString("x".repeat(10_000)));
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.headers().firstValue("Connection")).hasValue("close");
        assertThat(send("GET", "/models", HttpRequest.BodyPublishers.noBody()).statusCode()).isEqualTo(200);
    }

    @Test
    void longUrisAreRefused() throws Exception {
        String key = "k".repeat(HttpApi.MAX_URI_CHARS);
        assertThat(send("GET", "/models/" + key, HttpRequest.BodyPublishers.noBody()).statusCode()).isEqualTo(414);
        // Just under the limit is an ordinary miss.
        String shorter = "k".repeat(HttpApi.MAX_URI_CHARS - "/models/".length());
        assertThat(send("GET", "/models/" + shorter, HttpRequest.BodyPublishers.noBody()).statusCode()).isEqualTo(404);
    }

    @Test
    void theServerSoftwareIsNotAdvertised() throws Exception {
        for (String path : new String[] {"/metrics", "/health", "/models", "/other"}) {
            HttpResponse<String> r = send("GET", path, HttpRequest.BodyPublishers.noBody());
            assertThat(r.headers().firstValue("Server")).as(path).isEmpty();
            assertThat(r.headers().firstValue("X-Powered-By")).as(path).isEmpty();
        }
    }

    @Test
    void healthIsDownBeforeTheStreamsClientRuns() throws Exception {
        HttpResponse<String> r = send("GET", "/health", HttpRequest.BodyPublishers.noBody());
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("\"status\" : \"DOWN\"");
    }

    @Test
    void boundToLoopbackIsNotReachableOnOtherAddresses() throws Exception {
        InetAddress other = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .filter(i -> {
                    try {
                        return i.isUp() && !i.isLoopback();
                    } catch (java.net.SocketException e) {
                        return false;
                    }
                })
                .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof java.net.Inet4Address).findFirst().orElse(null);
        Assumptions.assumeTrue(other != null, "no non-loopback IPv4 address on this machine to try");
        try (Socket s = new Socket()) {
            s.connect(new java.net.InetSocketAddress(other, http.port()), 2000);
            throw new AssertionError("HTTP bound to 127.0.0.1 accepted a connection on " + other);
        } catch (java.net.ConnectException expected) {
            // Refused: the server listens on loopback only.
        }
    }
}
