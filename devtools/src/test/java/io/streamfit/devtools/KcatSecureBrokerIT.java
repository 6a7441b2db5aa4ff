package io.streamfit.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.streamfit.devkit.broker.EmbeddedBroker;
import io.streamfit.devkit.broker.SecureBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secure dev broker ({@code streamfit broker --secure}) from a librdkafka client: Debian's
 * {@code kcat} produces and consumes over the SASL PLAIN over TLS listener with the config file the
 * broker writes, the ACLs apply to the same users there, a wrong password is refused, and, where
 * kcat's librdkafka is older than 2.6.1, its SCRAM against the main listener fails as
 * docs/security.md says (the reason for the PLAIN listener).
 *
 * <p>Skipped, saying so, where no {@code kcat} is on the PATH ({@code .ci/run} installs Debian's).
 */
class KcatSecureBrokerIT {

    private static final String TOPIC = "kcat-it";

    @TempDir
    static Path dir;

    private static EmbeddedBroker broker;
    private static Path kcat;

    @BeforeAll
    static void startTheSecureBrokerWithItsPlainListener() throws Exception {
        Optional<Path> found = onPath("kcat").or(() -> onPath("kafkacat"));
        Assumptions.assumeTrue(found.isPresent(),
                "no kcat on the PATH: KcatSecureBrokerIT needs it (Debian: apt-get install kcat)");
        kcat = found.get();
        broker = EmbeddedBroker.startSecure(0, 0, dir.resolve("kafka"), dir.resolve("secure"),
                List.of(BrokerCommand.APP_USER), Map.of());
        try (Admin admin = Admin.create(Map.<String, Object>copyOf(
                broker.secure().clientProperties(SecureBroker.ADMIN_USER)))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    private record Run(int code, String out, String err) {
    }

    private static Run kcat(String stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(kcat.toString()));
        command.addAll(List.of(args));
        Path in = Files.createTempFile(dir, "kcat", ".in");
        Files.writeString(in, stdin == null ? "" : stdin);
        Path out = Files.createTempFile(dir, "kcat", ".out");
        Path err = Files.createTempFile(dir, "kcat", ".err");
        Process p = new ProcessBuilder(command).redirectInput(in.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kcat did not finish in 60 s: " + Files.readString(err));
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void theBrokerWritesAnOwnerOnlyLibrdkafkaConfigForEachUser() throws Exception {
        SecureBroker s = broker.secure();
        Path config = s.librdkafkaConfig(SecureBroker.ADMIN_USER);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");
        assertThat(Files.readAllLines(config)).contains("bootstrap.servers=" + s.plainBootstrapServers(),
                "security.protocol=SASL_SSL", "sasl.mechanisms=PLAIN", "sasl.username=admin",
                "ssl.ca.location=" + s.caPem());
        assertThat(Files.readString(s.caPem())).startsWith("-----BEGIN CERTIFICATE-----\n");
        assertThat(Files.exists(s.librdkafkaConfig(BrokerCommand.APP_USER))).isTrue();
    }

    @Test
    void kcatProducesAndConsumesOverPlainWithTls() throws Exception {
        Path config = broker.secure().librdkafkaConfig(SecureBroker.ADMIN_USER);
        Run produce = kcat("one\ntwo\nthree\n", "-F", config.toString(), "-P", "-t", TOPIC);
        assertThat(produce.code()).as(produce.err()).isZero();
        Run consume = kcat(null, "-F", config.toString(), "-C", "-t", TOPIC, "-o", "beginning", "-c", "3", "-e",
                "-q");
        assertThat(consume.code()).as(consume.err()).isZero();
        assertThat(consume.out().lines()).containsExactly("one", "two", "three");
    }

    @Test
    void theAclsHoldForThePlainListenersUsers() throws Exception {
        // The app's user has the app's ACLs only: none on this topic.
        Path config = broker.secure().librdkafkaConfig(BrokerCommand.APP_USER);
        Run produce = kcat("x\n", "-F", config.toString(), "-P", "-t", TOPIC);
        assertThat(produce.code()).isNotZero();
        assertThat(produce.err()).contains("Topic authorization failed");
    }

    @Test
    void aWrongPasswordIsRefused() throws Exception {
        SecureBroker s = broker.secure();
        Run list = kcat(null, "-b", s.plainBootstrapServers(), "-X", "security.protocol=SASL_SSL",
                "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=admin", "-X", "sasl.password=wrong",
                "-X", "ssl.ca.location=" + s.caPem(), "-L", "-m", "10");
        assertThat(list.code()).isNotZero();
        assertThat(list.err()).contains("Authentication failed", "Invalid username or password");
    }

    @Test
    void scramFromLibrdkafkaBefore261FailsAgainstKafka4AsDocumented() throws Exception {
        String version = librdkafkaVersion();
        SecureBroker s = broker.secure();
        Run list = kcat(null, "-b", broker.bootstrapServers(), "-X", "security.protocol=SASL_SSL",
                "-X", "sasl.mechanisms=" + SecureBroker.MECHANISM, "-X", "sasl.username=admin",
                "-X", "sasl.password=" + s.password(SecureBroker.ADMIN_USER), "-X", "ssl.ca.location=" + s.caPem(),
                "-L", "-m", "10");
        if (older(version, 2, 6, 1)) {
            assertThat(list.code()).isNotZero();
            assertThat(list.err()).contains("invalid credentials with SASL mechanism SCRAM-SHA-512");
        } else {
            assertThat(list.code()).as("librdkafka %s: SCRAM works from 2.6.1 on; %s", version, list.err()).isZero();
        }
    }

    /** The librdkafka version of {@code kcat -V}, e.g. {@code 2.0.2}. */
    private static String librdkafkaVersion() throws Exception {
        Run v = kcat(null, "-V");
        Matcher m = Pattern.compile("librdkafka (\\d+\\.\\d+\\.\\d+)").matcher(v.out() + v.err());
        assertThat(m.find()).as("kcat -V names its librdkafka: %s", v.out()).isTrue();
        return m.group(1);
    }

    private static boolean older(String version, int... than) {
        String[] parts = version.split("\\.");
        for (int i = 0; i < than.length; i++) {
            int p = Integer.parseInt(parts[i]);
            if (p != than[i]) {
                return p < than[i];
            }
        }
        return false;
    }

    private static Optional<Path> onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(d, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
