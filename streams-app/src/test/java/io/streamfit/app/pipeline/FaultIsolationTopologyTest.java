package io.streamfit.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.streamfit.app.errors.FaultClass;
import io.streamfit.app.names.Names;
import io.streamfit.app.testing.FaultyStores;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Faults of one model key stay with that key (quarantine); faults of the instance stop it and
 * dead-letter nothing.
 */
class FaultIsolationTopologyTest {

    private static final int M = 3;

    @TempDir
    Path stateDir;

    private TopologyHarness topology;

    @AfterEach
    void close() {
        if (topology != null) {
            topology.close();
        }
    }

    private void start() {
        topology = TopologyHarness.start(TestConfigs.regressor(M).app("fault-test").stateDir(stateDir)
                .with("model.hidden", 4).toMap());
    }

    private static Timestep record(String series, long t) {
        return new Timestep(series, t, List.of(new Timestep.ObjectInput("o", new FeatureVector.Dense(
                new float[] {0.1f * t, 0.2f, -0.3f}), 1.0, null)), null);
    }

    @Test
    void aCorruptCheckpointQuarantinesItsKeyAndTheOtherKeysRun() {
        // Learn a real checkpoint of "c", then put it, with its model state garbled, under "a"
        // (as a changelog that restores it would), before "a" is first loaded.
        start();
        topology.send(record("c", 1));
        topology.objects().readRecordsToList();
        KeyValueStore<String, ModelCheckpoint> store = topology.store(Names.MODEL_STORE);
        byte[] garbage = "definitely not a checkpoint".getBytes(StandardCharsets.UTF_8);
        // A copy through the serde (a copy builder would deep-copy through Avro's global class
        // lookup, which does not trust the generated classes; see CompiledClassesData).
        ModelCheckpoint corrupt = StreamfitSerdes.modelCheckpoint().decode(
                StreamfitSerdes.modelCheckpoint().encode(store.get("c")));
        corrupt.setModelKey("a");
        corrupt.setModelState(ByteBuffer.wrap(garbage));
        store.put("a", corrupt);

        topology.send(record("a", 2));
        topology.send(record("b", 2));
        topology.send(record("a", 3));

        List<TestRecord<byte[], byte[]>> dead = topology.deadLetters().readRecordsToList();
        assertThat(dead).hasSize(2).allSatisfy(r -> {
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("a");
            assertThat(new String(r.headers().lastHeader("error.reason").value(), StandardCharsets.UTF_8))
                    .isEqualTo(FaultClass.MODEL_QUARANTINED);
        });
        assertThat(topology.objects().readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("b");
        assertThat(topology.metrics().quarantined()).containsOnlyKeys("a");
        assertThat(topology.metrics().registry().get("streamfit.models.quarantined").gauge().value()).isEqualTo(1.0);
        // Its stored checkpoint is left as it was, for a person to inspect.
        assertThat(topology.<ModelCheckpoint>storeValue(Names.MODEL_STORE, "a").getModelState())
                .isEqualTo(ByteBuffer.wrap(garbage));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ProcessorStateException", "IllegalStateException"})
    void aPendingStoreThatFailsAPutStopsTheTaskAndDeadLettersNothing(String error) {
        // No cache, so that the write reaches the store inside the processor, where the processing
        // exception handler sees a failure first; any store failure there is the instance's.
        FaultyStores faults = FaultyStores.of(Names.PENDING_STORE);
        topology = TopologyHarness.startWithStores(TestConfigs.regressor(M).app("fault-test").stateDir(stateDir)
                .with("model.hidden", 4).with("batch.timesteps", 4).with("batch.flush.when.idle", false)
                .with("batch.max.wait.ms", 600_000).with("statestore.cache.max.bytes", 0).toMap(), faults);
        topology.send(record("a", 1));
        faults.failPut(1, error.equals("IllegalStateException") ? FaultyStores.RUNTIME_ERROR : FaultyStores.STORE_ERROR);

        assertThatThrownBy(() -> topology.send(record("a", 2)))
                .satisfies(e -> assertThat(FaultClass.of(e)).isEqualTo(FaultClass.INSTANCE))
                .hasStackTraceContaining(Names.PENDING_STORE);
        assertThat(faults.faults()).isEqualTo(1);
        assertThat(topology.deadLetters().readRecordsToList()).isEmpty();
    }

    @Test
    void aCorruptPendingEntryStopsTheTaskAndDeadLettersNothing() {
        topology = TopologyHarness.start(TestConfigs.regressor(M).app("fault-test").stateDir(stateDir)
                .with("model.hidden", 4).with("batch.timesteps", 4).with("batch.flush.when.idle", false)
                .with("batch.max.wait.ms", 600_000).toMap());
        KeyValueStore<String, byte[]> pending = topology.store(Names.PENDING_STORE);
        pending.put("a\u00000", new byte[] {(byte) 0xC3, 0x01, 1, 2, 3});

        assertThatThrownBy(() -> topology.send(record("a", 1)))
                .satisfies(e -> assertThat(FaultClass.of(e)).isEqualTo(FaultClass.INSTANCE))
                .hasStackTraceContaining("pending store");
        assertThat(topology.deadLetters().readRecordsToList()).isEmpty();
        assertThat(topology.objects().readRecordsToList()).isEmpty();
    }
}
