package io.streamfit.devkit.broker;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.config.provider.FileConfigProvider;
import org.apache.kafka.common.errors.SaslAuthenticationException;

/**
 * The security material of a secure embedded broker: keystore, truststore, SCRAM users and their
 * passwords, and the client configurations that use them.
 *
 * <p>Everything lives in one directory, made afresh at every start:
 * <ul>
 *   <li>{@code broker.p12}: the broker's key and certificate (PKCS12);</li>
 *   <li>{@code truststore.p12}: the throwaway CA certificate that clients trust (PKCS12);</li>
 *   <li>{@code secrets.properties}: every password (keys {@code truststore.password},
 *       {@code <user>.password}), readable by its owner only;</li>
 *   <li>{@code client-<user>.properties}: a client configuration for each user that takes the
 *       passwords from {@code secrets.properties} through Kafka's {@code FileConfigProvider}, so it
 *       can be printed, shared and logged without giving a password away.</li>
 * </ul>
 */
public final class SecureBroker {

    /** The SCRAM super user. */
    public static final String ADMIN_USER = "admin";

    /** The only SCRAM mechanism the broker enables. */
    public static final String MECHANISM = "SCRAM-SHA-512";

    /** File names inside the directory. */
    public static final String SECRETS_FILE = "secrets.properties";
    static final String KEYSTORE_FILE = "broker.p12";
    static final String TRUSTSTORE_FILE = "truststore.p12";

    static final String CLIENT_LISTENER = "SECURE";
    static final String INTERNAL_LISTENER = "INTERNAL";
    /** The test kit's controller listener name, whose port it pre-binds. */
    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    /** Kafka's minimum for SCRAM-SHA-512 is 4096. */
    private static final int SCRAM_ITERATIONS = 8192;

    private final Path dir;
    private final String keystorePassword;
    private final String truststorePassword;
    private final Map<String, String> passwords;
    private final String bootstrapServers;

    private SecureBroker(Path dir, String keystorePassword, String truststorePassword, Map<String, String> passwords,
            String bootstrapServers) {
        this.dir = dir;
        this.keystorePassword = keystorePassword;
        this.truststorePassword = truststorePassword;
        this.passwords = passwords;
        this.bootstrapServers = bootstrapServers;
    }

