package io.streamfit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What every thread of this JVM, native ones included, did with the cores between two points,
 * from Linux's per-thread scheduler statistics ({@code /proc/self/task/TID/schedstat}: nanoseconds
 * run on a core and nanoseconds runnable but waiting for one). {@code ThreadMXBean} sees only
 * Java threads; this also sees the garbage collector's and the JIT compiler's, and how long
 * threads that wanted a core had to wait for it, which on a 2-core machine is where a
 * side-by-side rate goes when the service and the in-JVM broker both want both cores.
 *
 * <p>Threads are told apart by their name as Linux keeps it ({@code comm}: the Java name cut to
 * 15 bytes). Where {@code /proc} cannot be read (not Linux), snapshots are empty and the report
 * says so.
 */
final class CoreUse {

    private static final Path TASKS = Path.of("/proc/self/task");

    /** Run and wait time of one thread, ns. */
    record Times(String name, long runNanos, long waitNanos) {
    }

    /** The threads of this JVM, by Linux thread id, at one point. */
    record Snapshot(Map<Long, Times> threads) {
    }

    /** Run and wait time per kind of thread between two snapshots, ns. */
    record Split(long gcNanos, long jitNanos, long allNanos, long waitNanos, long appWaitNanos, long appRunNanos) {
    }

    private CoreUse() {
    }

    /** The threads of this JVM now (empty where {@code /proc/self/task} cannot be read). */
    static Snapshot snapshot() {
        Map<Long, Times> threads = new HashMap<>();
        try (Stream<Path> tasks = Files.list(TASKS)) {
            tasks.forEach(task -> {
                try {
                    String[] stat = Files.readString(task.resolve("schedstat")).trim().split(" ");
                    String name = Files.readString(task.resolve("comm")).strip();
                    threads.put(Long.parseLong(task.getFileName().toString()),
                            new Times(name, Long.parseLong(stat[0]), Long.parseLong(stat[1])));
                } catch (IOException | RuntimeException e) {
                    // The thread ended between the listing and the read: it is left out.
                }
            });
        } catch (IOException | RuntimeException e) {
            return new Snapshot(Map.of());
        }
        return new Snapshot(threads);
    }

    /**
     * What each thread did between {@code from} and {@code to}: its run and wait time in between.
     * A thread that started in between counts whole (so does one whose id Linux gave again to a
     * thread of another name); one that ended in between is missing (the JVM's threads outlive a
     * drain).
     */
    static List<Times> since(Snapshot from, Snapshot to) {
        List<Times> out = new ArrayList<>();
        for (Map.Entry<Long, Times> e : to.threads().entrySet()) {
            Times now = e.getValue();
            Times before = from.threads().get(e.getKey());
            boolean same = before != null && before.name().equals(now.name());
            out.add(same ? new Times(now.name(), now.runNanos() - before.runNanos(),
                    now.waitNanos() - before.waitNanos()) : now);
        }
        return out;
    }

    /**
     * Run and wait time between {@code from} and {@code to} ({@link #since}), split by kind of thread.
     *
     * @param appPrefix the start of the Linux names of the application's own threads (Kafka
     *                  Streams names them {@code <application.id>-<uuid>-...})
     */
    static Split between(Snapshot from, Snapshot to, String appPrefix) {
        String prefix = appPrefix.length() > 15 ? appPrefix.substring(0, 15) : appPrefix;
        long gc = 0;
        long jit = 0;
        long all = 0;
        long wait = 0;
        long appWait = 0;
        long appRun = 0;
        for (Times t : since(from, to)) {
            all += t.runNanos();
            wait += t.waitNanos();
            String name = t.name();
            if (isGc(name)) {
                gc += t.runNanos();
            } else if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
                jit += t.runNanos();
            } else if (name.startsWith(prefix)) {
                appRun += t.runNanos();
                appWait += t.waitNanos();
            }
        }
        return new Split(gc, jit, all, wait, appWait, appRun);
    }

    /**
     * The {@code n} thread names (as Linux keeps them) that ran most between the snapshots, with
     * their run time per record, threads of the same name together: where "the rest" went.
     */
    static String busiest(Snapshot from, Snapshot to, int n, int records) {
        Map<String, Long> byName = new HashMap<>();
        for (Times t : since(from, to)) {
            byName.merge(t.name(), t.runNanos(), Long::sum);
        }
        StringBuilder out = new StringBuilder();
        byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
                .forEach(e -> out.append(out.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
                        .append(String.format(Locale.ROOT, "%.1f", e.getValue() / 1e3 / records)));
        return out.toString();
    }

    /**
     * HotSpot's garbage collector threads (G1's, the parallel collector's workers) and the VM
     * thread that runs its pauses.
     */
    static boolean isGc(String name) {
        return name.startsWith("GC Thread") || name.startsWith("G1 ") || name.startsWith("VM Thread");
    }

    /**
     * The split per record, one line; {@code ""} when nothing was measured.
     */
    static String report(Split s, int records) {
        if (s.allNanos() <= 0) {
            return "";
        }
        double per = 1e3 * records;
        return String.format(Locale.ROOT, "cores: GC and safepoints %.1f us a record, JIT %.1f; threads waited for a core "
                        + "%.1f us a record in all, the application's own threads %.1f (they ran %.1f)",
                s.gcNanos() / per, s.jitNanos() / per, s.waitNanos() / per, s.appWaitNanos() / per,
                s.appRunNanos() / per);
    }
}
