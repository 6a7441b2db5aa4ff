package io.streamfit.app.kind.sequence;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.streamfit.app.kind.BatchItem;
import io.streamfit.app.kind.BatchLogic;
import io.streamfit.app.kind.LearningExtras;
import io.streamfit.app.kind.ModelExtras;
import io.streamfit.app.kind.Outputs;
import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The batch logic of the sequence kinds: each record appends every object's features to that
 * object's window in the logged window store, and the windows that are full (and at their stride)
 * form the record's batch, one row of W * m values per object. A timestep none of whose windows is
 * ready emits nothing. The windows are written only in {@link Assembled#commit}, after a
 * successful model call, so a record that goes to the dead letters leaves no trace in them.
 *
 * <p>A model whose extras are {@link LearningExtras} (lstm-regressor) has its outlier rule applied
 * to the targets that enter the batch: an object target, or the record's sum target per object
 * when every object is in the batch, that the rule rejects is left out of the supervision (the
 * window is still predicted) and counted as a skipped update. Only targets that enter the batch
 * are judged, so the scale holds the targets the model could train on, not those of objects still
 * filling their window.
 */
final class WindowedBatches implements BatchLogic {

    /** Maps the windowed objects of one record to outputs and scores them. */
    @FunctionalInterface
    interface WindowMapping {
        /**
         * @param objects the record's objects whose window is in the batch, in record order
         * @param t       the record's timestep in the batch
         */
        void emit(BatchItem item, List<Timestep.ObjectInput> objects, ObjectBatch batch, int t, StepResult result,
                  long modelVersion, PrequentialStats stats, ModelExtras extras, Outputs out);
    }

    private final KeyValueStore<String, byte[]> windows;
    private final int window;
    private final int features;
    private final int stride;
    private final boolean selfSupervised;
    private final WindowMapping mapping;
    private final float[] denseRow;

    WindowedBatches(KeyValueStore<String, byte[]> windows, int window, int features, int stride,
                    boolean selfSupervised, WindowMapping mapping) {
        this.windows = windows;
        this.window = window;
        this.features = features;
        this.stride = stride;
        this.selfSupervised = selfSupervised;
        this.mapping = mapping;
        this.denseRow = new float[features];
    }

    @Override
    public Assembled assemble(ObjectBatch batch, List<? extends BatchItem> items) {
        return assemble(batch, items, (LearningExtras) null);
    }

    @Override
    public Assembled assemble(ObjectBatch batch, List<? extends BatchItem> items, ModelExtras extras) {
        return assemble(batch, items, extras instanceof LearningExtras l ? l : null);
    }

    /** @param learning the model's outlier scales, or {@code null} for none */
    private Assembled assemble(ObjectBatch batch, List<? extends BatchItem> items, LearningExtras learning) {
        if (learning != null) {
            learning.beginBatch();
        }
        int outliers = 0;
        Map<String, ObjectWindow> touched = new LinkedHashMap<>();
        // Per item: its objects whose window is in the batch, and its batch timestep (-1: none).
        List<List<Timestep.ObjectInput>> rows = new ArrayList<>(items.size());
        int[] batchTimestep = new int[items.size()];
        for (int t = 0; t < items.size(); t++) {
            BatchItem item = items.get(t);
            List<Timestep.ObjectInput> ready = new ArrayList<>();
            batchTimestep[t] = -1;
            for (Timestep.ObjectInput o : item.timestep().objects()) {
                String key = ObjectWindow.key(item.series(), o.id());
                ObjectWindow w = touched.get(key);
                if (w == null) {
                    w = ObjectWindow.decode(windows.get(key), window, features);
                    touched.put(key, w);
                }
                w.append(densify(o.features()));
                if (w.ready(stride)) {
                    if (batchTimestep[t] < 0) {
                        batchTimestep[t] = batch.beginTimestep();
                    }
                    boolean hasTarget = o.target() != null;
                    if (hasTarget && learning != null && !learning.acceptObjectTarget(o.target())) {
                        hasTarget = false;
                        outliers++;
                    }
                    batch.addDense(w.values(), 0, hasTarget, hasTarget ? o.target().floatValue() : 0f);
                    ready.add(o);
                }
            }
            if (batchTimestep[t] >= 0) {
                // The record's sum target is the sum over all its objects: it only fits when all are in the batch.
                if (item.timestep().hasSumTarget() && ready.size() == item.timestep().objects().size()) {
                    double sum = item.timestep().sumTarget()[0];
                    if (learning == null || learning.acceptSumTarget(sum, ready.size())) {
                        batch.setSumTarget((float) sum);
                    } else {
                        // Left unset, the sum is derived from the objects' accepted targets when each has one.
                        outliers++;
                    }
                }
                batch.endTimestep();
            }
            rows.add(ready);
        }
        int skipped = outliers;
        return new Assembled() {
            @Override
            public boolean hasObjects() {
                return batch.objects() > 0;
            }

            @Override
            public boolean train() {
                return selfSupervised || batch.anySupervised();
            }

            @Override
            public void emit(StepResult result, long modelVersion, PrequentialStats stats, ModelExtras extras,
                             Outputs out) {
                for (int t = 0; t < items.size(); t++) {
                    int bt = batchTimestep[t];
                    if (bt >= 0) {
                        mapping.emit(items.get(t), rows.get(t), batch, bt, result, modelVersion, stats, extras, out);
                    }
                    out.outcome(bt >= 0 && result.updated() && (selfSupervised || batch.supervised(bt)));
                }
                for (int i = 0; i < skipped; i++) {
                    out.skippedUpdate(StreamfitMetrics.SKIP_OUTLIER_TARGET);
                }
            }

            @Override
            public void commit() {
                touched.forEach((key, w) -> windows.put(key, w.encode()));
            }
        };
    }

    /** Deletes the windows of every object of {@code series} (tombstones on the window store's changelog). */
    @Override
    public void forget(String series) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = windows.prefixScan(ObjectWindow.key(series, ""),
                new StringSerializer())) {
            while (it.hasNext()) {
                keys.add(it.next().key);
            }
        }
        keys.forEach(windows::delete);
    }

    /** An object's features as m dense values (a sparse vector's absent entries are zero). */
    private float[] densify(FeatureVector values) {
        if (values instanceof FeatureVector.Dense d) {
            return d.values();
        }
        Arrays.fill(denseRow, 0f);
        if (values instanceof FeatureVector.Sparse s) {
            int[] idx = s.indices();
            float[] val = s.values();
            for (int j = 0; j < idx.length; j++) {
                denseRow[idx[j]] += val[j];
            }
        }
        return denseRow;
    }
}
