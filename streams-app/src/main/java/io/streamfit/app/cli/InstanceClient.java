package io.streamfit.app.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamfit.app.cli.CliErrors.UserError;

/**
 * Reads a running instance's read-only HTTP endpoints ({@code /health}, {@code /metrics},
 * {@code /models}) for the terminal. Every failure is a {@link UserError} of one line that says
 * which address was tried and where it came from.
 */
final class InstanceClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final InstanceOption.Target target;
    private final Duration timeout;
    private final HttpClient http;

    InstanceClient(InstanceOption.Target target, Duration timeout) {
        this.target = target;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** An answer: its status and body. */
    record Answer(int status, String body) {
    }

    /** The base URL asked. */
    URI base() {
        return target.base();
    }

    /**
     * The JSON of {@code path}, which must answer one of {@code statuses}.
     *
     * @throws UserError if nothing answers, or not with streamfit's JSON
     */
    JsonNode json(String path, Set<Integer> statuses) {
        Answer a = get(path);
        JsonNode body;
        try {
            body = JSON.readTree(a.body());
        } catch (JsonProcessingException e) {
            body = null;
        }
        if (body == null || !body.isObject() || !statuses.contains(a.status())) {
            String error = body != null && body.hasNonNull("error") ? ": " + body.get("error").asText() : "";
            if (a.status() == 404 && body != null && body.has("endpoints")) {
                throw new UserError(target.resolve(path) + " answered 404" + error);
            }
            throw new UserError(target.resolve(path) + " answered HTTP " + a.status() + error + ", not as streamfit does ("
                    + target.source() + "): is this streamfit's HTTP port? Pass --url with its address");
        }
        return body;
    }

    /** The Prometheus text of {@code /metrics}. */
    PrometheusText metrics() {
        Answer a = get("/metrics");
        if (a.status() != 200) {
            throw new UserError(target.resolve("/metrics") + " answered HTTP " + a.status() + " (" + target.source()
                    + "): is this streamfit's HTTP port? Pass --url with its address");
        }
        return PrometheusText.parse(a.body());
    }

    /** GET {@code path}; any status. */
    Answer get(String path) {
        URI uri = target.resolve(path);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (HttpConnectTimeoutException e) {
            throw new UserError(notAnswering("no connection within " + Durations.human(timeout) + " (--timeout)"), e);
        } catch (HttpTimeoutException e) {
            throw new UserError(uri + " did not answer within " + Durations.human(timeout) + " (--timeout, "
                    + target.source() + "): the instance may be busy; try again or raise --timeout", e);
        } catch (ConnectException | UnresolvedAddressException e) {
            throw new UserError(notAnswering("nothing listens there"), e);
        } catch (IOException e) {
            throw new UserError(notAnswering(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted while asking " + uri, e);
        }
    }

    private String notAnswering(String why) {
        return "no streamfit instance answers at " + target.base() + " (" + target.source() + "): " + why
                + "; start one (streamfit run, streamfit demo) or pass --url with its HTTP address";
    }
}
