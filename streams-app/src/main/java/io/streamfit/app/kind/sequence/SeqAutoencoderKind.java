package io.streamfit.app.kind.sequence;

import java.util.List;
import java.util.Set;

import io.streamfit.app.kind.BatchItem;
import io.streamfit.app.kind.CommonSettings;
import io.streamfit.app.kind.ModelExtras;
import io.streamfit.app.kind.Outputs;
import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.SequenceOptions;
import io.streamfit.model.StepResult;
import io.streamfit.model.seq.StreamingQuantile;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@code seq-autoencoder}: an LSTM encoder-decoder ({@link io.streamfit.model.LstmAutoencoder})
 * scoring each object's window by its reconstruction error. Every window is its own target, so
 * every call trains. Outputs one anomaly score per scored window, judged against the model's
 * running quantile threshold, which is checkpointed with the model.
 */
public final class SeqAutoencoderKind extends SequenceKind {

    public static final String NAME = ModelSpec.KIND_SEQ_AUTOENCODER;
    static final String ANOMALY_QUANTILE = "anomaly.quantile";
    static final String ANOMALY_WINDOW = "anomaly.window";
    static final String ANOMALY_WARMUP = "anomaly.warmup";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "LSTM encoder-decoder scoring each object's window, to anomaly-scores";
    }

    @Override
    public List<ConfigDef.ConfigKey> configKeys() {
        List<ConfigDef.ConfigKey> keys = new java.util.ArrayList<>(super.configKeys());
        keys.addAll(new ConfigDef()
                .define(ANOMALY_QUANTILE, Type.DOUBLE, StreamingQuantile.QUANTILE_DEFAULT,
                        Range.between(1e-9, 1 - 1e-9), Importance.MEDIUM, "seq-autoencoder: the threshold is this "
                                + "quantile, in (0, 1), of the model's recent window scores; a score above it is an "
                                + "anomaly.")
                .define(ANOMALY_WINDOW, Type.INT, StreamingQuantile.CAPACITY_DEFAULT, Range.between(1, 100_000),
                        Importance.LOW, "seq-autoencoder: how many of the model's most recent scores the threshold "
                                + "is computed from.")
                .define(ANOMALY_WARMUP, Type.INT, StreamingQuantile.MIN_COUNT_DEFAULT, Range.atLeast(1),
                        Importance.LOW, "seq-autoencoder: scores a model needs before its threshold is finite, in "
                                + "[1, anomaly.window]; until then the threshold is null and nothing is flagged.")
                .configKeys().values());
        return keys;
    }

    @Override
    ModelSpec spec(CommonSettings c, SequenceOptions options) {
        return new ModelSpec(NAME, c.features(), c.hidden(), "linear", 1.0, c.optimizer(), c.seed(),
                c.intraOpThreads(), c.interOpThreads(), options);
    }

    @Override
    Windowed windowed(AbstractConfig config) {
        double q = config.getDouble(ANOMALY_QUANTILE);
        int window = config.getInt(ANOMALY_WINDOW);
        int warmup = config.getInt(ANOMALY_WARMUP);
        if (warmup > window) {
            throw new ConfigException(ANOMALY_WARMUP, warmup, "must be at most anomaly.window = " + window);
        }
        return new Windowed() {
            @Override
            public boolean selfSupervised() {
                return true;
            }

            @Override
            public WindowedBatches.WindowMapping mapping() {
                return SeqAutoencoderKind::emitScores;
            }

            @Override
            public ModelExtras newExtras() {
                return new AnomalyThreshold(new StreamingQuantile(q, window, warmup));
            }

            @Override
            public Set<Outputs.Sink> extraSinks() {
                return Set.of(Outputs.Sink.ANOMALY_SCORES);
            }
        };
    }

    /**
     * One anomaly score per scored window of the record, judged against the model's running
     * threshold. A window whose score is not finite (a diverged model, or inputs so large that the
     * squared error overflows float32) gets no output and stays out of the threshold: it has no
     * verdict, the topic's {@code score} is a non-null double, and JSON has no NaN or infinity.
     * It is counted in the model's prequential statistics instead
     * ({@link PrequentialStats#nonFinite()}, {@code prequential.nonfinite} in its checkpoint).
     */
    private static void emitScores(BatchItem item, List<Timestep.ObjectInput> objects, ObjectBatch batch, int t,
                                   StepResult result, long modelVersion, PrequentialStats stats, ModelExtras extras,
                                   Outputs out) {
        StreamingQuantile threshold = ((AnomalyThreshold) extras).quantile;
        float[] scores = result.objectPredictions();
        int first = batch.firstObject(t);
        for (int i = 0; i < objects.size(); i++) {
            double score = scores[first + i];
            if (!Double.isFinite(score)) {
                stats.addNonFinite(1);
                continue;
            }
            StreamingQuantile.Verdict verdict = threshold.observe(score);
            double current = verdict.threshold();
            out.anomalyScore(item.series(), AnomalyScore.newBuilder()
                    .setSeries(item.series())
                    .setTimestep(item.timestep().timestep())
                    .setObject(objects.get(i).id())
                    .setScore(score)
                    // +Infinity during the warm-up: JSON has no infinity, and "no threshold yet" is what it means.
                    .setThreshold(Double.isFinite(current) ? current : null)
                    .setAnomaly(verdict.anomaly())
                    .setModelVersion(modelVersion)
                    .build(), item.timestamp());
        }
    }

    /** The model's anomaly threshold, kept in its checkpoint ({@link ThresholdState}). */
    static final class AnomalyThreshold implements ModelExtras {
        final StreamingQuantile quantile;

        AnomalyThreshold(StreamingQuantile quantile) {
            this.quantile = quantile;
        }

        @Override
        public void save(ModelCheckpoint.Builder checkpoint) {
            checkpoint.setThreshold(ThresholdState.write(quantile));
        }

        @Override
        public void restore(ModelCheckpoint checkpoint) {
            ThresholdState.read(checkpoint, quantile);
        }

        @Override
        public long memoryBytes() {
            return 2L * 8 * quantile.capacity();
        }
    }
}
