package io.streamfit.schemas;

import java.lang.management.ManagementFactory;

/** Bytes the current thread allocates (HotSpot's per-thread counter, exact to a TLAB refill). */
final class Allocations {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Allocations() {
    }

    /**
     * Bytes {@code action} allocates on its second run: the first loads and initialises classes,
     * which is not the code under test.
     */
    static long of(Runnable action) {
        action.run();
        long before = THREADS.getCurrentThreadAllocatedBytes();
        action.run();
        return THREADS.getCurrentThreadAllocatedBytes() - before;
    }
}
