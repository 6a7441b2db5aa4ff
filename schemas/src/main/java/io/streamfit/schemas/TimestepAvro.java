package io.streamfit.schemas;

import io.streamfit.schemas.avro.ObjectRecord;
import io.streamfit.schemas.avro.SparseFeatures;
import io.streamfit.schemas.avro.TimestepRecord;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.PrimitivesArrays;

/**
 * Conversions between the Avro twin of the input record, {@link TimestepRecord}, and the lean
 * {@link Timestep} the processor works with.
 *
 * <p>Avro's reader already stores {@code array<float>} unboxed ({@link PrimitivesArrays.FloatArray});
 * the conversion copies those primitives out without boxing, and builds such arrays when writing.
 * A one-element {@code sumTarget} becomes the plain double branch of the union, like the JSON
 * writer's plain number; any other length becomes the array branch.
 */
public final class TimestepAvro {

    private static final Schema DENSE_SCHEMA = ObjectRecord.getClassSchema().getField("features").schema()
            .getTypes().get(0);
    private static final Schema INDICES_SCHEMA = SparseFeatures.getClassSchema().getField("indices").schema();
    private static final Schema VALUES_SCHEMA = SparseFeatures.getClassSchema().getField("values").schema();
    private static final Schema SUM_ARRAY_SCHEMA = TimestepRecord.getClassSchema().getField("sumTarget").schema()
            .getTypes().get(2);

    private TimestepAvro() {
    }

    /**
     * The decoded form of {@code record}.
     *
     * @throws InvalidRecordException {@code missing-field}, {@code wrong-type} or {@code length-mismatch}
     *                                when a record built in code breaks what the schema would enforce
     */
    public static Timestep fromRecord(TimestepRecord record) {
        List<ObjectRecord> in = record.getObjects();
        if (in == null) {
            throw new InvalidRecordException(InvalidRecordException.MISSING_FIELD, "objects", "required field is null");
        }
        List<Timestep.ObjectInput> objects = new ArrayList<>(in.size());
        for (int i = 0, n = in.size(); i < n; i++) {
            ObjectRecord o = in.get(i);
            if (o == null || o.getId() == null) {
                throw new InvalidRecordException(InvalidRecordException.MISSING_FIELD,
                        "objects[" + i + "]" + (o == null ? "" : ".id"), "required field is null");
            }
            objects.add(new Timestep.ObjectInput(o.getId(), features(o.getFeatures(), i), o.getTarget(), o.getLabel()));
        }
        return new Timestep(record.getSeries(), record.getTimestep(), objects, sumTarget(record.getSumTarget()));
    }

    /** The Avro form of {@code timestep}. */
    public static TimestepRecord toRecord(Timestep timestep) {
        List<ObjectRecord> objects = new ArrayList<>(timestep.objects().size());
        for (Timestep.ObjectInput o : timestep.objects()) {
            Object features;
            if (o.features() instanceof FeatureVector.Dense d) {
                features = floatArray(d.values(), DENSE_SCHEMA);
            } else {
                FeatureVector.Sparse s = (FeatureVector.Sparse) o.features();
                PrimitivesArrays.IntArray indices = new PrimitivesArrays.IntArray(s.indices().length, INDICES_SCHEMA);
                for (int index : s.indices()) {
                    indices.add(indices.size(), index);
                }
                features = new SparseFeatures(indices, floatArray(s.values(), VALUES_SCHEMA));
            }
            objects.add(new ObjectRecord(o.id(), features, o.target(), o.label()));
        }
        double[] sum = timestep.sumTarget();
        Object sumTarget;
        if (sum == null) {
            sumTarget = null;
        } else if (sum.length == 1) {
            sumTarget = sum[0];
        } else {
            PrimitivesArrays.DoubleArray values = new PrimitivesArrays.DoubleArray(sum.length, SUM_ARRAY_SCHEMA);
            for (double v : sum) {
                values.add(values.size(), v);
            }
            sumTarget = values;
        }
        return new TimestepRecord(timestep.series(), timestep.timestep(), objects, sumTarget);
    }

