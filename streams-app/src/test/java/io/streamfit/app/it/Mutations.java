package io.streamfit.app.it;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/** Ways to break a good record, byte-wise and JSON-wise, for the fuzz test. */
final class Mutations {

    private static final String[] JSON_VALUES = {"null", "\"x\"", "true", "[]", "{}", "NaN", "-Infinity", "1e400",
            "3.4e38", "-0", "99999999999999999999", "[1,[2]]", "{\"indices\":[0],\"values\":[1]}",
            "{\"indices\":[-1],\"values\":[1]}", "{\"indices\":[0,1],\"values\":[1]}"};
    private static final String[] FIELDS = {"\"series\"", "\"timestep\"", "\"objects\"", "\"id\"", "\"features\"",
            "\"target\"", "\"label\"", "\"sumTarget\"", "\"indices\"", "\"values\""};

    private Mutations() {
    }

    static byte[] mutate(Random rnd, byte[] good, int features, int maxObjects) {
        byte[] b = good.clone();
        switch (rnd.nextInt(10)) {
            case 0: { // random bytes
                byte[] r = new byte[rnd.nextInt(300)];
                rnd.nextBytes(r);
                return r;
            }
            case 1: // truncation
                return Arrays.copyOf(b, rnd.nextInt(Math.max(1, b.length)));
            case 2: { // flip a few bytes
                for (int i = 0, n = 1 + rnd.nextInt(4); i < n && b.length > 0; i++) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
                return b;
            }
            case 3: { // delete a span
                int from = rnd.nextInt(b.length);
                int to = Math.min(b.length, from + 1 + rnd.nextInt(40));
                byte[] out = new byte[b.length - (to - from)];
                System.arraycopy(b, 0, out, 0, from);
                System.arraycopy(b, to, out, from, b.length - to);
                return out;
            }
            case 4: { // duplicate a span
                int from = rnd.nextInt(b.length);
                int len = Math.min(b.length - from, 1 + rnd.nextInt(60));
                byte[] out = new byte[b.length + len];
                System.arraycopy(b, 0, out, 0, from + len);
                System.arraycopy(b, from, out, from + len, b.length - from);
                return out;
            }
            default:
                return jsonMutation(rnd, new String(b, StandardCharsets.ISO_8859_1), features, maxObjects);
        }
    }

    private static byte[] jsonMutation(Random rnd, String s, int features, int maxObjects) {
        if (!s.startsWith("{")) {
            byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
            b[Math.min(b.length - 1, 2 + rnd.nextInt(8))] ^= 0x10; // Avro: hit the fingerprint
            return b;
        }
        String out;
        switch (rnd.nextInt(6)) {
            case 0: { // replace a number with another kind of value
                int i = indexOfDigit(s, rnd.nextInt(s.length()));
                if (i < 0) {
                    return s.getBytes(StandardCharsets.ISO_8859_1);
                }
                int j = i;
                while (j < s.length() && "0123456789.eE+-".indexOf(s.charAt(j)) >= 0) {
                    j++;
                }
                out = s.substring(0, i) + JSON_VALUES[rnd.nextInt(JSON_VALUES.length)] + s.substring(j);
                break;
            }
            case 1: // rename a field
                out = s.replaceFirst(FIELDS[rnd.nextInt(FIELDS.length)], "\"f" + rnd.nextInt(9) + "\"");
                break;
            case 2: // duplicate a field name
                out = s.replaceFirst("\"target\"", "\"timestep\"");
                break;
            case 3: { // too many objects
                StringBuilder many = new StringBuilder("{\"timestep\":1,\"objects\":[");
                for (int i = 0; i <= maxObjects; i++) {
                    many.append(i == 0 ? "" : ",").append("{\"id\":\"o").append(i).append("\",\"features\":[");
                    for (int f = 0; f < features; f++) {
                        many.append(f == 0 ? "" : ",").append(1);
                    }
                    many.append("]}");
                }
                out = many.append("]}").toString();
                break;
            }
            case 4: // an extra feature
                out = s.replaceFirst("\"features\":\\[", "\"features\":[0.25,");
                break;
            default: // deep nesting
                out = "[".repeat(1 + rnd.nextInt(2000)) + s;
        }
        return out.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static int indexOfDigit(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (Character.isDigit(s.charAt(i)) && (i == 0 || "0123456789.eE+-".indexOf(s.charAt(i - 1)) < 0)) {
                return i;
            }
        }
        return -1;
    }
}
