package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link TimestepFastJson} against {@link TimestepJson}'s Jackson codec, the reader it stands in
 * front of: on every generated record and every mutation of one, it either declines or gives the
 * same record bit for bit, and it never reads a record Jackson's codec rejects. It must also read
 * the usual records itself, or it would be dead weight.
 */
class TimestepFastJsonTest {

    private static final TimestepLimits LIMITS = new TimestepLimits(6, 12, 5, 3);

    private final Random random = new Random(7);

    @Test
    void readsTheUsualRecordExactlyAsJacksonDoes() {
        String json = "{\"series\":\"s-1\",\"timestep\":42,\"objects\":[{\"id\":\"a\",\"features\":[0.1234,-1.5,0,7,1e-3],"
                + "\"target\":0.25},{\"id\":\"b\",\"features\":[-0.0,0.12345678901,3.4028235e38,12345678901,-0],"
                + "\"label\":3,\"unit\":{\"name\":\"m/s\",\"scale\":[1,2e3,null,true]}}],\"sumTarget\":[1.5,2],"
                + "\"producedBy\":\"sensor \\\"7\\\"\"}";
        byte[] data = json.getBytes(StandardCharsets.UTF_8);
        Timestep fast = TimestepFastJson.read(data, 0, data.length, LIMITS);
        assertThat(fast).isNotNull();
        assertThat(canonical(fast)).isEqualTo(canonical(Json.parse(data, 0, data.length, TimestepJson.codec(LIMITS))));
        assertThat(fast.objects().get(1).label()).isEqualTo(3);
        assertThat(fast.sumTarget()).containsExactly(1.5, 2.0);
    }

    @Test
    void digitRunsOfEveryLengthReadAsJacksonReadsThemWhereverTheyEnd() {
        // Where the digit loop changes course (the mantissa's 18 digits, leading zeros of a fraction
        // that do not count, the end of the buffer): every run length from 1 to 20, with 0 to 9
        // leading zeros in the fraction, an integer part of 0 to 19 digits, the number in the
        // features and the sum target, and a buffer that ends where the number does.
        int compared = 0;
        for (int intDigits = 0; intDigits <= 19; intDigits++) {
            for (int zeros = 0; zeros <= 9; zeros++) {
                for (int fracDigits = 0; fracDigits <= 20; fracDigits++) {
                    if (fracDigits == 0 && zeros > 0) {
                        continue;
                    }
                    String integer = intDigits == 0 ? "0" : digits(intDigits, 1);
                    String number = integer + (fracDigits == 0 ? "" : "." + "0".repeat(zeros) + digits(fracDigits, 7));
                    String json = "{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[" + number + ",-" + number
                            + "]}],\"sumTarget\":[" + number + "]}";
                    byte[] data = json.getBytes(StandardCharsets.UTF_8);
                    Timestep fast = TimestepFastJson.read(data, 0, data.length, TimestepLimits.NONE);
                    assertThat(fast).as(json).isNotNull();
                    assertThat(canonical(fast)).as(json)
                            .isEqualTo(canonical(Json.parse(data, 0, data.length, TimestepJson.codec(TimestepLimits.NONE))));
                    // The same bytes with a digit after the number and the rest of the record, read
                    // only up to the number's end: a reader that looked past the end would take the
                    // digit and find a whole record there.
                    int end = json.indexOf(number) + number.length();
                    byte[] longer = (json.substring(0, end) + "5" + json.substring(end)).getBytes(StandardCharsets.UTF_8);
                    if (!number.equals("0")) { // "05" would be a leading zero
                        assertThat(TimestepFastJson.read(longer, 0, longer.length, TimestepLimits.NONE))
                                .as("the whole of it is read: %s", json).isNotNull();
                    }
                    assertThat(TimestepFastJson.read(longer, 0, end, TimestepLimits.NONE)).as("cut: %s", json).isNull();
                    compared++;
                }
            }
        }
        assertThat(compared).isEqualTo(20 * (1 + 20 * 10));
    }

