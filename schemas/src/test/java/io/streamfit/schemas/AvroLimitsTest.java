package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.SystemLimitException;
import org.junit.jupiter.api.Test;

class AvroLimitsTest {

    @Test
    void thePropertyNamesAreAvros() {
        assertThat(AvroLimits.STRING_PROPERTY).isEqualTo("org.apache.avro.limits.string.maxLength")
                .isEqualTo(SystemLimitException.MAX_STRING_LENGTH_PROPERTY);
        assertThat(AvroLimits.BYTES_PROPERTY).isEqualTo("org.apache.avro.limits.bytes.maxLength");
        assertThat(AvroLimits.COLLECTION_PROPERTY).isEqualTo("org.apache.avro.limits.collectionItems.maxLength");
    }

    @Test
    void limitsFollowTheLargestValueOfEachKind() {
        AvroLimits limits = AvroLimits.forValues(8 << 20, 64 << 20);

        assertThat(limits.maxStringBytes()).isEqualTo(8 << 20);
        assertThat(limits.maxBytes()).isEqualTo(64 << 20);
        assertThat(limits.maxCollectionItems()).isEqualTo(64 << 20);
        assertThat(AvroLimits.forValues(100 << 20, 64 << 20).maxBytes()).isEqualTo(100 << 20);
    }

    /** Avro reads its limits once per JVM, so each case runs in a JVM of its own. */
    private static Map<String, String> probe(String... args) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new java.util.ArrayList<>(List.of(java.toString(), "-Xmx512m", "-cp",
                System.getProperty("java.class.path"), AvroLimitsProbe.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, String> values = new HashMap<>();
        out.lines().filter(l -> l.contains("=")).forEach(l -> values.put(l.substring(0, l.indexOf('=')),
                l.substring(l.indexOf('=') + 1)));
        return values;
    }

    @Test
    void installedBeforeAvroDecodesTheLimitsStopAStreamedStringBeforeItIsAllocated() throws Exception {
        Map<String, String> without = probe();
        Map<String, String> with = probe("install");

        // Without limits Avro allocates the declared 100 MB before it finds that 10 bytes follow.
        assertThat(without.get("outcome")).isEqualTo("eof");
        assertThat(Long.parseLong(without.get("allocated"))).isGreaterThan(100_000_000L);
        assertThat(with.get("inForce")).isEqualTo("true");
        assertThat(with.get("outcome")).isEqualTo("limit");
        assertThat(Long.parseLong(with.get("allocated"))).isLessThan(1_000_000L);
    }
}
