package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.errors.FaultClass;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.FaultyStores;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;

/**
 * A state store that fails is a fault of the instance ({@link FaultClass#INSTANCE}): the app
 * dead-letters nothing, its stream thread fails, the client shuts down with an error that names
 * the store, and the transaction of the failed write aborts. A fresh instance on the same
 * application id and state directory then finishes the stream exactly once: one committed
 * prediction per timestep and object, each made by the model version an uninterrupted run would
 * have had, and every model at its final version.
 *
 * <p>The faults come from {@link FaultyStores}, which wraps the app's RocksDB store under the
 * cache and the changelog; it is armed once the first part of the stream is committed, so that
 * the restart resumes from committed models and half-filled micro-batches. Without the model
 * store's cache the failed put happens inside the processor, where the processing exception
 * handler sees it first: a plain runtime exception from the pending store there was once
 * dead-lettered as the record's fault while the app went on (the pending store now writes when a
 * commit finds timesteps waiting, cache or not; FaultIsolationTopologyTest keeps the processor's
 * side of it).
 */
@Slow
class StoreFaultIT {

    private static final int M = 6;
    private static final int SERIES = 5;
    private static final int BATCH = 4;
    /** Timesteps per series before the fault is armed: not a multiple of the batch, so batches are half full. */
    private static final int BEFORE = 50;
    private static final int TIMESTEPS = 120;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    @TempDir
    Path dir;

    private ListAppender<ILoggingEvent> logs;
    private final List<StreamfitApp> apps = new ArrayList<>();

    @BeforeEach
    void captureLogs() {
        LoggerContext ctx = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        logs = new ListAppender<>();
        logs.setContext(ctx);
        logs.start();
        ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(logs);
    }

    @AfterEach
    void closeApps() {
        apps.forEach(StreamfitApp::close);
        LoggerContext ctx = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        ctx.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(logs);
    }

    /**
     * @param store  the store that fails
     * @param cached whether the store's cache is on (as in the service): the write then reaches the
     *               store when a commit flushes the cache; without it, the model store's inside the
     *               processor, where the processing exception handler sees the error first (the
     *               pending store writes at the commit either way, so it has fewer puts than when
     *               it wrote every buffered timestep: 43 and 52 in the rest of the stream, in two runs)
     * @param nth    which put from the arming fails: one in the middle of the rest of the stream
     * @param error  what the store throws: what RocksDB throws, or a plain runtime exception, which
     *               the store layers of Streams do not wrap
     */
    @ParameterizedTest(name = "{0}, cached={1}, write {2}, {3}")
    @CsvSource({
            Names.MODEL_STORE + ", true, 6, ProcessorStateException",
            Names.PENDING_STORE + ", true, 20, ProcessorStateException",
            Names.MODEL_STORE + ", false, 10, ProcessorStateException",
            Names.PENDING_STORE + ", false, 20, ProcessorStateException",
            Names.PENDING_STORE + ", false, 20, IllegalStateException",
    })
    void aStoreThatFailsAWriteStopsTheInstanceAndARestartFinishesExactlyOnce(String store, boolean cached,
                                                                             int nth, String error) throws Exception {
        boolean plain = error.equals("IllegalStateException");
        String app = "fault-" + (store.startsWith("model") ? "model" : "pending") + (cached ? "-cached" : "-direct")
                + (plain ? "-plain" : "");
        TestConfigs.Builder config = config(app, cached);
        FaultStream input = FaultStream.create(broker, app, SERIES, M, TIMESTEPS, 2);

        FaultyStores faults = FaultyStores.of(store);
        StreamfitApp faulty = start(config, faults);
        input.produce(0, BEFORE);
        int committedBefore = SERIES * (BEFORE / BATCH * BATCH);
        awaitCommittedSums(input, committedBefore, faulty);

        faults.failPut(nth, plain ? FaultyStores.RUNTIME_ERROR : FaultyStores.STORE_ERROR);
        input.produceInSteps(BEFORE, TIMESTEPS, 10, Duration.ofMillis(200));
        awaitStopped(faulty, faults);
        assertStoppedAsAnInstanceFault(faulty, store, "injected fault");
        int committedAtFault = input.committedSums();
        assertThat(committedAtFault).as("committed sum predictions when the fault stopped the app")
                .isBetween(committedBefore, SERIES * TIMESTEPS - 1);
        faulty.close();

        // A fresh instance, no fault: it restores from the changelogs and finishes the stream.
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        StreamfitApp fresh = new StreamfitApp(config.toConfig(), metrics);
        apps.add(fresh);
        fresh.start();
        awaitCommittedSums(input, SERIES * TIMESTEPS, fresh);
        fresh.close();

        input.assertLearnedExactlyOnce(BATCH);
        assertThat(input.deadLetterTopicUntouched()).as("no dead letter written, not even an aborted one").isTrue();
        System.out.printf("[StoreFaultIT] %s: %d of %d puts failed; %d of %d sum predictions committed at the fault%n",
                app, faults.faults(), faults.puts(), committedAtFault, SERIES * TIMESTEPS);
    }

