package io.streamfit.schemas;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile values against the timestep decoders within {@link TimestepLimits}: each is rejected with
 * its reason and a field path, and decoding stops at the limit, which the bytes the decoding thread
 * allocates show (measured on a second run, so that class loading does not count).
 */
class BoundedDecodingTest {

    /** The service's defaults (max.objects, max.id.bytes) with m = 3 and a regressor's one sum target. */
    private static final TimestepLimits LIMITS = new TimestepLimits(4096, 256, 3, 1);
    private static final TimestepSerde SCREEN = StreamfitSerdes.timestep(LIMITS);
    /** Nothing a record could make the decoder allocate at a limit comes near this: exceptions and paths. */
    private static final long SMALL = 64 * 1024;

    private static InvalidRecordException failure(TimestepSerde serde, byte[] value) {
        InvalidRecordException e = catchThrowableOfType(InvalidRecordException.class,
                () -> serde.deserializer().deserialize("features", new RecordHeaders(), value));
        assertThat(e).as("decoding must fail").isNotNull();
        assertThat(e.getMessage()).startsWith(e.path() + ": ");
        return e;
    }

    private static long allocatedRejecting(TimestepSerde serde, byte[] value) {
        return Allocations.of(() -> failure(serde, value));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(UTF_8);
    }

    // ---- the 16-byte Avro value that stopped the service -----------------------------------------

    /** {@code c3 01}, the fingerprint, series' string branch, and a length of 2,000,000,000. */
    static byte[] sixteenBytes() {
        return AvroBytes.timestepRecord().varint(1).raw(0x80, 0xD0, 0xAC, 0xF3, 0x0E).bytes();
    }

    @Test
    void theSixteenByteValueThatStoppedTheServiceIsUnparsableWithoutAllocatingItsDeclaredString() {
        byte[] value = sixteenBytes();
        assertThat(value).hasSize(16);
        assertThat(Arrays.copyOfRange(value, 10, 16)).containsExactly(0x02, 0x80, 0xD0, 0xAC, 0xF3, 0x0E);

        for (TimestepSerde serde : new TimestepSerde[] {SCREEN, StreamfitSerdes.timestep(),
                StreamfitSerdes.timestepAvro(), (TimestepSerde) TopicRegistry.defaults().features().valueSerde()}) {
            InvalidRecordException e = failure(serde, value);

            assertThat(e.reason()).as("%s", serde).isEqualTo(InvalidRecordException.UNPARSABLE);
            assertThat(e.getMessage()).isEqualTo("series: malformed Avro TimestepRecord: a string declares "
                    + "2000000000 bytes, but 0 are left");
            assertThat(allocatedRejecting(serde, value)).as("%s", serde).isLessThan(SMALL);
        }
    }

    @Test
    void avrosOwnReaderOverTheValuesBytesRejectsTheSixteenBytesToo() {
        // The generic path (state stores use it) reads from the byte array, so Avro checks the length
        // against the bytes left before it allocates.
        InvalidRecordException e = catchThrowableOfType(InvalidRecordException.class,
                () -> TimestepSerde.AVRO.decode(sixteenBytes()));

        assertThat(e.reason()).isIn(InvalidRecordException.UNPARSABLE, InvalidRecordException.TOO_LARGE);
        assertThat(Allocations.of(() -> catchThrowableOfType(InvalidRecordException.class,
                () -> TimestepSerde.AVRO.decode(sixteenBytes())))).isLessThan(SMALL);
    }

    // ---- Avro arrays in one-item blocks ---------------------------------------------------------

    /** One object whose dense features come in {@code n} blocks of one float each. */
    private static byte[] oneFloatBlocks(int n) {
        AvroBytes b = AvroBytes.timestepRecord().varint(0).varint(1).varint(1).string("a").varint(0);
        for (int i = 0; i < n; i++) {
            b.varint(1).floatLe(i);
        }
        return b.varint(0).varint(0).varint(0).varint(0).varint(0).bytes();
    }