    /** {@code n} digits, none of them zero, starting at {@code first} and counting up mod 9. */
    @Test
    void decimalsWhoseNearestDoubleIsAFloatMidpointReadAsJacksonReadsThem() {
        // A decimal of up to 16 digits read by way of its nearest double rounds twice; where that
        // double is exactly halfway between two floats, rounding it again may go the wrong way. Find
        // such decimals (the double a float midpoint, the decimal not, the correct float not the one
        // rounding the midpoint gives), and read them among short features and in a record of
        // long numbers.
        List<String> hard = new ArrayList<>();
        for (int bits = Float.floatToIntBits(1.0f); hard.size() < 40; bits += 7919) {
            float f = Float.intBitsToFloat(bits);
            double midpoint = f + (double) Math.ulp(f) / 2;
            for (int digits = 15; digits <= 16; digits++) {
                java.math.BigDecimal d = new java.math.BigDecimal(midpoint).round(new java.math.MathContext(digits));
                if (d.compareTo(new java.math.BigDecimal(midpoint)) != 0 && d.doubleValue() == midpoint
                        && Float.parseFloat(d.toPlainString()) != (float) midpoint) {
                    hard.add(d.toPlainString());
                }
            }
        }
        for (String numbers : List.of("0.1234," + String.join(",0.5,", hard), String.join(",", hard),
                "0.12345678901234567," + String.join(",", hard))) {
            String json = "{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[" + numbers + "]}]}";
            byte[] data = json.getBytes(StandardCharsets.UTF_8);
            Timestep fast = TimestepFastJson.read(data, 0, data.length, TimestepLimits.NONE);
            assertThat(fast).as(json).isNotNull();
            assertThat(canonical(fast)).as(json)
                    .isEqualTo(canonical(Json.parse(data, 0, data.length, TimestepJson.codec(TimestepLimits.NONE))));
        }
    }

    private static String digits(int n, int first) {
        StringBuilder s = new StringBuilder();
        for (int k = 0; k < n; k++) {
            s.append((char) ('1' + (first + k) % 9));
        }
        return s.toString();
    }