    private static PrimitivesArrays.FloatArray floatArray(float[] values, Schema schema) {
        PrimitivesArrays.FloatArray out = new PrimitivesArrays.FloatArray(values.length, schema);
        for (float v : values) {
            out.add(out.size(), v); // (index, float): append without boxing
        }
        return out;
    }

    private static FeatureVector features(Object features, int object) {
        if (features instanceof List<?> dense) {
            return new FeatureVector.Dense(floats(dense, "objects[" + object + "].features"));
        }
        if (features instanceof SparseFeatures sparse) {
            String path = "objects[" + object + "].features";
            int[] indices = ints(sparse.getIndices(), path + ".indices");
            float[] values = floats(sparse.getValues(), path + ".values");
            if (indices.length != values.length) {
                throw new InvalidRecordException(InvalidRecordException.LENGTH_MISMATCH, path,
                        indices.length + " indices but " + values.length + " values");
            }
            return new FeatureVector.Sparse(indices, values);
        }
        String path = "objects[" + object + "].features";
        if (features == null) {
            throw new InvalidRecordException(InvalidRecordException.MISSING_FIELD, path, "required field is null");
        }
        throw new InvalidRecordException(InvalidRecordException.WRONG_TYPE, path,
                "expected an array of floats or SparseFeatures, got " + features.getClass().getSimpleName());
    }

    private static float[] floats(List<?> list, String path) {
        if (list == null) {
            throw new InvalidRecordException(InvalidRecordException.MISSING_FIELD, path, "required field is null");
        }
        float[] out = new float[list.size()];
        if (list instanceof PrimitivesArrays.FloatArray fa) {
            for (int j = 0; j < out.length; j++) {
                out[j] = fa.getFloat(j);
            }
            return out;
        }
        for (int j = 0; j < out.length; j++) {
            if (!(list.get(j) instanceof Float f)) {
                throw elementError(list.get(j), path, j, "a float");
            }
            out[j] = f;
        }
        return out;
    }

    private static int[] ints(List<Integer> list, String path) {
        if (list == null) {
            throw new InvalidRecordException(InvalidRecordException.MISSING_FIELD, path, "required field is null");
        }
        int[] out = new int[list.size()];
        if (list instanceof PrimitivesArrays.IntArray ia) {
            for (int j = 0; j < out.length; j++) {
                out[j] = ia.getInt(j);
            }
            return out;
        }
        for (int j = 0; j < out.length; j++) {
            Integer v = list.get(j);
            if (v == null) {
                throw elementError(null, path, j, "an int");
            }
            out[j] = v;
        }
        return out;
    }

    private static double[] sumTarget(Object sumTarget) {
        if (sumTarget == null) {
            return null;
        }
        if (sumTarget instanceof Double d) {
            return new double[] {d};
        }
        if (sumTarget instanceof List<?> list) {
            double[] out = new double[list.size()];
            if (list instanceof PrimitivesArrays.DoubleArray da) {
                for (int j = 0; j < out.length; j++) {
                    out[j] = da.getDouble(j);
                }
                return out;
            }
            for (int j = 0; j < out.length; j++) {
                if (!(list.get(j) instanceof Double d)) {
                    throw elementError(list.get(j), "sumTarget", j, "a double");
                }
                out[j] = d;
            }
            return out;
        }
        throw new InvalidRecordException(InvalidRecordException.WRONG_TYPE, "sumTarget",
                "expected a double or an array of doubles, got " + sumTarget.getClass().getSimpleName());
    }

    private static InvalidRecordException elementError(Object got, String path, int j, String expected) {
        return new InvalidRecordException(got == null ? InvalidRecordException.MISSING_FIELD : InvalidRecordException.WRONG_TYPE,
                path + "[" + j + "]", "expected " + expected + ", got " + (got == null ? "null" : got.getClass().getSimpleName()));
    }
}