    @Test
    void denseFeaturesInOneFloatBlocksStopAtTheBlockPastM() {
        byte[] value = oneFloatBlocks(2_000_000); // 10 MB

        InvalidRecordException e = failure(SCREEN, value);

        assertThat(e.reason()).isEqualTo(InvalidRecordException.WRONG_FEATURE_COUNT);
        assertThat(e.getMessage()).isEqualTo("objects[0].features: more than m=3 values");
        assertThat(allocatedRejecting(SCREEN, value)).isLessThan(SMALL);
    }

    @Test
    void withoutLimitsOneFloatBlocksGrowByDoublingNotByOneCopyPerBlock() {
        byte[] value = oneFloatBlocks(2_000_000);
        TimestepSerde unlimited = StreamfitSerdes.timestep();

        Timestep ts = unlimited.deserialize("features", value);
        long allocated = Allocations.of(() -> unlimited.deserialize("features", value));

        float[] features = ((FeatureVector.Dense) ts.objects().get(0).features()).values();
        assertThat(features).hasSize(2_000_000);
        assertThat(features[1_999_999]).isEqualTo(1_999_999f);
        // The floats take 0.8 of the input; doubling leaves at most as much again, plus the exact copy.
        assertThat(allocated).isLessThan(3L * value.length);
    }

    @Test
    void objectsInOneObjectBlocksStopAtMaxObjects() {
        AvroBytes b = AvroBytes.timestepRecord().varint(0).varint(1);
        while (b.size() < 8 * 1024 * 1024) {
            b.varint(1).string("o").varint(0).varint(3).floatLe(1).floatLe(2).floatLe(3).varint(0).varint(0).varint(0);
        }
        byte[] value = b.varint(0).varint(0).bytes();

        InvalidRecordException e = failure(SCREEN, value);

        assertThat(e.reason()).isEqualTo(InvalidRecordException.TOO_MANY_OBJECTS);
        assertThat(e.getMessage()).isEqualTo("objects: more than max.objects=4096 objects");
        // 4096 decoded objects of 3 floats, then the rejection; the input is 8 MB.
        assertThat(allocatedRejecting(SCREEN, value)).isLessThan(value.length / 8);
    }

    // ---- 200,000 tiny objects ------------------------------------------------------------------

    @Test
    void twoHundredThousandTinyJsonObjectsStopAtMaxObjects() {
        StringBuilder json = new StringBuilder("{\"timestep\":1,\"objects\":[");
        for (int i = 0; i < 200_000; i++) {
            json.append(i == 0 ? "" : ",").append("{\"id\":\"o\",\"features\":[0,0,0]}");
        }
        byte[] value = utf8(json.append("]}").toString());

        InvalidRecordException e = failure(SCREEN, value);

        assertThat(e.reason()).isEqualTo(InvalidRecordException.TOO_MANY_OBJECTS);
        assertThat(e.getMessage()).isEqualTo("objects[4096]: more than max.objects=4096 objects");
        assertThat(allocatedRejecting(SCREEN, value)).isLessThan(value.length / 4);
    }

    @Test
    void anAvroBlockDeclaringTwoHundredThousandObjectsFailsBeforeItsFirstObject() {
        AvroBytes b = AvroBytes.timestepRecord().varint(0).varint(1).varint(200_000);
        for (int i = 0; i < 200_000; i++) {
            b.minimalObject();
        }
        byte[] value = b.varint(0).varint(0).bytes();

        InvalidRecordException e = failure(SCREEN, value);

        assertThat(e.reason()).isEqualTo(InvalidRecordException.TOO_MANY_OBJECTS);
        assertThat(allocatedRejecting(SCREEN, value)).isLessThan(SMALL);
    }

