package io.streamfit.app.pipeline;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap budget of the models in memory, shared by every task of an instance
 * ({@code models.cache.max.bytes}): each task's {@link ModelCache} adds what its models take and
 * lets its least recently used ones go while the instance is above the budget. Thread-safe.
 */
public final class ModelMemory {

    private final long maxBytes;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong models = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();
    private final AtomicLong loads = new AtomicLong();

    /** @param maxBytes the budget, bytes (>= 0; 0 keeps only the model each task is running) */
    public ModelMemory(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("models.cache.max.bytes must be >= 0, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    void add(long bytes, int count) {
        used.addAndGet(bytes);
        models.addAndGet(count);
    }

    boolean over() {
        return used.get() > maxBytes;
    }

    void evicted() {
        evictions.incrementAndGet();
    }

    void loaded() {
        loads.incrementAndGet();
    }

    /** The budget, bytes. */
    public long maxBytes() {
        return maxBytes;
    }

    /** What the models in memory take now, bytes (an estimate, see {@link ModelSlot#memoryBytes}). */
    public long usedBytes() {
        return used.get();
    }

    /** Models in memory now, over every task. */
    public long models() {
        return models.get();
    }

    /** Models that left memory for the budget since the start. */
    public long evictions() {
        return evictions.get();
    }

    /** Models read into memory (from a checkpoint, or new) since the start. */
    public long loads() {
        return loads.get();
    }
}
