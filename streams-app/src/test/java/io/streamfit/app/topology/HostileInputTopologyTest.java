package io.streamfit.app.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.avro.TimestepRecord;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Values crafted to crash, stall or blow up the service go through the whole topology, as Kafka
 * Streams delivers them: each becomes a dead letter with its reason, and the next good record is
 * predicted as if nothing had happened.
 */
class HostileInputTopologyTest {

    @TempDir
    Path stateDir;

    private static String header(TestRecord<byte[], byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void hostileValuesAreDeadLettersAndTheStreamGoesOn() {
        ByteBuffer sixteen = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        sixteen.put((byte) 0xC3).put((byte) 0x01)
                .putLong(SchemaNormalization.parsingFingerprint64(TimestepRecord.getClassSchema()))
                .put(new byte[] {0x02, (byte) 0x80, (byte) 0xD0, (byte) 0xAC, (byte) 0xF3, 0x0E});
        StringBuilder many = new StringBuilder("{\"timestep\":2,\"objects\":[");
        for (int i = 0; i < 200_000; i++) {
            many.append(i == 0 ? "" : ",").append("{\"id\":\"o\",\"features\":[0,0,0]}");
        }

        try (TopologyHarness h = TopologyHarness.start(TestConfigs.regressor(3).app("hostile").stateDir(stateDir)
                .with("max.id.bytes", 8).toMap())) {
            h.send("s", sixteen.array());
            h.send("s", utf8(many.append("]}").toString()));
            h.send("s", utf8("{\"timestep\":3,\"objects\":[{\"id\":\"123456789\",\"features\":[1,2,3]}]}"));
            h.send("s", utf8("{\"timestep\":4,\"objects\":[{\"id\":\"a\",\"features\":{\"indices\":[1,1],"
                    + "\"values\":[3e38,3e38]}}]}"));
            h.send("s", utf8("{\"timestep\":5,\"objects\":[{\"id\":\"a\",\"features\":[1,1e30,3]}]}"));
            h.send("s", utf8("{\"timestep\":6,\"objects\":[{\"id\":\"a\",\"features\":[1,2,3]}]}"));

            List<TestRecord<byte[], byte[]>> dead = h.deadLetters().readRecordsToList();
            assertThat(dead).extracting(r -> header(r, "error.reason")).containsExactly("unparsable",
                    "too-many-objects", "too-large", "duplicate-index", "feature-out-of-range");
            assertThat(dead.get(0).value()).isEqualTo(sixteen.array());
            assertThat(h.objects().readValuesToList()).hasSize(1);
        }
    }

    @Test
    void aSparseRecordMayNotFillMoreOfADenseBatchThanADenseRecordOfMaxRecordBytesCould() {
        // m = 1000 taken dense; 4000 bytes carry at most 2000 dense values: 2 objects, not 3.
        String empty = "{\"id\":\"o\",\"features\":{\"indices\":[7],\"values\":[1]}}";
        try (TopologyHarness h = TopologyHarness.start(TestConfigs.regressor(1000).app("expanding").stateDir(stateDir)
                .with("model.input", "dense").with("model.hidden", 4).with("max.record.bytes", 4000).toMap())) {
            h.send("s", utf8("{\"timestep\":1,\"objects\":[" + empty + "," + empty + "," + empty + "]}"));
            h.send("s", utf8("{\"timestep\":2,\"objects\":[" + empty + "," + empty + "]}"));

            List<TestRecord<byte[], byte[]>> dead = h.deadLetters().readRecordsToList();
            assertThat(dead).extracting(r -> header(r, "error.reason")).containsExactly("too-large");
            assertThat(header(dead.get(0), "error.message")).contains("3 objects x m=1000", "model.input=sparse");
            assertThat(h.objects().readValuesToList()).hasSize(2);
        }
    }
}
