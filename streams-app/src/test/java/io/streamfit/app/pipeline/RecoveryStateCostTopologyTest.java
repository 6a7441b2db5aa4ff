package io.streamfit.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import io.streamfit.app.names.Names;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What keeping divergence recovery's state costs on the demo's stream ({@code ./streamfit demo}:
 * 4 series, m = 8, noise 0.2, seed 7, one global model, lr 0.003, one timestep per batch): the
 * bytes the loss window adds to every checkpoint, and how often a checkpoint moves past its good
 * state and so writes it to the good store, early and late in the stream. Prints the numbers
 * that docs/state-format.md quotes.
 */
@Slow
class RecoveryStateCostTopologyTest {

    private static final int TIMESTEPS = 8_000;
    private static final int QUARTERS = 4;

    @TempDir
    Path stateDir;

    @Test
    void theLossWindowCostsAFewHundredBytesAndTheGoodStateIsWrittenForAMinorityOfBatches() {
        SyntheticStream stream = new SyntheticStream(4, 8, 0.2, 7, 1);
        long[] writes = new long[QUARTERS];
        long checkpointBytes = 0;
        long recoveryBytes = 0;
        try (TopologyHarness topology = TopologyHarness.start(TestConfigs.regressor(8).app("recovery-cost")
                .stateDir(stateDir).with("model.scope", "global").with("optimizer.learning.rate", 0.003).toMap())) {
            for (int t = 0; t < TIMESTEPS; t++) {
                long before = topology.metrics().goodStateWrites();
                topology.send(stream.next());
                writes[t * QUARTERS / TIMESTEPS] += topology.metrics().goodStateWrites() - before;
                ModelCheckpoint cp = topology.storeValue(Names.MODEL_STORE, Names.GLOBAL_KEY);
                int with = StreamfitSerdes.modelCheckpoint().serializer().serialize("m", cp).length;
                cp.setRecovery(null);
                int without = StreamfitSerdes.modelCheckpoint().serializer().serialize("m", cp).length;
                checkpointBytes += with;
                recoveryBytes += with - without;
            }
            assertThat(topology.metrics().rollbacksTotal()).isZero();
        }
        long total = 0;
        for (long w : writes) {
            total += w;
        }
        System.out.printf("recovery-state cost over %d batches of the demo stream: checkpoint %.0f bytes per batch, "
                + "of which the recovery state %.0f; good-state writes %d (%.2f%% of batches), per quarter %s%n",
                TIMESTEPS, (double) checkpointBytes / TIMESTEPS, (double) recoveryBytes / TIMESTEPS, total,
                100.0 * total / TIMESTEPS, java.util.Arrays.toString(writes));
        assertThat(total).as("good states written").isPositive().isLessThan(TIMESTEPS / 4);
        assertThat(writes[QUARTERS - 1]).as("late writes are rarer than early ones").isLessThan(writes[0]);
        assertThat((double) recoveryBytes / TIMESTEPS).isLessThan(0.1 * checkpointBytes / TIMESTEPS);
    }
}
