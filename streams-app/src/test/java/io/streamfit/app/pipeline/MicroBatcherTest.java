package io.streamfit.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.streamfit.app.errors.Origin;
import io.streamfit.app.state.WriteAtCommitStore;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The micro-batcher and its pending store: buffered timesteps reach the store when a commit finds
 * them waiting (Kafka Streams flushes the store's cache first, which is the hook), a batch that ran
 * before never does, and a commit without the hook writes them then and turns deferral off.
 */
class MicroBatcherTest {

    private static final int BATCH = 4;

    private KeyValueStore<String, byte[]> store;
    private WriteAtCommitStore atCommit;
    private MicroBatcher batcher;
    private ListAppender<ILoggingEvent> logs;

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "micro-batcher-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>(props);
        store = WriteAtCommitStore.builder(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("pending"),
                Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().withCachingDisabled()).build();
        store.init(context.getStateStoreContext(), store);
        atCommit = WriteAtCommitStore.find(store).orElseThrow();
        batcher = new MicroBatcher(store, BATCH, 60_000, false);
        logs = new ListAppender<>();
        logs.start();
        ((Logger) org.slf4j.LoggerFactory.getLogger(WriteAtCommitStore.class)).addAppender(logs);
    }

    @AfterEach
    void stop() {
        ((Logger) org.slf4j.LoggerFactory.getLogger(WriteAtCommitStore.class)).detachAppender(logs);
        store.close();
    }

    @Test
    void timestepsReachTheStoreOnlyWhenACommitFindsThemWaiting() {
        add("a", 1);
        add("a", 2);
        add("b", 1);
        assertThat(keys()).as("before a commit").isEmpty();

        atCommit.flushCache(); // what Kafka Streams calls before it commits the task
        assertThat(keys()).containsExactly("a\u00000", "a\u00001", "b\u00000");
        assertThat(decodedSeries("a\u00001")).isEqualTo("a");

        add("a", 3);
        assertThat(keys()).as("a timestep after the commit waits for the next").hasSize(3);
        atCommit.flushCache();
        assertThat(keys()).containsExactly("a\u00000", "a\u00001", "a\u00002", "b\u00000");
        atCommit.commit(Map.of());
        assertThat(atCommit.defers()).as("the hook ran before the commit").isTrue();
        assertThat(logs.list).isEmpty();
    }

    @Test
    void aBatchThatRunsBeforeTheCommitNeverReachesTheStore() {
        for (int t = 1; t < BATCH; t++) {
            assertThat(add("a", t)).isFalse();
        }
        assertThat(add("a", BATCH)).as("the batch is full").isTrue();
        assertThat(batcher.pending("a")).hasSize(BATCH);
        batcher.clear("a");
        atCommit.flushCache();
        assertThat(keys()).isEmpty();
    }

    @Test
    void aBatchThatRanAfterACommitLeavesNoEntryBehind() {
        add("a", 1);
        add("a", 2);
        atCommit.flushCache();
        add("a", 3);
        add("a", 4);
        batcher.clear("a");
        atCommit.flushCache();
        assertThat(keys()).isEmpty();

        add("a", 5); // the next batch starts at position 0 again
        atCommit.flushCache();
        assertThat(keys()).containsExactly("a\u00000");
    }

    @Test
    void aCommitWithoutTheHookWritesWhatWaitsAndTurnsDeferralOff() {
        add("a", 1);
        add("a", 2);
        atCommit.commit(Map.of());
        assertThat(keys()).as("written at the commit that missed them").containsExactly("a\u00000", "a\u00001");
        assertThat(atCommit.defers()).isFalse();
        assertThat(logs.list).singleElement().satisfies(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.ERROR);
            assertThat(e.getFormattedMessage()).contains("pre-commit hook", "pending");
        });

        add("a", 3);
        assertThat(keys()).as("from then on written as buffered").hasSize(3);
    }

    @Test
    void aRestartedTaskRecoversTheTimestepsACommitWrote() {
        add("a", 1);
        add("a", 2);
        atCommit.flushCache();
        add("a", 3); // not committed: the restart reads it again from the input

        MicroBatcher restarted = new MicroBatcher(store, BATCH, 60_000, false);
        Map<String, List<PendingTimestep>> recovered = restarted.recover();
        assertThat(recovered).containsOnlyKeys("a");
        assertThat(recovered.get("a")).extracting(p -> p.timestep().timestep()).containsExactly(1L, 2L);

        assertThat(restarted.add("a", pending("a", 3))).isFalse();
        atCommit.flushCache(); // the restarted batcher now owns the deferred writes
        assertThat(keys()).containsExactly("a\u00000", "a\u00001", "a\u00002");
        restarted.add("a", pending("a", 4));
        restarted.clear("a");
        assertThat(keys()).as("every stored entry of the batch deleted").isEmpty();
    }

    @Test
    void withBatchesOfOneNothingIsStored() {
        MicroBatcher single = new MicroBatcher(store, 1, 0, false);
        assertThat(single.add("a", pending("a", 1))).isTrue();
        atCommit.flushCache();
        assertThat(keys()).isEmpty();
    }

    private boolean add(String series, long t) {
        return batcher.add(series, pending(series, t));
    }

    private static PendingTimestep pending(String series, long t) {
        String json = "{\"series\":\"" + series + "\",\"timestep\":" + t
                + ",\"objects\":[{\"id\":\"o\",\"features\":[1.0,2.0],\"target\":0.5}]}";
        Timestep ts = new Timestep(series, t, List.of(new Timestep.ObjectInput("o",
                new FeatureVector.Dense(new float[] {1f, 2f}), 0.5, null)), null);
        Origin origin = new Origin("features", 0, t, series.getBytes(StandardCharsets.UTF_8),
                json.getBytes(StandardCharsets.UTF_8), new RecordHeaders(), 1_000L + t);
        return new PendingTimestep(series, ts, origin, System.nanoTime());
    }

    private List<String> keys() {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            it.forEachRemaining((KeyValue<String, byte[]> kv) -> keys.add(kv.key));
        }
        return keys;
    }

    private String decodedSeries(String key) {
        return PendingTimestep.Stored.decode(store.get(key)).series();
    }
}
