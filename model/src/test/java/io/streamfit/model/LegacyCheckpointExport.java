package io.streamfit.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.RawTensor;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.ndarray.Shape;

/**
 * The checkpoint export as {@link GraphCheckpoint} did it before the in-graph snapshot (commit
 * 82576be): one fetch per variable in a run of its own, each formatted as it arrives. Kept as the
 * reference the current export must equal byte for byte.
 */
final class LegacyCheckpointExport {

    private LegacyCheckpointExport() {
    }

    /** Every {@code VariableV2} of {@code graph} and {@code updates}, in the format of version 1. */
    static byte[] export(Graph graph, Session session, String fingerprint, long updates) {
        List<GraphOperation> variables = new ArrayList<>();
        graph.operations().forEachRemaining(op -> {
            if (Optimizer.VARIABLE_V2.equals(op.type())) {
                variables.add(op);
            }
        });
        variables.sort(Comparator.comparing(GraphOperation::name));
        byte[] fingerprintBytes = fingerprint.getBytes(StandardCharsets.UTF_8);
        Session.Runner runner = session.runner();
        for (GraphOperation op : variables) {
            runner.fetch(op.output(0));
        }
        try (Result result = runner.run()) {
            byte[][] names = new byte[variables.size()][];
            int size = CheckpointFormat.MAGIC.length + 4 + 4 + fingerprintBytes.length + 8 + 4;
            for (int i = 0; i < variables.size(); i++) {
                names[i] = variables.get(i).name().getBytes(StandardCharsets.UTF_8);
                size += 4 + names[i].length + 4 + 4 + 8 * shape(variables.get(i)).numDimensions() + 4
                        + Math.toIntExact(result.get(i).numBytes());
            }
            size += 4;
            ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
            out.put(CheckpointFormat.MAGIC).putInt(1).putInt(fingerprintBytes.length).put(fingerprintBytes);
            out.putLong(updates).putInt(variables.size());
            for (int i = 0; i < variables.size(); i++) {
                GraphOperation op = variables.get(i);
                Shape shape = shape(op);
                out.putInt(names[i].length).put(names[i]);
                out.putInt(op.attributes().getAttrType("dtype").getNumber()).putInt(shape.numDimensions());
                for (long d : shape.asArray()) {
                    out.putLong(d);
                }
                RawTensor raw = result.get(i).asRawTensor();
                byte[] bytes = new byte[Math.toIntExact(raw.numBytes())];
                raw.data().read(bytes);
                out.putInt(bytes.length).put(bytes);
            }
            CRC32 crc = new CRC32();
            crc.update(out.array(), 0, out.position());
            out.putInt((int) crc.getValue());
            return out.array();
        }
    }

    /** The reference export of {@code model}'s current state. */
    static byte[] export(GraphModel model) {
        return export(model.graph, model.session(), model.spec().fingerprint(), model.version());
    }

    private static Shape shape(GraphOperation op) {
        return op.attributes().getAttrShape("shape");
    }
}
