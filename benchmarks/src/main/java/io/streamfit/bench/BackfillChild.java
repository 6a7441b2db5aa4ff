package io.streamfit.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import io.streamfit.app.cli.StreamfitCli;
import picocli.CommandLine;

/**
 * The JVM that {@link BackfillBench} measures: runs one {@code streamfit} command (a backfill) and
 * then prints what it cost in memory, from inside, on one line that starts with {@code MEMORY}:
 * the process's peak resident set (VmHWM), the peak heap in use (sum of the heap pools' peaks,
 * garbage included), and the heap still live after a full GC at the end.
 */
public final class BackfillChild {

    private BackfillChild() {
    }

    public static void main(String[] args) throws IOException {
        int code = new CommandLine(new StreamfitCli()).execute(args);
        long peakHeap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peakHeap += pool.getPeakUsage().getUsed();
            }
        }
        System.gc();
        long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.printf(Locale.ROOT, "MEMORY exit=%d peak_rss_kb=%d peak_heap_bytes=%d live_heap_bytes=%d%n", code,
                vmHwmKb(), peakHeap, live);
        System.exit(code);
    }

    /** Peak resident set size of this process in KiB (Linux {@code /proc/self/status}), or -1. */
    static long vmHwmKb() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