    @Test
    void anAvroBlockCountBeyondTheBytesLeftIsUnparsable() {
        // Each object takes at least 5 bytes; 1000 objects cannot fit in the 10 bytes that follow.
        byte[] value = AvroBytes.timestepRecord().varint(0).varint(1).varint(1000).raw(new byte[10]).bytes();

        InvalidRecordException e = failure(StreamfitSerdes.timestep(), value);

        assertThat(e.reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(e.getMessage()).isEqualTo("objects: malformed Avro TimestepRecord: a block declares 1000 items, "
                + "but 10 bytes are left");
    }

    // ---- ids -----------------------------------------------------------------------------------

    @Test
    void anIdOfAMegabyteIsTooLargeAndNeverBuffered() {
        String id = "a".repeat(1_000_000);
        byte[] json = utf8("{\"timestep\":1,\"objects\":[{\"id\":\"" + id + "\",\"features\":[1,2,3]}]}");
        byte[] avro = AvroBytes.timestepRecord().varint(0).varint(1).varint(1).string(id).varint(0).varint(3)
                .floatLe(1).floatLe(2).floatLe(3).varint(0).varint(0).varint(0).varint(0).varint(0).bytes();

        for (byte[] value : new byte[][] {json, avro}) {
            InvalidRecordException e = failure(SCREEN, value);

            assertThat(e.reason()).isEqualTo(InvalidRecordException.TOO_LARGE);
            assertThat(e.path()).isEqualTo("objects[0].id");
            assertThat(e.getMessage()).contains("max.id.bytes=256").doesNotContain("aaaa");
            assertThat(allocatedRejecting(SCREEN, value)).isLessThan(SMALL);
        }
    }

    @Test
    void idLengthCountsUtf8BytesAfterUnescaping() {
        String ok = "\u00e9".repeat(128); // 256 bytes
        String escaped = "\\u00e9".repeat(128); // the same 256 bytes once decoded
        for (String id : new String[] {ok, escaped}) {
            Timestep ts = SCREEN.deserialize("features",
                    utf8("{\"series\":\"" + id + "\",\"timestep\":1,\"objects\":[{\"id\":\"" + id + "\",\"features\":[1,2,3]}]}"));
            assertThat(ts.objects().get(0).id()).isEqualTo(ok);
            assertThat(ts.series()).isEqualTo(ok);
        }
        for (String id : new String[] {ok + "x", escaped + "x", ok.substring(1) + "\\ud83d\\ude00"}) {
            InvalidRecordException e = failure(SCREEN,
                    utf8("{\"timestep\":1,\"series\":\"" + id + "\",\"objects\":[]}"));
            assertThat(e.reason()).as(id).isEqualTo(InvalidRecordException.TOO_LARGE);
            assertThat(e.path()).isEqualTo("series");
        }
    }

    // ---- UTF-8 ---------------------------------------------------------------------------------

    /** Malformed UTF-8: overlong '/', an encoded surrogate, above U+10FFFF, a lone continuation, a cut sequence, 0xFF. */
    @ParameterizedTest
    @ValueSource(strings = {"C0AF", "EDA080", "F4908080", "80", "E282", "FF"})
    void malformedUtf8InAnIdIsRejectedNotReplaced(String hex) {
        byte[] bad = java.util.HexFormat.of().parseHex(hex);
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        json.writeBytes(utf8("{\"timestep\":1,\"objects\":[{\"id\":\"x"));
        json.writeBytes(bad);
        json.writeBytes(utf8("y\",\"features\":[1,2,3]}]}"));
        byte[] badId = new byte[bad.length + 2];
        badId[0] = 'x';
        System.arraycopy(bad, 0, badId, 1, bad.length);
        badId[badId.length - 1] = 'y';
        byte[] avro = AvroBytes.timestepRecord().varint(0).varint(1).varint(1).varint(badId.length).raw(badId)
                .varint(0).varint(3).floatLe(1).floatLe(2).floatLe(3).varint(0).varint(0).varint(0).varint(0)
                .varint(0).bytes();

        for (TimestepSerde serde : new TimestepSerde[] {SCREEN, StreamfitSerdes.timestep()}) {
            for (byte[] value : new byte[][] {json.toByteArray(), avro}) {
                InvalidRecordException e = failure(serde, value);

                assertThat(e.reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
                assertThat(e.path()).isEqualTo("objects[0].id");
            }
        }
        byte[] avroSeries = AvroBytes.timestepRecord().varint(1).varint(badId.length).raw(badId).varint(1).varint(0)
                .varint(0).bytes();
        assertThat(failure(SCREEN, avroSeries).path()).isEqualTo("series");
    }

    @Test
    void idsAreCheckedInTheirRawBytesAlsoInASliceOfALargerArray() {
        byte[] record = utf8("{\"timestep\":1,\"objects\":[{\"id\":\"a__\",\"features\":[]}]}");
        int at = new String(record, UTF_8).indexOf("__");
        record[at] = (byte) 0xC0; // an overlong '/'
        record[at + 1] = (byte) 0xAF;
        byte[] padded = new byte[record.length + 10];
        System.arraycopy(record, 0, padded, 7, record.length);

        InvalidRecordException e = catchThrowableOfType(InvalidRecordException.class,
                () -> TimestepJson.parse(padded, 7, record.length));

        assertThat(e.reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(e.getMessage()).isEqualTo("objects[0].id: not well-formed UTF-8 at byte 2 of the string");
    }

    @Test
    void escapedUnpairedSurrogatesAreRejectedAndPairsAccepted() {
        for (String id : new String[] {"\\ud800", "a\\udc00", "\\ud83dx", "\\ud83d\\u0041"}) {
            InvalidRecordException e = failure(SCREEN,
                    utf8("{\"timestep\":1,\"objects\":[{\"id\":\"" + id + "\",\"features\":[1,2,3]}]}"));
            assertThat(e.reason()).as(id).isEqualTo(InvalidRecordException.UNPARSABLE);
            assertThat(e.getMessage()).isEqualTo("objects[0].id: escapes an unpaired surrogate, which UTF-8 cannot encode");
        }
        Timestep ts = SCREEN.deserialize("features",
                utf8("{\"timestep\":1,\"objects\":[{\"id\":\"\\ud83d\\ude00\u4e2d\uD83D\uDE00\",\"features\":[1,2,3]}]}"));
        assertThat(ts.objects().get(0).id()).isEqualTo("\uD83D\uDE00\u4e2d\uD83D\uDE00");
    }

    // ---- feature and sum counts ------------------------------------------------------------------

    @Test
    void aDenseArrayLongerThanMStopsAtElementM() {
        StringBuilder json = new StringBuilder("{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[");
        for (int i = 0; i < 1_000_000; i++) {
            json.append(i == 0 ? "" : ",").append('0');
        }
        byte[] value = utf8(json.append("]}]}").toString());
        AvroBytes avro = AvroBytes.timestepRecord().varint(0).varint(1).varint(1).string("a").varint(0)
                .varint(1_000_000);
        for (int i = 0; i < 1_000_000; i++) {
            avro.floatLe(0);
        }
        byte[] avroValue = avro.varint(0).varint(0).varint(0).varint(0).varint(0).bytes();

        InvalidRecordException e = failure(SCREEN, value);
        assertThat(e.reason()).isEqualTo(InvalidRecordException.WRONG_FEATURE_COUNT);
        assertThat(e.getMessage()).isEqualTo("objects[0].features[3]: more than m=3 values");
        assertThat(allocatedRejecting(SCREEN, value)).isLessThan(SMALL);
        assertThat(failure(SCREEN, avroValue).reason()).isEqualTo(InvalidRecordException.WRONG_FEATURE_COUNT);
        assertThat(allocatedRejecting(SCREEN, avroValue)).isLessThan(SMALL);
    }

    @Test
    void denseShorterThanMAndSparseLongerThanMAreWrongFeatureCounts() {
        InvalidRecordException shorter = failure(SCREEN,
                utf8("{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[1,2]}]}"));
        assertThat(shorter.reason()).isEqualTo(InvalidRecordException.WRONG_FEATURE_COUNT);
        assertThat(shorter.getMessage()).isEqualTo("objects[0].features: 2 values, the model takes m=3");

        InvalidRecordException sparse = failure(SCREEN, utf8("{\"timestep\":1,\"objects\":[{\"id\":\"a\","
                + "\"features\":{\"indices\":[0,1,2,0],\"values\":[1,1,1,1]}}]}"));
        assertThat(sparse.reason()).isEqualTo(InvalidRecordException.WRONG_FEATURE_COUNT);
        assertThat(sparse.getMessage()).isEqualTo("objects[0].features.indices[3]: more than m=3 indices");

        byte[] avro = AvroBytes.timestepRecord().varint(0).varint(1).varint(1).string("a").varint(1)
                .varint(4).varint(0).varint(1).varint(2).varint(0).varint(0)
                .varint(4).floatLe(1).floatLe(1).floatLe(1).floatLe(1).varint(0)
                .varint(0).varint(0).varint(0).varint(0).bytes();
        InvalidRecordException avroSparse = failure(SCREEN, avro);
        assertThat(avroSparse.reason()).isEqualTo(InvalidRecordException.WRONG_FEATURE_COUNT);
        assertThat(avroSparse.getMessage()).isEqualTo("objects[0].features.indices: more than m=3 indices");
        // Without m the decoder leaves the count to the processor.
        assertThat(StreamfitSerdes.timestep().deserialize("features", avro).objects()).hasSize(1);
    }

    @Test
    void aSumTargetLongerThanTheKindTakesStopsAtTheLimit() {
        StringBuilder json = new StringBuilder("{\"timestep\":1,\"objects\":[],\"sumTarget\":[");
        for (int i = 0; i < 1_000_000; i++) {
            json.append(i == 0 ? "" : ",").append('0');
        }
        byte[] value = utf8(json.append("]}").toString());

        InvalidRecordException e = failure(SCREEN, value);

        assertThat(e.reason()).isEqualTo(InvalidRecordException.WRONG_FEATURE_COUNT);
        assertThat(e.getMessage()).isEqualTo("sumTarget[1]: more than 1 values");
        assertThat(allocatedRejecting(SCREEN, value)).isLessThan(SMALL);
    }

    // ---- what the limits let through -------------------------------------------------------------

    @Test
    void recordsWithinTheLimitsDecodeAsWithoutThem() {
        byte[] json = utf8("{\"series\":\"plant-7\",\"timestep\":1042,\"objects\":["
                + "{\"id\":\"turbine-1\",\"features\":[0.51,0.03,0.70],\"target\":12.5},"
                + "{\"id\":\"turbine-3\",\"features\":{\"indices\":[0,2],\"values\":[1.0,1.0]}}],\"sumTarget\":25.1}");
        Timestep expected = StreamfitSerdes.timestep().deserialize("features", json);
        byte[] avro = StreamfitSerdes.timestepAvro().serialize("features", expected);

        assertThat(SCREEN.deserialize("features", json)).isEqualTo(expected);
        assertThat(SCREEN.deserialize("features", avro)).isEqualTo(expected);
        assertThat(new TimestepLimits(2, 9, 3, 1).equals(LIMITS)).isFalse();
        assertThat(StreamfitSerdes.timestep(new TimestepLimits(2, 9, 3, 1)).deserialize("features", avro))
                .isEqualTo(expected);
        assertThat(failure(StreamfitSerdes.timestep(new TimestepLimits(1, 9, 3, 1)), avro).reason())
                .isEqualTo(InvalidRecordException.TOO_MANY_OBJECTS);
        assertThat(failure(StreamfitSerdes.timestep(new TimestepLimits(2, 8, 3, 1)), avro).reason())
                .isEqualTo(InvalidRecordException.TOO_LARGE);
    }
}
