package io.streamfit.app.it;

import static io.streamfit.app.it.ChildApp.freePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.streamfit.app.names.Names;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.SmallRocksDbWrites;
import io.streamfit.app.testing.TestConfigs;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk: {@code streamfit run} (a child JVM) keeps its state on a small tmpfs, which the
 * test fills while the app runs. The app must stop with a clear error, exit non-zero, and
 * dead-letter nothing. It needs root (or the right to mount) and skips itself, saying so, where
 * {@code mount -t tmpfs} is refused; {@link StoreFaultIT} shows the same stop on every machine with
 * a store that reports the full disk as RocksDB does.
 */
@Slow
class DiskFullIT {

    private static final int M = 6;
    private static final int SERIES = 5;
    private static final int BATCH = 4;
    private static final int BEFORE = 50;
    private static final int TIMESTEPS = 400;
    private static final String APP = "disk-full";

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    @TempDir
    Path dir;

    @Test
    void aFullStateDiskStopsStreamfitRunWithANonZeroExitAndDeadLettersNothing() throws Exception {
        Path state = Files.createDirectories(dir.resolve("state"));
        mountTmpfs(state, "32m");
        ChildApp child = null;
        Path log = dir.resolve("child.log");
        try {
            FaultStream input = FaultStream.create(broker, APP, SERIES, M, TIMESTEPS, 2);
            Map<String, String> config = TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app(APP)
                    .stateDir(state).partitions(2).topicPrefix(APP + "-")
                    .with("model.hidden", 8)
                    .with("batch.timesteps", BATCH)
                    .with("batch.max.wait.ms", Duration.ofHours(1).toMillis())
                    .with("batch.flush.when.idle", false)
                    .with("commit.interval.ms", 100)
                    // RocksDB writes its memtables to disk after 64 KiB instead of 16 MiB.
                    .with("rocksdb.config.setter", SmallRocksDbWrites.class.getName())
                    .toMap();
            child = ChildApp.start(config, dir, log, freePort());
            input.produce(0, BEFORE);
            ChildApp running = child;
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(300))
                    .until(() -> !running.alive() || input.committedSums() >= SERIES * (BEFORE / BATCH * BATCH));
            assertThat(child.alive()).as("child alive before the disk fills; log:%n%s", tail(log)).isTrue();

            long filled = fill(state.resolve("filler"));
            input.produceInSteps(BEFORE, TIMESTEPS, 10, Duration.ofMillis(100));
            try {
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> !running.alive());
            } catch (ConditionTimeoutException e) {
                throw new AssertionError("streamfit still runs 90 s after its state disk filled (" + filled
                        + " bytes of filler; " + input.committedSums() + " sums committed); log:\n" + tail(log), e);
            }
            int exit = child.terminate(); // the process has exited: this only reads its exit code
            String childLog = Files.readString(log);
            assertThat(exit).as("exit code; log:%n%s", tail(log)).isNotZero();
            // The app's error log and the command's last word both say what failed, where and why.
            List<String> logged = childLog.lines().filter(l -> l.contains(" ERROR ") && l.contains("instance fault"))
                    .collect(Collectors.toList());
            List<String> stopped = childLog.lines().filter(l -> l.startsWith("streamfit run: stopped"))
                    .collect(Collectors.toList());
            System.out.printf("[DiskFullIT] exit %d after %d bytes of filler; %s%n", exit, filled, stopped);
            assertThat(logged).as("errors that stopped the app; log:%n%s", tail(log)).isNotEmpty();
            assertThat(stopped).as("the command's stop line; log:%n%s", tail(log)).hasSize(1);
            for (String line : List.of(logged.get(0), stopped.get(0))) {
                assertThat(line).contains("instance fault").contains("No space left on device")
                        .containsAnyOf(Names.MODEL_STORE, Names.PENDING_STORE);
            }
            assertThat(input.committedSums()).as("committed sum predictions").isLessThan(SERIES * TIMESTEPS);
            assertThat(input.deadLetterTopicUntouched()).as("no dead letter written, not even an aborted one").isTrue();
        } finally {
            if (child != null) {
                child.close();
            }
            unmount(state);
        }
    }

    /** Mounts a tmpfs of {@code size} on {@code at}, or skips the test when that is refused. */
    private static void mountTmpfs(Path at, String size) throws InterruptedException {
        String why;
        try {
            Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at.toString())
                    .redirectErrorStream(true).start();
            String out = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0) {
                return;
            }
            why = "mount exited " + (mount.isAlive() ? "(still running)" : mount.exitValue()) + ": " + out;
        } catch (IOException e) {
            why = e.getMessage();
        }
        Assumptions.abort("a real full disk needs a small tmpfs as the state dir, and mounting one was refused ("
                + why + "); run as root to include it. StoreFaultIT covers the same stop with a store that "
                + "reports the full disk");
    }

    private static void unmount(Path at) throws IOException, InterruptedException {
        if (new ProcessBuilder("umount", at.toString()).inheritIO().start().waitFor() != 0) {
            // Busy (a process still holds a file): detach it now, the kernel frees it when released.
            new ProcessBuilder("umount", "-l", at.toString()).inheritIO().start().waitFor();
        }
    }

    /** Writes {@code file} until the disk under it is full; returns the bytes written. */
    private static long fill(Path file) {
        long written = 0;
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = new FileOutputStream(file.toFile())) {
            while (true) {
                out.write(chunk);
                written += chunk.length;
            }
        } catch (IOException full) {
            assertThat(full.getMessage()).as("why the filler stopped").contains("No space left on device");
        }
        // The last bytes of the disk, in smaller pieces.
        try (OutputStream out = new FileOutputStream(file.resolveSibling("filler-2").toFile())) {
            while (true) {
                out.write(chunk, 0, 512);
                out.flush();
                written += 512;
            }
        } catch (IOException full) {
            // full
        }
        return written;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }
}
