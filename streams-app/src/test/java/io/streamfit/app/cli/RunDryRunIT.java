package io.streamfit.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.streamfit.app.testing.InJvmKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code streamfit run --dry-run} checks what a start would check against a real cluster (login,
 * topics, co-partitioning), creates and starts nothing, and exits 0 with a summary or 2 with the
 * one line a start would fail with.
 */
class RunDryRunIT {

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    @TempDir
    Path dir;

    /** A configuration whose topics all carry {@code prefix}, so the tests share the broker. */
    private Path config(String prefix, String extra) throws Exception {
        StringBuilder text = new StringBuilder("bootstrap.servers=" + broker.bootstrapServers()
                + "\nmodel.features=4\nhttp.port=0\napplication.id=" + prefix + "-app\nstate.dir=" + dir + "\n");
        for (String key : List.of("features", "object.predictions", "sum.predictions", "anomaly.scores",
                "dead.letters", "labels", "model.commands", "model.events")) {
            text.append("topic.").append(key).append('=').append(prefix).append('-').append(key.replace('.', '-'))
                    .append('\n');
        }
        Path file = dir.resolve(prefix + ".properties");
        Files.writeString(file, text + extra);
        return file;
    }

    private Set<String> topics() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aStartThatWouldGoAheadExits0AndCreatesNothing() throws Exception {
        Path file = config("fresh", "");
        CliErrorsTest.Outcome o = CliErrorsTest.run("run", "--dry-run", "--config", file.toString());
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.out().lines()).hasSize(1);
        assertThat(o.out()).startsWith("streamfit run --dry-run: configuration valid (model=")
                .contains("; Kafka at " + broker.bootstrapServers() + " answered; topics to create at start: "
                        + "fresh-features, fresh-object-predictions, ")
                .endsWith("; nothing was started.\n");
        assertThat(topics()).noneMatch(t -> t.startsWith("fresh-"));
    }

    @Test
    void aBusyHttpPortExits2NamingTheKeyAndTheFileBeforeKafkaIsAsked() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            Path file = config("busyhttp", "http.port=" + port + "\n");
            CliErrorsTest.Outcome o = CliErrorsTest.run("run", "--dry-run", "--config", file.toString());
            assertThat(o.code()).isEqualTo(2);
            assertThat(o.out()).isEmpty();
            assertThat(o.err().lines()).containsExactly("streamfit run: HTTP port " + port + " on 127.0.0.1 is in use "
                    + "(http.port from file " + file + "): stop what listens there or set http.port to a free port "
                    + "(0 picks one)");
        }
    }

    @Test
    void aFreeHttpPortIsInTheSummary() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Path file = config("freehttp", "http.port=" + port + "\n");
        CliErrorsTest.Outcome o = CliErrorsTest.run("run", "--dry-run", "--config", file.toString());
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.out()).endsWith("; HTTP port " + port + " on 127.0.0.1 is free; nothing was started.\n");
    }

    @Test
    void missingInputsThatItWouldNotCreateExit2() throws Exception {
        Path file = config("nocreate", "topics.create=false\n");
        CliErrorsTest.Outcome o = CliErrorsTest.run("run", "--dry-run", "--config", file.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).containsExactly("streamfit run: cannot start: topic 'nocreate-features' "
                + "(topic.features) does not exist and topics.create=false: create it, or let streamfit create it "
                + "(topics.create=true).");
    }

    @Test
    void labelsThatAreNotCoPartitionedExit2() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("copart-features", 4, (short) 1),
                    new NewTopic("copart-labels", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        Path file = config("copart", "");
        CliErrorsTest.Outcome o = CliErrorsTest.run("run", "--dry-run", "--config", file.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).hasSize(1);
        assertThat(o.err()).startsWith("streamfit run: cannot start: topic 'copart-labels' (topic.labels) has 2 "
                + "partitions but 'copart-features' (topic.features) has 4: ");
    }

    @Test
    void aSchemaRegistryThatCannotBeAskedExits2NamingTheUrlAndWhereItCameFrom() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Path file = config("registry", "value.format=avro-registry\nschema.registry.url=http://127.0.0.1:" + closed
                + "\nkafka.connect.timeout.ms=3000\n");
        long start = System.nanoTime();
        CliErrorsTest.Outcome o = CliErrorsTest.run("run", "--dry-run", "--config", file.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.out()).isEmpty();
        assertThat(o.err().lines()).hasSize(1);
        assertThat(o.err()).startsWith("streamfit run: cannot start: the schema registry at http://127.0.0.1:" + closed
                + "/ cannot be asked for its subjects: it cannot be reached")
                .endsWith("(schema.registry.url from file " + file + "); check that the registry runs and the URL and "
                        + "credentials are right\n");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("within kafka.connect.timeout.ms and a margin")
                .isLessThan(Duration.ofSeconds(20));
    }
}
