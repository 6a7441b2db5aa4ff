package io.streamfit.app.http;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.micrometer.core.instrument.Counter;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Closes a connection that has not delivered a whole request head (request line and headers)
 * within the read timeout of opening, or of its previous response.
 *
 * <p>Jetty parses requests without holding a thread, but its idle timeout restarts at every byte:
 * a client that sends its headers a byte at a time would keep its connection for as long as it
 * likes. This deadline does not move with the bytes. It is armed when a connection opens and when
 * a response completes, and disarmed when a request reaches the handler.
 */
final class RequestDeadline implements Connection.Listener {

    private final Scheduler scheduler;
    private final long timeoutMs;
    private final Counter timeouts;
    private final Map<Connection, Armed> armed = new ConcurrentHashMap<>();

    RequestDeadline(Scheduler scheduler, long timeoutMs, Counter timeouts) {
        this.scheduler = scheduler;
        this.timeoutMs = timeoutMs;
        this.timeouts = timeouts;
    }

    @Override
    public void onOpened(Connection connection) {
        arm(connection);
    }

    @Override
    public void onClosed(Connection connection) {
        disarm(connection);
    }

    /** A whole request head arrived on {@code connection}: it is served, whatever the clock. */
    void disarm(Connection connection) {
        Armed a = armed.remove(connection);
        if (a != null) {
            a.cancel();
        }
    }

    /**
     * The connection's next request head must arrive within the timeout. Called before a response
     * is completed, so that a pipelined request, which Jetty parses as soon as the response
     * completes, finds the deadline armed and disarms it.
     */
    void arm(Connection connection) {
        Armed a = new Armed(connection);
        Armed before = armed.put(connection, a);
        if (before != null) {
            before.cancel();
        }
        a.task = scheduler.schedule(a, timeoutMs, TimeUnit.MILLISECONDS);
        if (!connection.getEndPoint().isOpen()) {
            disarm(connection); // it closed meanwhile, after onClosed: do not keep it in the map
        }
    }

    /** Connections with a deadline running (for tests). */
    int armedCount() {
        return armed.size();
    }

    private final class Armed implements Runnable {
        private final Connection connection;
        private volatile Scheduler.Task task;

        Armed(Connection connection) {
            this.connection = connection;
        }

        @Override
        public void run() {
            // Only the deadline still in the map fires: one that was replaced or disarmed is stale.
            if (armed.remove(connection, this)) {
                timeouts.increment();
                connection.getEndPoint().close(new TimeoutException(
                        "no complete request head within " + timeoutMs + " ms"));
            }
        }

        void cancel() {
            Scheduler.Task t = task;
            if (t != null) {
                t.cancel();
            }
        }
    }
}
