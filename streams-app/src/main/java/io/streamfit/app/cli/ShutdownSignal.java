package io.streamfit.app.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns Ctrl-C / SIGTERM into a signal the main thread waits for, and holds the JVM's exit until
 * the main thread has closed everything cleanly (commit, flush), so a stopped service loses nothing.
 */
public final class ShutdownSignal {

    private final CountDownLatch requested = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);

    public ShutdownSignal() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            requested.countDown();
            try {
                closed.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "streamfit-shutdown"));
    }

    /** Waits up to {@code timeout}; true when a shutdown was requested. */
    public boolean await(Duration timeout) throws InterruptedException {
        return requested.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Tells the shutdown hook that everything is closed. */
    public void closed() {
        closed.countDown();
    }
}