    /**
     * A full disk under the state directory, as RocksDB reports it (every write fails with
     * "No space left on device"): the app stops with an error that names the store and says the
     * fault is the instance's, and dead-letters nothing.
     */
    @Test
    void aFullDiskStopsTheInstanceWithAClearErrorAndDeadLettersNothing() throws Exception {
        String app = "fault-disk-full";
        TestConfigs.Builder config = config(app, true);
        FaultStream input = FaultStream.create(broker, app, SERIES, M, TIMESTEPS, 2);

        FaultyStores faults = FaultyStores.of(Names.MODEL_STORE);
        StreamfitApp faulty = start(config, faults);
        input.produce(0, BEFORE);
        awaitCommittedSums(input, SERIES * (BEFORE / BATCH * BATCH), faulty);

        faults.failFromWrite(1, FaultyStores.DISK_FULL);
        input.produceInSteps(BEFORE, TIMESTEPS, 10, Duration.ofMillis(200));
        awaitStopped(faulty, faults);
        assertStoppedAsAnInstanceFault(faulty, Names.MODEL_STORE, "No space left on device");
        assertThat(input.committedSums()).as("committed sum predictions").isLessThan(SERIES * TIMESTEPS);
        assertThat(input.deadLetterTopicUntouched()).as("no dead letter written, not even an aborted one").isTrue();
    }

    private TestConfigs.Builder config(String app, boolean cached) {
        TestConfigs.Builder config = TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app(app)
                .stateDir(dir.resolve("state")).partitions(2).topicPrefix(app + "-")
                .with("model.hidden", 8)
                .with("batch.timesteps", BATCH)
                // Batches close by size only, so that each prediction's model version is known.
                .with("batch.max.wait.ms", Duration.ofHours(1).toMillis())
                .with("batch.flush.when.idle", false)
                .with("commit.interval.ms", 100)
                // The fresh instance takes the failed one's place at once: a client stopped by its
                // exception handler does not leave the group, and would hold its tasks for the session.
                .with("group.instance.id", app + "-member")
                .with("session.timeout.ms", 10_000);
        return cached ? config : config.with("statestore.cache.max.bytes", 0);
    }

    private StreamfitApp start(TestConfigs.Builder config, FaultyStores faults) throws Exception {
        StreamfitApp app = new StreamfitApp(config.toConfig(), new StreamfitMetrics(new SimpleMeterRegistry()), faults);
        apps.add(app);
        app.start();
        return app;
    }

    private static void awaitCommittedSums(FaultStream input, int n, StreamfitApp running) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).until(() ->
                running.fatalError() != null || input.committedSums() >= n);
        assertThat(running.fatalError()).as("the app failed while it should run").isNull();
    }

    private static void awaitStopped(StreamfitApp app, FaultyStores faults) {
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> app.state() == KafkaStreams.State.ERROR);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the app is " + app.state() + " 60 s after the fault was armed; "
                    + faults.faults() + " of " + faults.writes() + " writes (" + faults.puts() + " puts) failed", e);
        }
        assertThat(faults.faults()).as("faults thrown").isPositive();
    }

    private void assertStoppedAsAnInstanceFault(StreamfitApp app, String store, String cause) {
        Throwable fatal = app.fatalError();
        assertThat(fatal).as("the error that stopped the app").isNotNull();
        assertThat(FaultClass.of(fatal)).isEqualTo(FaultClass.INSTANCE);
        assertThat(chain(fatal)).contains(store).contains(cause);
        List<ILoggingEvent> events;
        synchronized (logs) { // the appender appends under its own lock
            events = new ArrayList<>(logs.list);
        }
        List<String> errors = events.stream()
                .filter(e -> e.getLevel() == Level.ERROR && e.getLoggerName().equals(StreamfitApp.class.getName()))
                .map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
        assertThat(errors).as("errors logged by the app").anySatisfy(line -> assertThat(line)
                .contains("instance fault").contains(store).contains(cause));
    }

    /** Every message of {@code t} and its causes, in one line. */
    private static String chain(Throwable t) {
        StringBuilder out = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            out.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(" / ");
        }
        return out.toString();
    }
}
