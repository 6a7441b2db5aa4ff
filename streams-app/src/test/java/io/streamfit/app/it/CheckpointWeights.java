package io.streamfit.app.it;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the float32 variables (weights and optimizer slots) out of a model state in the
 * documented checkpoint byte format (SFCK version 1, see the model module's CheckpointFormat), so
 * a test can compare two models' numbers without building a graph.
 */
final class CheckpointWeights {

    private CheckpointWeights() {
    }

    static Map<String, float[]> read(byte[] state) {
        ByteBuffer in = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        in.get(magic);
        if (!"SFCK".equals(new String(magic, StandardCharsets.US_ASCII))) {
            throw new IllegalArgumentException("not a streamfit model state");
        }
        in.getInt(); // format version
        int fingerprintLength = in.getInt();
        in.position(in.position() + fingerprintLength);
        in.getLong(); // update count
        int variables = in.getInt();
        Map<String, float[]> out = new LinkedHashMap<>();
        for (int v = 0; v < variables; v++) {
            byte[] name = new byte[in.getInt()];
            in.get(name);
            int dtype = in.getInt();
            int rank = in.getInt();
            in.position(in.position() + 8 * rank);
            int length = in.getInt();
            ByteBuffer values = in.slice().order(ByteOrder.LITTLE_ENDIAN);
            values.limit(length);
            in.position(in.position() + length);
            // DT_FLOAT (1), or DT_FLOAT_REF (101) as the outputs of VariableV2 ops are typed.
            if (dtype % 100 == 1) {
                float[] f = new float[length / 4];
                values.asFloatBuffer().get(f);
                out.put(new String(name, StandardCharsets.UTF_8), f);
            }
        }
        return out;
    }
}
