package io.streamfit.schemas;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Hand-made Avro single-object bytes of {@code TimestepRecord}, byte by byte, for values no writer
 * would produce: declared lengths beyond the input, one-item blocks, malformed strings.
 */
final class AvroBytes {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    AvroBytes() {
    }

    /** Starts with the marker and the fingerprint of the current {@code TimestepRecord} schema. */
    static AvroBytes timestepRecord() {
        AvroBytes b = new AvroBytes();
        b.raw(0xC3, 0x01);
        long fp = TimestepAvroReader.FINGERPRINT;
        for (int i = 0; i < 8; i++) {
            b.raw((int) (fp >>> (8 * i)) & 0xFF);
        }
        return b;
    }

    AvroBytes raw(int... bytes) {
        for (int v : bytes) {
            out.write(v);
        }
        return this;
    }

    AvroBytes raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    /** A zig-zag varint: Avro's int, long, union branch, length and block count. */
    AvroBytes varint(long v) {
        long z = (v << 1) ^ (v >> 63);
        while ((z & ~0x7FL) != 0) {
            out.write((int) ((z & 0x7F) | 0x80));
            z >>>= 7;
        }
        out.write((int) z);
        return this;
    }

    AvroBytes string(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        return varint(utf8.length).raw(utf8);
    }

    AvroBytes floatLe(float f) {
        int bits = Float.floatToRawIntBits(f);
        return raw(bits & 0xFF, bits >>> 8 & 0xFF, bits >>> 16 & 0xFF, bits >>> 24 & 0xFF);
    }

    /** The smallest object: an empty id, empty dense features, no target, no label. */
    AvroBytes minimalObject() {
        return varint(0).varint(0).varint(0).varint(0).varint(0);
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
