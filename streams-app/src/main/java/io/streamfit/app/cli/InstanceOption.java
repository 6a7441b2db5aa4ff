package io.streamfit.app.cli;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import io.streamfit.app.cli.CliErrors.UserError;
import io.streamfit.app.config.ConfigLoader;
import io.streamfit.app.config.StreamfitConfig;
import picocli.CommandLine.Option;

/**
 * Where a running instance answers, for the commands that ask it ({@code status}, {@code models}):
 * {@code --url}, else {@code http://localhost:PORT} with the port of the instance's configuration
 * ({@code --config} file, then {@code STREAMFIT_HTTP_PORT}, then the default {@value #DEFAULT_PORT}).
 */
final class InstanceOption {

    static final String DEFAULT_PORT = "8080";

    /** Bind addresses that mean "this machine": the URL then says localhost. */
    private static final Set<String> LOCAL_BINDS = Set.of("", "0.0.0.0", "::", "[::]", "127.0.0.1", "localhost");

    @Option(names = "--url", paramLabel = "URL",
            description = "HTTP address of the running instance, e.g. http://localhost:8080 (default: localhost and "
                    + "the http.port of --config, of STREAMFIT_HTTP_PORT, or " + DEFAULT_PORT + ").")
    String url;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "The instance's properties file: its http.host and http.port make the default --url.")
    Path config;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "How long to wait for each answer (default ${DEFAULT-VALUE}).")
    Duration timeout;

    /** The base URL (no trailing slash) and where it came from. */
    record Target(URI base, String source) {

        URI resolve(String pathAndQuery) {
            return URI.create(base + pathAndQuery);
        }
    }

    /**
     * Where to ask.
     *
     * @throws UserError if {@code --url} is no http URL, or the configuration cannot be read or holds no port
     */
    Target target(Map<String, String> env) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new UserError("--timeout must be longer than 0s, got " + Durations.human(timeout));
        }
        if (url != null) {
            URI u;
            try {
                u = URI.create(url.strip());
            } catch (IllegalArgumentException e) {
                throw new UserError("--url '" + url + "' is no URL: give one like http://localhost:8080", e);
            }
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                throw new UserError("--url '" + url + "' is no http URL: give one like http://localhost:8080");
            }
            String s = u.toString();
            return new Target(URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s), "option --url");
        }
        ConfigLoader.Loaded loaded = ConfigReader.read(config, "--config", Map.of(), env);
        String rawPort = loaded.values().getOrDefault(StreamfitConfig.HTTP_PORT, DEFAULT_PORT).strip();
        String source = StreamfitConfig.HTTP_PORT + " from " + loaded.sourceOf(StreamfitConfig.HTTP_PORT);
        int port;
        try {
            port = Integer.parseInt(rawPort);
        } catch (NumberFormatException e) {
            throw new UserError(StreamfitConfig.HTTP_PORT + " '" + rawPort + "' is no port (" + source
                    + "): correct it, or pass --url", e);
        }
        if (port <= 0 || port > 65_535) {
            throw new UserError("the instance's HTTP port is not known: " + StreamfitConfig.HTTP_PORT + "=" + port
                    + " (" + source + ") " + (port == 0 ? "picks a free port at start" : "serves none")
                    + "; pass --url with the address it printed");
        }
        String host = loaded.values().getOrDefault(StreamfitConfig.HTTP_HOST, "").strip();
        host = LOCAL_BINDS.contains(host) ? "localhost" : host.contains(":") ? "[" + host + "]" : host;
        return new Target(URI.create("http://" + host + ":" + port), source);
    }
}
