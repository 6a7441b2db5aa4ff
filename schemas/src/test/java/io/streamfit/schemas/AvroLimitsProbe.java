package io.streamfit.schemas;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.lang.management.ManagementFactory;
import org.apache.avro.SystemLimitException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Run in a fresh JVM by {@link AvroLimitsTest}: optionally installs limits, then lets Avro read,
 * through a stream, a string that declares 100,000,000 bytes and has 10. Prints what happened and
 * the bytes the thread allocated.
 */
public final class AvroLimitsProbe {

    private AvroLimitsProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("install")) {
            System.out.println("inForce=" + AvroLimits.forValues(1_000, 5_000).install());
        }
        byte[] value = new byte[15];
        long z = 100_000_000L << 1;
        int i = 0;
        while ((z & ~0x7FL) != 0) {
            value[i++] = (byte) ((z & 0x7F) | 0x80);
            z >>>= 7;
        }
        value[i] = (byte) z;
        // Through a stream (other than a bare ByteArrayInputStream, which Avro measures) Avro cannot
        // know how many bytes are left: only its limits stop it.
        BinaryDecoder in = DecoderFactory.get().binaryDecoder(new BufferedInputStream(new ByteArrayInputStream(value)),
                null);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        String outcome;
        try {
            in.readString();
            outcome = "read";
        } catch (SystemLimitException e) {
            outcome = "limit";
        } catch (EOFException e) {
            outcome = "eof";
        }
        System.out.println("outcome=" + outcome);
        System.out.println("allocated=" + (threads.getCurrentThreadAllocatedBytes() - before));
    }
}
