package io.streamfit.app.kind;

import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;

/**
 * Where a kind sends what a model call produced: typed output records, keyed by series, with the
 * input record's timestamp, and the outcome of each timestep for the record counters. The stream
 * processor forwards them to its sinks; backfill, which only scores, discards them.
 */
public interface Outputs {

    void objectPrediction(String series, ObjectPrediction prediction, long timestamp);

    void sumPrediction(String series, SumPrediction prediction, long timestamp);

    /** Only kinds that declare {@link Sink#ANOMALY_SCORES} call this. */
    void anomalyScore(String series, AnomalyScore score, long timestamp);

    /** One input timestep is done: the model trained on it, or only predicted it. */
    void outcome(boolean trained);

    /**
     * A part of the supervision the kind left out of training, by reason (one of the metrics'
     * known skip reasons, e.g. an outlier target); counted, never emitted.
     */
    default void skippedUpdate(String reason) {
    }

    /**
     * An object's prediction with the schema's defaults (the champion, generation 0, no class
     * fields), which the outputs then stamp with the model's variant and generation. Set field by
     * field: Avro's builder looks the schema up and checks every field again for each of the tens of
     * thousands of predictions a second.
     */
    static ObjectPrediction objectPrediction(String series, long timestep, String object, double prediction,
                                             Double target, long modelVersion) {
        ObjectPrediction p = new ObjectPrediction();
        p.setSeries(series);
        p.setTimestep(timestep);
        p.setObject(object);
        p.setPrediction(prediction);
        p.setTarget(target);
        p.setModelVersion(modelVersion);
        p.setVariant("champion"); // the schema's default
        p.setGeneration(0);
        return p;
    }

    /**
     * A timestep's sum prediction with the schema's defaults (the champion, generation 0, no
     * expected counts), set field by field as {@link #objectPrediction} is.
     */
    static SumPrediction sumPrediction(String series, long timestep, double prediction, Double sumTarget, int objects,
                                       long modelVersion) {
        SumPrediction p = new SumPrediction();
        p.setSeries(series);
        p.setTimestep(timestep);
        p.setPrediction(prediction);
        p.setSumTarget(sumTarget);
        p.setObjects(objects);
        p.setModelVersion(modelVersion);
        p.setVariant("champion"); // the schema's default
        p.setGeneration(0);
        return p;
    }

    /** Outputs that go nowhere (backfill scores its first pass but emits nothing). */
    Outputs DISCARD = new Outputs() {
        @Override
        public void objectPrediction(String series, ObjectPrediction prediction, long timestamp) {
        }

        @Override
        public void sumPrediction(String series, SumPrediction prediction, long timestamp) {
        }

        @Override
        public void anomalyScore(String series, AnomalyScore score, long timestamp) {
        }

        @Override
        public void outcome(boolean trained) {
        }
    };

    /** The output streams a kind may write; each is a sink of the topology. */
    enum Sink {
        OBJECT_PREDICTIONS, SUM_PREDICTIONS, ANOMALY_SCORES
    }
}
