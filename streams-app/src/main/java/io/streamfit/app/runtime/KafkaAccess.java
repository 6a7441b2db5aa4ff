package io.streamfit.app.runtime;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;

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

    /**
     * Logs in once with the admin client before anything starts, so that wrong credentials stop
     * the service at once with a clear message instead of failing stream threads one by one.
     * Any other failure (e.g. the cluster not up yet) is left to the clients' own retries.
     *
     * @param adminProps admin client properties (bootstrap servers, security)
     * @param timeout    how long to wait for the cluster's answer
     * @throws AuthenticationFailed if the cluster rejects the credentials or the TLS handshake
     */
    public static void checkLogin(Map<String, Object> adminProps, Duration timeout) throws InterruptedException {
        try (Admin admin = Admin.create(adminProps)) {
            admin.describeCluster().clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthenticationException) {
                throw new AuthenticationFailed(authenticationMessage(adminProps, e.getCause()), e.getCause());
            }
        } catch (TimeoutException e) {
            // Not reachable yet: Streams keeps trying, and /health says so.
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
