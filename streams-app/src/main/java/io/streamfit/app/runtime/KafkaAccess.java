package io.streamfit.app.runtime;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.slf4j.LoggerFactory;

/**
 * Turns Kafka's authentication and authorization failures into errors a user can act on: which
 * cluster, which protocol, mechanism and user, and what to grant. Never includes a password: the
 * user name is the only part of {@code sasl.jaas.config} it repeats.
 */
public final class KafkaAccess {

    private static final Pattern JAAS_USER = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

    private KafkaAccess() {
    }

    /** The cluster rejected the credentials (SASL) or the TLS handshake failed. */
    public static final class AuthenticationFailed extends RuntimeException {
        AuthenticationFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The cluster did not answer within the timeout: no broker at the address, or none reachable. */
    public static final class Unreachable extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String bootstrapServers;
        private final Duration timeout;

        Unreachable(String bootstrapServers, Duration timeout) {
            super("no Kafka broker answered at " + bootstrapServers + " within " + timeout.toMillis() + "ms");
            this.bootstrapServers = bootstrapServers;
            this.timeout = timeout;
        }

        /** The addresses tried ({@code bootstrap.servers}). */
        public String bootstrapServers() {
            return bootstrapServers;
        }

        public Duration timeout() {
            return timeout;
        }
    }

    /** Kafka's loggers that warn once per failed connection attempt (every reconnect backoff). */
    private static final List<String> CONNECTION_LOGGERS = List.of(
            "org.apache.kafka.clients.NetworkClient", "org.apache.kafka.clients.ClientUtils",
            "org.apache.kafka.clients.admin.internals.AdminMetadataManager");

    /**
     * Logs in once with the admin client before anything starts, so that wrong credentials or an
     * address where no broker answers stop the service at once with a clear message instead of
     * failing stream threads one by one, or a warning per reconnect for minutes. The clients'
     * warnings about each failed connection are quieted while it waits: the one error says it all.
     *
     * @param adminProps admin client properties (bootstrap servers, security)
     * @param timeout    how long to wait for the cluster's answer
     * @throws AuthenticationFailed if the cluster rejects the credentials or the TLS handshake
     * @throws Unreachable          if no broker answers within {@code timeout}
     */
    public static void checkLogin(Map<String, Object> adminProps, Duration timeout) throws InterruptedException {
        Map<String, Object> props = new HashMap<>(adminProps);
        // Each call gives up with the check, not a minute later (default.api.timeout.ms).
        int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        // The admin client refuses a request timeout above the API timeout.
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(millis,
                requestTimeoutMs(adminProps.get(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG))));
        try (QuietLoggers quiet = QuietLoggers.of(CONNECTION_LOGGERS)) {
            Admin admin = Admin.create(props);
            try {
                admin.describeCluster().clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof AuthenticationException) {
                    throw new AuthenticationFailed(authenticationMessage(adminProps, e.getCause()), e.getCause());
                }
                if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
                    // The call timed out (default.api.timeout.ms) just before the wait did.
                    throw new Unreachable(String.valueOf(adminProps.get("bootstrap.servers")), timeout);
                }
            } catch (TimeoutException e) {
                throw new Unreachable(String.valueOf(adminProps.get("bootstrap.servers")), timeout);
            } finally {
                // Without waiting for calls still pending against an unreachable cluster.
                admin.close(Duration.ZERO);
            }
        }
    }

    /** The configured {@code request.timeout.ms}, or the admin client's default (30 s). */
    private static int requestTimeoutMs(Object configured) {
        try {
            return configured == null ? 30_000 : Integer.parseInt(configured.toString().trim());
        } catch (NumberFormatException e) {
            return 30_000;
        }
    }

    /**
     * Raises loggers to ERROR while open (logback only; with any other backend it does nothing). The
     * level is the process's: other clients' connection warnings are quiet for those seconds too.
     */
    private static final class QuietLoggers implements AutoCloseable {
        private final Map<Logger, Level> before = new HashMap<>();

        static QuietLoggers of(List<String> names) {
            QuietLoggers q = new QuietLoggers();
            for (String name : names) {
                if (LoggerFactory.getLogger(name) instanceof Logger l) {
                    q.before.put(l, l.getLevel());
                    l.setLevel(Level.ERROR);
                }
            }
            return q;
        }

        @Override
        public void close() {
            before.forEach(Logger::setLevel);
        }
    }

    static String authenticationMessage(Map<String, Object> props, Throwable cause) {
        return String.format("Kafka authentication failed: bootstrap.servers=%s, security.protocol=%s, "
                        + "sasl.mechanism=%s, user=%s: %s. Check the user name and password in sasl.jaas.config "
                        + "(or the truststore for a TLS error).",
                props.get("bootstrap.servers"), props.getOrDefault("security.protocol", "PLAINTEXT"),
                props.getOrDefault("sasl.mechanism", "GSSAPI"), user(props), cause.getMessage());
    }

    /** The user name in {@code sasl.jaas.config}, or {@code (none)}. */
    static String user(Map<String, Object> props) {
        Object jaas = props.get("sasl.jaas.config");
        if (jaas == null) {
            return "(none)";
        }
        Matcher m = JAAS_USER.matcher(jaas.toString());
        return m.find() ? m.group(1) : "(not in sasl.jaas.config)";
    }

    /**
     * A message for an error whose causes include an authorization or authentication failure, or
     * {@code null} for any other error.
     */
    public static String explain(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof AuthorizationException) {
                return "Kafka denied this application's principal an operation: " + t.getMessage()
                        + " Nothing after the last commit is lost: the input is read again once the ACLs are "
                        + "granted (see docs/security.md, Minimal ACLs).";
            }
            if (t instanceof AuthenticationException) {
                return "Kafka authentication failed: " + t.getMessage();
            }
        }
        return null;
    }
}