    /** Generates the certificates and passwords into {@code dir} (created owner-only if missing). */
    static SecureBroker prepare(Path dir, List<String> users) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        restrict(dir, "rwx------");
        SecureRandom random = new SecureRandom();
        Map<String, String> passwords = new LinkedHashMap<>();
        passwords.put(ADMIN_USER, password(random));
        for (String user : users) {
            if (!user.matches("[A-Za-z0-9._-]+") || user.equals(ADMIN_USER)) {
                throw new IllegalArgumentException("SCRAM user name must be [A-Za-z0-9._-]+ and not '" + ADMIN_USER
                        + "': '" + user + "'");
            }
            passwords.put(user, password(random));
        }
        SecureBroker secure = new SecureBroker(dir.toAbsolutePath(), password(random), password(random),
                Map.copyOf(passwords), null);
        DevCertificates.write(secure.dir.resolve(KEYSTORE_FILE), secure.keystorePassword.toCharArray(),
                secure.truststore(), secure.truststorePassword.toCharArray());
        restrict(secure.dir.resolve(KEYSTORE_FILE), "rw-------");
        Properties secrets = new Properties();
        secrets.setProperty("truststore.password", secure.truststorePassword);
        passwords.forEach((user, pw) -> secrets.setProperty(user + ".password", pw));
        Path secretsFile = secure.dir.resolve(SECRETS_FILE);
        Files.deleteIfExists(secretsFile);
        Files.createFile(secretsFile);
        restrict(secretsFile, "rw-------");
        try (Writer w = Files.newBufferedWriter(secretsFile, StandardCharsets.UTF_8)) {
            secrets.store(w, "streamfit dev broker secrets; made afresh at every start");
        }
        return secure;
    }

    SecureBroker withBootstrap(String bootstrap) throws IOException {
        SecureBroker done = new SecureBroker(dir, keystorePassword, truststorePassword, passwords, bootstrap);
        for (String user : passwords.keySet()) {
            done.writeClientConfig(user, dir.resolve("client-" + user + ".properties"));
        }
        return done;
    }

    /** The broker properties for the listeners, TLS, SASL and the authorizer. */
    Map<String, String> brokerProperties(int port) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("listeners", CLIENT_LISTENER + "://localhost:" + port + "," + INTERNAL_LISTENER + "://localhost:0,"
                + CONTROLLER_LISTENER + "://localhost:0");
        p.put("listener.security.protocol.map", CLIENT_LISTENER + ":SASL_SSL," + INTERNAL_LISTENER + ":SSL,"
                + CONTROLLER_LISTENER + ":SSL");
        p.put("inter.broker.listener.name", INTERNAL_LISTENER);
        p.put("ssl.keystore.type", "PKCS12");
        p.put("ssl.keystore.location", dir.resolve(KEYSTORE_FILE).toString());
        p.put("ssl.keystore.password", keystorePassword);
        p.put("ssl.key.password", keystorePassword);
        p.put("ssl.truststore.type", "PKCS12");
        p.put("ssl.truststore.location", truststore().toString());
        p.put("ssl.truststore.password", truststorePassword);
        // The broker's own listeners take only a certificate of this CA: the principal is the broker's DN.
        p.put("listener.name." + INTERNAL_LISTENER.toLowerCase() + ".ssl.client.auth", "required");
        p.put("listener.name." + CONTROLLER_LISTENER.toLowerCase() + ".ssl.client.auth", "required");
        p.put("sasl.enabled.mechanisms", MECHANISM);
        p.put("listener.name." + CLIENT_LISTENER.toLowerCase() + ".sasl.enabled.mechanisms", MECHANISM);
        p.put("listener.name." + CLIENT_LISTENER.toLowerCase() + "." + MECHANISM.toLowerCase() + ".sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        // By name: kafka-metadata, which holds the class, is only on the runtime class path.
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("allow.everyone.if.no.acl.found", "false");
        p.put("super.users", "User:" + DevCertificates.BROKER_DN + ";User:" + ADMIN_USER);
        return p;
    }

    /** Creates the SCRAM users over the broker's mutual-TLS listener, then waits until they can log in. */
    void createUsers(String internalBootstrap, String clientBootstrap) throws Exception {
        Map<String, Object> internal = new LinkedHashMap<>();
        internal.put("bootstrap.servers", internalBootstrap);
        internal.put("security.protocol", "SSL");
        internal.put("ssl.keystore.type", "PKCS12");
        internal.put("ssl.keystore.location", dir.resolve(KEYSTORE_FILE).toString());
        internal.put("ssl.keystore.password", keystorePassword);
        internal.put("ssl.key.password", keystorePassword);
        internal.put("ssl.truststore.type", "PKCS12");
        internal.put("ssl.truststore.location", truststore().toString());
        internal.put("ssl.truststore.password", truststorePassword);
        List<UserScramCredentialAlteration> upserts = new ArrayList<>();
        passwords.forEach((user, pw) -> upserts.add(new UserScramCredentialUpsertion(user,
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS), pw)));
        try (Admin admin = Admin.create(internal)) {
            admin.alterUserScramCredentials(upserts).all().get(60, TimeUnit.SECONDS);
        }
        // The credentials reach the broker's cache through the metadata log a moment later.
        Map<String, Object> client = new LinkedHashMap<>(clientProperties(ADMIN_USER));
        client.put("bootstrap.servers", clientBootstrap);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Admin admin = Admin.create(client)) {
                admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof SaslAuthenticationException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    /** The directory with the keystore, truststore, secrets and client configs. */
    public Path directory() {
        return dir;
    }

    /** The CA certificate clients trust (PKCS12). */
    public Path truststore() {
        return dir.resolve(TRUSTSTORE_FILE);
    }

    /** The SCRAM users, the admin first. */
    public List<String> users() {
        return List.copyOf(new ArrayList<>(passwords.keySet()));
    }

    /** A user's password, for in-process clients such as tests; {@code null} for an unknown user. */
    public String password(String user) {
        return passwords.get(user);
    }

    /** The truststore's password. */
    public String truststorePassword() {
        return truststorePassword;
    }

    /** The client config file of a user (passwords by reference, see the class comment). */
    public Path clientConfig(String user) {
        return dir.resolve("client-" + user + ".properties");
    }

    /**
     * Client properties for a user with the passwords in them, for clients in this JVM. Anything
     * that is printed or written should use {@link #clientConfig(String)} instead.
     */
    public Map<String, String> clientProperties(String user) {
        return clientProperties(user, password(user), truststorePassword);
    }

    private Map<String, String> clientProperties(String user, String password, String trustPassword) {
        Map<String, String> p = new LinkedHashMap<>();
        if (bootstrapServers != null) {
            p.put("bootstrap.servers", bootstrapServers);
        }
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", MECHANISM);
        p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + user + "\" password=\"" + password + "\";");
        p.put("ssl.truststore.type", "PKCS12");
        p.put("ssl.truststore.location", truststore().toString());
        p.put("ssl.truststore.password", trustPassword);
        return p;
    }

    private void writeClientConfig(String user, Path file) throws IOException {
        String secrets = dir.resolve(SECRETS_FILE).toString();
        Map<String, String> p = new LinkedHashMap<>();
        p.put("config.providers", "file");
        p.put("config.providers.file.class", FileConfigProvider.class.getName());
        p.putAll(clientProperties(user, "${file:" + secrets + ":" + user + ".password}",
                "${file:" + secrets + ":truststore.password}"));
        StringBuilder out = new StringBuilder("# streamfit dev broker: client config of SCRAM user '" + user
                + "'. Passwords come from " + SECRETS_FILE + " (Kafka's FileConfigProvider).\n");
        // Backslashes are escapes in a properties file (Windows paths).
        p.forEach((k, v) -> out.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        Files.writeString(file, out.toString(), StandardCharsets.UTF_8);
    }

    private static String password(SecureRandom random) {
        byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Owner-only permissions where the file system has POSIX permissions (not on Windows). */
    private static void restrict(Path path, String perms) throws IOException {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(perms));
        } catch (UnsupportedOperationException e) {
            // No POSIX permissions here: the directory's own ACLs apply.
        }
    }
}
