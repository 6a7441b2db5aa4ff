package io.streamfit.model;

import java.util.Arrays;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * A feed tensor kept across session runs and rewritten in place while its shape stays the same,
 * so a stream of equally sized records allocates no native memory per run. Safe because a session
 * run keeps no reference to its feeds after it returns and every use rewrites all values.
 *
 * @param <T> the tensor type
 */
final class FeedTensor<T extends TType> implements AutoCloseable {

    private final Class<T> type;
    private T tensor;
    private long[] dims;

    FeedTensor(Class<T> type) {
        this.type = type;
    }

    /** {@code values[0, length)} as a float tensor of shape {@code dims} (length = its size). */
    static TFloat32 write(FeedTensor<TFloat32> feed, float[] values, int length, long... dims) {
        TFloat32 t = feed.shaped(dims);
        t.asRawTensor().data().asFloats().write(values, 0, length);
        return t;
    }

    /** {@code values[0, length)} as an int tensor of shape {@code dims} (length = its size). */
    static TInt32 write(FeedTensor<TInt32> feed, int[] values, int length, long... dims) {
        TInt32 t = feed.shaped(dims);
        t.asRawTensor().data().asInts().write(values, 0, length);
        return t;
    }

    /** A scalar long tensor holding {@code value}. */
    static TInt64 scalar(FeedTensor<TInt64> feed, long value) {
        TInt64 t = feed.shaped(new long[0]);
        t.setLong(value);
        return t;
    }

    /** A scalar float tensor holding {@code value}. */
    static TFloat32 scalar(FeedTensor<TFloat32> feed, float value) {
        TFloat32 t = feed.shaped(new long[0]);
        t.setFloat(value);
        return t;
    }

    private T shaped(long[] wanted) {
        if (tensor == null || !Arrays.equals(dims, wanted)) {
            close();
            tensor = Tensor.of(type, Shape.of(wanted));
            dims = wanted.clone();
        }
        return tensor;
    }

    @Override
    public void close() {
        if (tensor != null) {
            tensor.close();
            tensor = null;
        }
    }
}
