package io.streamfit.app.screen;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.streamfit.app.errors.Rejection;
import io.streamfit.app.kind.Supervision;
import io.streamfit.schemas.avro.TimestepRecord;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * The screen decodes within the model's limits (the validator's m, max.objects and sum length, plus
 * max.id.bytes) and checks the key: hostile records are rejected with a reason, early.
 */
class RecordScreenTest {

    private static final int M = 3;
    private static final TimestepValidator VALIDATOR = new TimestepValidator(M, 4096, Supervision.TARGETS,
            Long.MAX_VALUE, 1);
    private static final RecordScreen SCREEN = new RecordScreen(VALIDATOR, 8 * 1024 * 1024, 256);
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static RecordScreen.Outcome screen(byte[] key, byte[] value) {
        return SCREEN.screen("features", new RecordHeaders(), key, value);
    }

    private static Rejection rejection(String key, byte[] value) {
        Rejection r = screen(key.getBytes(UTF_8), value).rejection();
        assertThat(r).as("rejected").isNotNull();
        return r;
    }

    /** Bytes the screen allocates on a second run (the first loads classes). */
    private static long allocated(byte[] key, byte[] value) {
        screen(key, value);
        long before = THREADS.getCurrentThreadAllocatedBytes();
        screen(key, value);
        return THREADS.getCurrentThreadAllocatedBytes() - before;
    }

    /** {@code c3 01}, TimestepRecord's fingerprint, series' string branch, a length of 2,000,000,000. */
    static byte[] sixteenBytes() {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0xC3).put((byte) 0x01);
        b.putLong(SchemaNormalization.parsingFingerprint64(TimestepRecord.getClassSchema()));
        b.put(new byte[] {0x02, (byte) 0x80, (byte) 0xD0, (byte) 0xAC, (byte) 0xF3, 0x0E});
        return b.array();
    }

    private static byte[] json(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void theSixteenByteAvroValueIsUnparsable() {
        Rejection r = rejection("s", sixteenBytes());

        assertThat(r.reason()).isEqualTo(Rejection.UNPARSABLE);
        assertThat(r.message()).startsWith("series: ");
        assertThat(allocated(json("s"), sixteenBytes())).isLessThan(64 * 1024);
    }

    @Test
    void twoHundredThousandTinyObjectsAreTooManyBeforeTheyAreDecoded() {
        StringBuilder sb = new StringBuilder("{\"timestep\":1,\"objects\":[");
        for (int i = 0; i < 200_000; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"id\":\"o\",\"features\":[0,0,0]}");
        }
        byte[] value = json(sb.append("]}").toString());

        assertThat(rejection("s", value).reason()).isEqualTo(Rejection.TOO_MANY_OBJECTS);
        assertThat(allocated(json("s"), value)).isLessThan(value.length / 4);
    }

    @Test
    void idsAndKeysLongerThanMaxIdBytesAreTooLarge() {
        Rejection id = rejection("s", json("{\"timestep\":1,\"objects\":[{\"id\":\"" + "i".repeat(257)
                + "\",\"features\":[1,2,3]}]}"));
        Rejection key = rejection("k".repeat(257), json("{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[1,2,3]}]}"));

        assertThat(id.reason()).isEqualTo(Rejection.TOO_LARGE);
        assertThat(id.message()).startsWith("objects[0].id: ").contains("max.id.bytes=256").doesNotContain("iiii");
        assertThat(key.reason()).isEqualTo(Rejection.TOO_LARGE);
        assertThat(key.message()).isEqualTo("record key has 257 bytes, more than max.id.bytes=256");
    }

    @Test
    void aKeyOfMalformedUtf8IsRejectedNotReplaced() {
        byte[] value = json("{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[1,2,3]}]}");
        byte[] surrogate = {'s', (byte) 0xED, (byte) 0xA0, (byte) 0x80};

        RecordScreen.Outcome bad = screen(surrogate, value);
        RecordScreen.Outcome good = screen("s-\u00e9-\uD83D\uDE00".getBytes(UTF_8), value);

        assertThat(bad.rejection().reason()).isEqualTo(Rejection.UNPARSABLE);
        assertThat(bad.rejection().message()).isEqualTo("record key: not well-formed UTF-8 at byte 2");
        assertThat(good.rejection()).isNull();
        assertThat(good.series()).isEqualTo("s-\u00e9-\uD83D\uDE00");
    }

    @Test
    void malformedUtf8InAnIdIsUnparsable() {
        ByteArrayOutputStream value = new ByteArrayOutputStream();
        value.writeBytes(json("{\"timestep\":1,\"objects\":[{\"id\":\"a"));
        value.writeBytes(new byte[] {(byte) 0xC0, (byte) 0xAF});
        value.writeBytes(json("\",\"features\":[1,2,3]}]}"));

        Rejection r = rejection("s", value.toByteArray());

        assertThat(r.reason()).isEqualTo(Rejection.UNPARSABLE);
        assertThat(r.message()).startsWith("objects[0].id: not well-formed UTF-8");
    }

    @Test
    void aFeatureArrayLongerThanMStopsAtM() {
        StringBuilder sb = new StringBuilder("{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[");
        for (int i = 0; i < 1_000_000; i++) {
            sb.append(i == 0 ? "" : ",").append('1');
        }
        byte[] value = json(sb.append("]}]}").toString());

        Rejection r = rejection("s", value);

        assertThat(r.reason()).isEqualTo(Rejection.WRONG_FEATURE_COUNT);
        assertThat(r.message()).isEqualTo("objects[0].features[3]: more than m=3 values");
        assertThat(allocated(json("s"), value)).isLessThan(64 * 1024);
    }

    @Test
    void repeatedSparseIndicesAreDuplicateIndex() {
        Rejection r = rejection("s", json("{\"timestep\":1,\"objects\":[{\"id\":\"a\","
                + "\"features\":{\"indices\":[2,2],\"values\":[3e38,3e38]}}]}"));

        assertThat(r.reason()).isEqualTo(Rejection.DUPLICATE_INDEX);
    }
}
