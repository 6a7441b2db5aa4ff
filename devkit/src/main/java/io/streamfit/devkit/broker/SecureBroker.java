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
 *   <li>{@code truststore.p12}: the throwaway CA certificate that clients trust (PKCS12), and
 *       {@code ca.pem}, the same as PEM for librdkafka;</li>
 *   <li>{@code secrets.properties}: every password (keys {@code truststore.password},
 *       {@code <user>.password}), readable by its owner only;</li>
 *   <li>{@code client-<user>.properties}: a client configuration for each user that takes the
 *       passwords from {@code secrets.properties} through Kafka's {@code FileConfigProvider}, so it
 *       can be printed, shared and logged without giving a password away;</li>
 *   <li>with the PLAIN listener, {@code librdkafka-<user>.properties}: a librdkafka configuration
 *       ({@code kcat -F FILE}) for SASL PLAIN over TLS. librdkafka has no config provider, so it
 *       holds the password and is readable by its owner only.</li>
 * </ul>
 *
 * <p>Why two client listeners: librdkafka before 2.6.1 (Debian 12's kcat has 2.0.2) sends a SCRAM
 * client-final message that Kafka 4 brokers refuse as "invalid credentials" (it repeats the client
 * nonce; librdkafka#4895), so those clients cannot use the SCRAM listener. SASL PLAIN has no nonce
 * and works with every librdkafka; over TLS its password is as safe in transit as SCRAM's. Both
 * listeners know the same users and passwords, and the same ACLs apply to their principals.
 */
public final class SecureBroker {

    /** The SCRAM super user. */
    public static final String ADMIN_USER = "admin";

    /** The SCRAM mechanism of the main client listener. */
    public static final String MECHANISM = "SCRAM-SHA-512";

    /** The mechanism of the second client listener, for librdkafka before 2.6.1. */
    public static final String PLAIN_MECHANISM = "PLAIN";

    /** File names inside the directory. */
    public static final String SECRETS_FILE = "secrets.properties";
    static final String KEYSTORE_FILE = "broker.p12";
    static final String TRUSTSTORE_FILE = "truststore.p12";
    static final String CA_PEM_FILE = "ca.pem";

    static final String CLIENT_LISTENER = "SECURE";
    static final String PLAIN_LISTENER = "SECURE_PLAIN";
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
    private final String plainBootstrapServers;

    private SecureBroker(Path dir, String keystorePassword, String truststorePassword, Map<String, String> passwords,
            String bootstrapServers, String plainBootstrapServers) {
        this.dir = dir;
        this.keystorePassword = keystorePassword;
        this.truststorePassword = truststorePassword;
        this.passwords = passwords;
        this.bootstrapServers = bootstrapServers;
        this.plainBootstrapServers = plainBootstrapServers;
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
                Map.copyOf(passwords), null, null);
        DevCertificates.write(secure.dir.resolve(KEYSTORE_FILE), secure.keystorePassword.toCharArray(),
                secure.truststore(), secure.truststorePassword.toCharArray(), secure.caPem());
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

    /**
     * This material with the brokers' addresses, and the client configs written for them.
     *
     * @param plainBootstrap the PLAIN listener's address, or {@code null} when there is none
     */
    SecureBroker withBootstrap(String bootstrap, String plainBootstrap) throws IOException {
        SecureBroker done = new SecureBroker(dir, keystorePassword, truststorePassword, passwords, bootstrap,
                plainBootstrap);
        for (String user : passwords.keySet()) {
            done.writeClientConfig(user, dir.resolve("client-" + user + ".properties"));
            Path librdkafka = done.librdkafkaConfig(user);
            Files.deleteIfExists(librdkafka);
            if (plainBootstrap != null) {
                done.writeLibrdkafkaConfig(user, librdkafka);
            }
        }
        return done;
    }

    /**
     * The broker properties for the listeners, TLS, SASL and the authorizer.
     *
     * @param port      the SCRAM listener's port, 0 for any free one
     * @param plainPort the PLAIN listener's port, 0 for any free one, -1 for no PLAIN listener
     */
    Map<String, String> brokerProperties(int port, int plainPort) {
        Map<String, String> p = new LinkedHashMap<>();
        boolean plain = plainPort >= 0;
        p.put("listeners", CLIENT_LISTENER + "://localhost:" + port + ","
                + (plain ? PLAIN_LISTENER + "://localhost:" + plainPort + "," : "")
                + INTERNAL_LISTENER + "://localhost:0," + CONTROLLER_LISTENER + "://localhost:0");
        p.put("listener.security.protocol.map", CLIENT_LISTENER + ":SASL_SSL,"
                + (plain ? PLAIN_LISTENER + ":SASL_SSL," : "") + INTERNAL_LISTENER + ":SSL," + CONTROLLER_LISTENER + ":SSL");
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
        p.put("sasl.enabled.mechanisms", plain ? MECHANISM + "," + PLAIN_MECHANISM : MECHANISM);
        p.put("listener.name." + CLIENT_LISTENER.toLowerCase() + ".sasl.enabled.mechanisms", MECHANISM);
        p.put("listener.name." + CLIENT_LISTENER.toLowerCase() + "." + MECHANISM.toLowerCase() + ".sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        if (plain) {
            // Kafka's PLAIN server checks the user_NAME options of its JAAS entry: the same users and
            // passwords as SCRAM's. In the broker's memory only, like the keystore's password.
            StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
            passwords.forEach((user, pw) -> jaas.append(" user_").append(user).append("=\"").append(pw).append('"'));
            p.put("listener.name." + PLAIN_LISTENER.toLowerCase() + ".sasl.enabled.mechanisms", PLAIN_MECHANISM);
            p.put("listener.name." + PLAIN_LISTENER.toLowerCase() + "." + PLAIN_MECHANISM.toLowerCase()
                    + ".sasl.jaas.config", jaas.append(';').toString());
        }
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

    /** The same CA certificate as PEM (librdkafka's {@code ssl.ca.location}). */
    public Path caPem() {
        return dir.resolve(CA_PEM_FILE);
    }

    /** The SASL PLAIN over TLS listener's {@code bootstrap.servers}, or {@code null} when there is none. */
    public String plainBootstrapServers() {
        return plainBootstrapServers;
    }

    /**
     * The librdkafka configuration of a user for the PLAIN listener ({@code kcat -F FILE}); it holds
     * the password and exists only while there is a PLAIN listener.
     */
    public Path librdkafkaConfig(String user) {
        return dir.resolve("librdkafka-" + user + ".properties");
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

    private void writeLibrdkafkaConfig(String user, Path file) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file);
        restrict(file, "rw-------");
        // librdkafka's format: key=value lines, taken as they are (no escapes), '#' comments.
        String text = "# streamfit dev broker: librdkafka config (kcat -F " + file.getFileName() + ") of user '" + user
                + "',\n# SASL PLAIN over TLS. It holds the password: keep it owner-only. New at every start.\n"
                + "bootstrap.servers=" + plainBootstrapServers + "\n"
                + "security.protocol=SASL_SSL\n"
                + "sasl.mechanisms=" + PLAIN_MECHANISM + "\n"
                + "sasl.username=" + user + "\n"
                + "sasl.password=" + password(user) + "\n"
                + "ssl.ca.location=" + caPem() + "\n";
        Files.writeString(file, text, StandardCharsets.UTF_8);
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