    @Test
    void declinesWhatItDoesNotKnowSoThatJacksonAnswers() {
        for (String json : new String[] {
            "{\"timestep\":1,\"objects\":[],\"extra\":\"caf\u00e9\"}", // an unknown field, not ASCII
            "{\"timestep\":1,\"objects\":[],\"extra\":\"a\\x\"}", // a bad escape: Jackson's error
            "{\"timestep\":1,\"objects\":[],\"extra\":tru}", // not a literal: Jackson's error
            "{\"timestep\":1,\"objects\":[],\"" + "n".repeat(300) + "\":1}", // a long name: Jackson's limits
            "{\"timestep\":1,\"objects\":[{\"id\":\"a\\u0041\",\"features\":[1]}]}", // an escape
            "{\"timestep\":1,\"objects\":[{\"id\":\"\u00e9\",\"features\":[1]}]}", // not ASCII
            "{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":{\"indices\":[0],\"values\":[1]}}]}", // sparse
            "{\"timestep\":1,\"timestep\":2,\"objects\":[]}", // duplicate: Jackson's error
            "{\"timestep\":1.5,\"objects\":[]}", // wrong type: Jackson's error
            "{\"timestep\":1,\"objects\":[]} x", // trailing content
            "{\"timestep\":01,\"objects\":[]}", // leading zero
        }) {
            byte[] data = json.getBytes(StandardCharsets.UTF_8);
            assertThat(TimestepFastJson.read(data, 0, data.length, TimestepLimits.NONE)).as(json).isNull();
        }
    }

    @Test
    void tooManyObjectsFailsAsTheCodecFailsOnceTheLimitIsReached() {
        StringBuilder json = new StringBuilder("{\"timestep\":1,\"objects\":[");
        for (int i = 0; i < 9; i++) {
            json.append(i == 0 ? "" : ", ").append("{\"id\":\"o\",\"features\":[1,2,3,4,5]}");
        }
        byte[] data = json.append("], \"broken").toString().getBytes(StandardCharsets.UTF_8);
        InvalidRecordException slow = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> Json.parse(data, 0, data.length, TimestepJson.codec(LIMITS)), InvalidRecordException.class);
        InvalidRecordException fast = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> TimestepFastJson.read(data, 0, data.length, LIMITS), InvalidRecordException.class);
        assertThat(slow.reason()).isEqualTo(InvalidRecordException.TOO_MANY_OBJECTS);
        assertThat(fast).isNotNull();
        assertThat(fast.reason() + " " + fast.path() + " " + fast.getMessage())
                .isEqualTo(slow.reason() + " " + slow.path() + " " + slow.getMessage());
    }

    @Test
    void generatedRecordsReadTheSameOrAreDeclined() {
        int read = 0;
        int usual = 0;
        for (int n = 0; n < 20_000; n++) {
            boolean plain = random.nextInt(4) != 0;
            byte[] data = record(plain).getBytes(StandardCharsets.UTF_8);
            TimestepLimits limits = random.nextBoolean() ? LIMITS : TimestepLimits.NONE;
            boolean fast = compare(data, limits);
            if (plain && limits == TimestepLimits.NONE) {
                usual++;
                read += fast ? 1 : 0;
            }
        }
        assertThat(read).as("usual records read by the fast reader").isEqualTo(usual);
    }

    @Test
    void mutatedRecordsReadTheSameOrAreDeclined() {
        for (int n = 0; n < 40_000; n++) {
            byte[] data = record(true).getBytes(StandardCharsets.UTF_8);
            int at = random.nextInt(data.length);
            switch (random.nextInt(4)) {
                case 0 -> data[at] = (byte) "{}[],:\"-.0123456789eE n\\\t".charAt(random.nextInt(25));
                case 1 -> data = java.util.Arrays.copyOf(data, at);
                case 2 -> data[at] = (byte) random.nextInt(256);
                default -> {
                    byte[] longer = new byte[data.length + 1];
                    System.arraycopy(data, 0, longer, 0, at);
                    longer[at] = (byte) " ,0-.e\"}]".charAt(random.nextInt(9));
                    System.arraycopy(data, at, longer, at + 1, data.length - at);
                    data = longer;
                }
            }
            compare(data, random.nextBoolean() ? LIMITS : TimestepLimits.NONE);
        }
    }

    /**
     * Whether the fast reader read the record (else it declined, or failed as the codec fails); fails
     * when it read it differently, or failed otherwise.
     */
    private static boolean compare(byte[] data, TimestepLimits limits) {
        String text = new String(data, StandardCharsets.UTF_8);
        Timestep fast;
        InvalidRecordException fastError = null;
        try {
            fast = TimestepFastJson.read(data, 0, data.length, limits);
        } catch (InvalidRecordException e) {
            fast = null;
            fastError = e;
        }
        Timestep slow;
        try {
            slow = Json.parse(data, 0, data.length, TimestepJson.codec(limits));
        } catch (InvalidRecordException e) {
            assertThat(fast).as("read a record Jackson's codec rejects (%s): %s", e.getMessage(), text).isNull();
            if (fastError != null) {
                assertThat(fastError.reason() + " " + fastError.path() + " " + fastError.getMessage()).as(text)
                        .isEqualTo(e.reason() + " " + e.path() + " " + e.getMessage());
            }
            return false;
        }
        assertThat(fastError).as("failed on a record Jackson's codec reads: %s", text).isNull();
        if (fast != null) {
            assertThat(canonical(fast)).as(text).isEqualTo(canonical(slow));
        }
        return fast != null;
    }

    /** Every field, numbers by their bits. */
    private static String canonical(Timestep t) {
        StringBuilder s = new StringBuilder().append(t.series()).append('|').append(t.timestep());
        for (Timestep.ObjectInput o : t.objects()) {
            s.append("|id=").append(o.id()).append(" f=");
            for (float f : ((FeatureVector.Dense) o.features()).values()) {
                s.append(Integer.toHexString(Float.floatToRawIntBits(f))).append(',');
            }
            s.append(" t=").append(o.target() == null ? "-" : Long.toHexString(Double.doubleToRawLongBits(o.target())));
            s.append(" l=").append(o.label());
        }
        if (t.sumTarget() != null) {
            s.append("|sum=");
            for (double d : t.sumTarget()) {
                s.append(Long.toHexString(Double.doubleToRawLongBits(d))).append(',');
            }
        }
        return s.toString();
    }

    /** A random record; {@code plain}: only what the fast reader reads (no unknown fields, escapes, sparse vectors). */
    private String record(boolean plain) {
        List<String> fields = new ArrayList<>();
        if (random.nextInt(4) != 0) {
            fields.add(field("series", random.nextInt(8) == 0 ? "null" : string(plain)));
        }
        fields.add(field("timestep", random.nextInt(10) == 0 ? "-0" : String.valueOf(random.nextLong() >> random.nextInt(64))));
        List<String> objects = new ArrayList<>();
        int k = random.nextInt(8);
        for (int o = 0; o < k; o++) {
            objects.add(object(plain));
        }
        fields.add(field("objects", "[" + String.join("," + space(), objects) + "]"));
        switch (random.nextInt(4)) {
            case 0 -> fields.add(field("sumTarget", number(false)));
            case 1 -> fields.add(field("sumTarget", array(1 + random.nextInt(4), false)));
            case 2 -> fields.add(field("sumTarget", "null"));
            default -> { }
        }
        if (random.nextInt(3) == 0) {
            fields.add(field("producedBy", unknownValue(plain, 0)));
        }
        Collections.shuffle(fields, random);
        return space() + "{" + space() + String.join("," + space(), fields) + space() + "}" + space();
    }

    private String object(boolean plain) {
        List<String> fields = new ArrayList<>();
        fields.add(field("id", string(plain)));
        int m = random.nextInt(10) == 0 ? 4 + random.nextInt(3) : 5;
        if (!plain && random.nextInt(3) == 0) {
            fields.add(field("features", "{\"indices\":[0,2],\"values\":[1.5,2]}"));
        } else {
            fields.add(field("features", array(m, true)));
        }
        if (random.nextInt(4) == 0) {
            fields.add(field(plain || random.nextBoolean() ? "unit" : "t\\u00e9", unknownValue(plain, 0)));
        }
        switch (random.nextInt(3)) {
            case 0 -> fields.add(field("target", random.nextInt(6) == 0 ? "null" : number(false)));
            case 1 -> fields.add(field("label", random.nextInt(6) == 0 ? "null" : String.valueOf(random.nextInt(1000))));
            default -> { }
        }
        Collections.shuffle(fields, random);
        return "{" + space() + String.join("," + space(), fields) + space() + "}";
    }

    private String array(int n, boolean floats) {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            values.add(number(floats));
        }
        return "[" + space() + String.join("," + space(), values) + space() + "]";
    }

    /** Numbers of every form: short and long decimals, integers small and big, exponents, zeros. */
    private String number(boolean floats) {
        String sign = random.nextInt(3) == 0 ? "-" : "";
        return sign + switch (random.nextInt(9)) {
            case 0 -> BigDecimal.valueOf(random.nextInt(100_000), 4).toPlainString();
            case 1 -> BigDecimal.valueOf(random.nextInt(10_000_000), random.nextInt(11)).toPlainString();
            case 2 -> String.valueOf(floats ? random.nextFloat() : random.nextDouble());
            case 3 -> String.valueOf(random.nextInt(1_000_000));
            case 4 -> String.valueOf(Math.abs(random.nextLong()) >> random.nextInt(40));
            case 5 -> "123456789012345678901234567890";
            case 6 -> random.nextInt(1000) + "." + random.nextInt(1000) + "e" + (random.nextInt(80) - 40);
            case 7 -> random.nextBoolean() ? "0" : "0.0";
            default -> BigDecimal.valueOf(Math.abs(random.nextLong()) % 1_000_000_000_000_000L, random.nextInt(25))
                    .toPlainString();
        };
    }

    /** A value of a field the contract does not name: any JSON, nested; not ASCII only when not plain. */
    private String unknownValue(boolean plain, int depth) {
        return switch (random.nextInt(depth > 2 ? 4 : 6)) {
            case 0 -> number(random.nextBoolean());
            case 1 -> random.nextBoolean() ? "\"plain text\"" : plain ? "\"esc \\\" \\\\ \\n \\u00e9\"" : "\"caf\u00e9\"";
            case 2 -> new String[] {"true", "false", "null"}[random.nextInt(3)];
            case 3 -> "{}";
            case 4 -> "{" + space() + "\"a\"" + space() + ":" + space() + unknownValue(plain, depth + 1) + ","
                    + "\"b\":" + unknownValue(plain, depth + 1) + "}";
            default -> "[" + unknownValue(plain, depth + 1) + "," + space() + unknownValue(plain, depth + 1) + "]";
        };
    }

    private String string(boolean plain) {
        String[] plainIds = {"a", "sensor-7", "", "obj_12345", "0123456789abcdef"};
        String[] other = {"caf\u00e9", "a\\\"b", "tab\\t", "\\u00e9t\\u00e9"};
        return "\"" + (plain || random.nextBoolean() ? plainIds[random.nextInt(plainIds.length)]
                : other[random.nextInt(other.length)]) + "\"";
    }

    private String field(String name, String value) {
        return "\"" + name + "\"" + space() + ":" + space() + value;
    }

    private String space() {
        return switch (random.nextInt(8)) {
            case 0 -> " ";
            case 1 -> "\n  ";
            case 2 -> "\t";
            default -> "";
        };
    }
}
