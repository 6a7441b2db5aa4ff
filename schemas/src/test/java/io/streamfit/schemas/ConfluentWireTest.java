package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamfit.schemas.avro.LabelsRecord;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepPredictions;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.TimestepRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Confluent wire format's input path and output serde, with an in-memory registry of a few ids
 * in place of a real one (SchemaRegistryIT runs the same against Apicurio Registry).
 */
class ConfluentWireTest {

    private static final int OWN = 1;
    private static final int NEWER = 2;
    private static final int INCOMPATIBLE = 3;
    private static final int LABELS = 4;

    private final Registry registry = new Registry();

    @AfterEach
    void uninstall() {
        ConfluentWire.uninstall(registry);
    }

    @Test
    void withoutARegistryTheWireFormatIsUnparsableAndJsonIsReadAsBefore() {
        Timestep ts = timestep(3);
        assertThat(StreamfitSerdes.timestep().decode(TimestepJson.toBytes(ts))).isEqualTo(ts);
        assertThat(reason(() -> StreamfitSerdes.timestep().decode(frame(OWN, body(TimestepAvro.toRecord(ts))))))
                .isEqualTo(InvalidRecordException.UNPARSABLE);
    }

    @Test
    void streamfitsOwnWriterSchemaAndANewerOneBothDecodeToTheSameTimestep() throws IOException {
        ConfluentWire.install(registry);
        Timestep ts = timestep(3);
        byte[] own = frame(OWN, body(TimestepAvro.toRecord(ts)));
        byte[] newer = frame(NEWER, withNote(body(TimestepAvro.toRecord(ts))));
        assertThat(StreamfitSerdes.timestep().decode(own)).isEqualTo(ts);
        assertThat(StreamfitSerdes.timestep().decode(newer)).isEqualTo(ts);
        assertThat(registry.lookups).as("one lookup per id").containsExactly(OWN, NEWER);
        StreamfitSerdes.timestep().decode(own);
        assertThat(registry.lookups).containsExactly(OWN, NEWER);
    }

    @Test
    void badValuesHaveTheirReasons() throws IOException {
        ConfluentWire.install(registry);
        Timestep ts = timestep(2);
        byte[] body = body(TimestepAvro.toRecord(ts));
        TimestepSerde serde = StreamfitSerdes.timestep();
        assertThat(reason(() -> serde.decode(TimestepJson.toBytes(ts)))).isEqualTo(InvalidRecordException.NOT_REGISTRY_FORMAT);
        assertThat(reason(() -> serde.decode(new byte[] {0, 0, 1}))).isEqualTo(InvalidRecordException.NOT_REGISTRY_FORMAT);
        assertThat(reason(() -> serde.decode(frame(77, body)))).isEqualTo(InvalidRecordException.UNKNOWN_SCHEMA);
        assertThat(reason(() -> serde.decode(frame(INCOMPATIBLE, new byte[] {4, 'o', 'n', 'e'}))))
                .isEqualTo(InvalidRecordException.SCHEMA_MISMATCH);
        byte[] truncated = frame(OWN, java.util.Arrays.copyOf(body, body.length - 3));
        assertThat(reason(() -> serde.decode(truncated))).isEqualTo(InvalidRecordException.UNPARSABLE);
        byte[] truncatedNewer = frame(NEWER, java.util.Arrays.copyOf(body, body.length - 3));
        assertThat(reason(() -> serde.decode(truncatedNewer))).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(reason(() -> serde.decode(new byte[0]))).isEqualTo(InvalidRecordException.EMPTY);
    }

    @Test
    void theModelsLimitsHoldOnBothPaths() throws IOException {
        ConfluentWire.install(registry);
        TimestepSerde limited = StreamfitSerdes.timestep(new TimestepLimits(4, 64, 3, 1));
        Timestep five = timestep(5);
        assertThat(reason(() -> limited.decode(frame(OWN, body(TimestepAvro.toRecord(five))))))
                .isEqualTo(InvalidRecordException.TOO_MANY_OBJECTS);
        byte[] newer = frame(NEWER, withNote(body(TimestepAvro.toRecord(five))));
        assertThat(reason(() -> limited.decode(newer))).isEqualTo(InvalidRecordException.TOO_MANY_OBJECTS);
        assertThat(limited.decode(frame(NEWER, withNote(body(TimestepAvro.toRecord(timestep(4)))))))
                .isEqualTo(timestep(4));
    }

    @Test
    void labelsTooAndAnOutputRoundTrips() throws IOException {
        ConfluentWire.install(registry);
        Labels labels = new Labels("s", 7, List.of(new Labels.ObjectLabel("a", 1.5, null)), null);
        byte[] framed = frame(LABELS, body(LabelsAvro.toRecord(labels)));
        assertThat(LabelsValue.decode(framed)).isEqualTo(labels);
        assertThat(reason(() -> LabelsValue.decode(LabelsJson.toBytes(labels))))
                .isEqualTo(InvalidRecordException.NOT_REGISTRY_FORMAT);

        ConfluentAvroSerde<SumPrediction> serde = ConfluentAvroSerde.forTopic(registry, "sum-predictions",
                SumPrediction.class);
        assertThat(registry.subjects).containsEntry("sum-predictions-value", SumPrediction.getClassSchema());
        SumPrediction p = SumPrediction.newBuilder().setSeries("s").setTimestep(7).setPrediction(2.5)
                .setSumTarget(null).setObjects(3).setModelVersion(9).build();
        byte[] out = serde.serialize("sum-predictions", p);
        assertThat(out[0]).isZero();
        assertThat(ByteBuffer.wrap(out, 1, 4).getInt()).isEqualTo(serde.schemaId());
        assertThat(serde.deserialize("sum-predictions", out)).isEqualTo(p);
    }

    private static String reason(Runnable r) {
        try {
            r.run();
        } catch (InvalidRecordException e) {
            return e.reason();
        }
        throw new AssertionError("no InvalidRecordException");
    }

    private static Timestep timestep(int objects) {
        List<Timestep.ObjectInput> list = new ArrayList<>();
        for (int i = 0; i < objects; i++) {
            list.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Dense(new float[] {i, 0.5f, -1f}),
                    i % 2 == 0 ? (double) i : null, null));
        }
        return new Timestep("series-1", 42, list, new double[] {1.25});
    }

    static byte[] body(SpecificRecord record) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new SpecificDatumWriter<SpecificRecord>(record.getSchema(),
                    new CompiledClassesData(record.getClass(), record.getSchema())).write(record, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A body of {@link #newer()}: a record's encoding is its fields' in order, so the extra field goes last. */
    private static byte[] withNote(byte[] body) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(body);
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            encoder.writeString("a note streamfit does not read");
            encoder.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] frame(int id, byte[] body) {
        return ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(id).put(body).array();
    }

    private static Schema newer() {
        try {
            ObjectMapper json = new ObjectMapper();
            ObjectNode schema = (ObjectNode) json.readTree(TimestepRecord.getClassSchema().toString());
            ((ArrayNode) schema.get("fields")).add(json.createObjectNode().put("name", "note").put("type", "string"));
            return new Schema.Parser().parse(schema.toString());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theObjectPredictionsSubjectGetsTheSchemaOfTheLayoutInUseOnly() {
        TopicRegistry perObject = TopicRegistry.defaults().withValueFormat(ValueFormat.AVRO_REGISTRY, registry, false);
        assertThat(registry.subjects).containsEntry("object-predictions-value", ObjectPrediction.getClassSchema());
        assertThat(perObject.objectPredictions().valueSerde()).isInstanceOf(ConfluentAvroSerde.class);

        Registry other = new Registry();
        TopicRegistry perTimestep = TopicRegistry.defaults().withValueFormat(ValueFormat.AVRO_REGISTRY, other, true);
        assertThat(other.subjects).containsEntry("object-predictions-value", TimestepPredictions.getClassSchema())
                .containsKeys("sum-predictions-value", "anomaly-scores-value", "model-events-value");
        assertThat(perTimestep.timestepPredictions().valueSerde()).isInstanceOf(ConfluentAvroSerde.class);
        assertThat(perTimestep.objectPredictions().name()).isEqualTo(perTimestep.timestepPredictions().name());
    }

    /** Ids 1 to 4, and subjects that register as a registry does. */
    private static final class Registry implements SchemaRegistry {
        final Map<Integer, Schema> byId = new HashMap<>(Map.of(OWN, TimestepRecord.getClassSchema(), NEWER, newer(),
                INCOMPATIBLE, new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"TimestepRecord\","
                        + "\"namespace\":\"io.streamfit.schemas.avro\",\"fields\":[{\"name\":\"timestep\","
                        + "\"type\":\"string\"}]}"),
                LABELS, LabelsRecord.getClassSchema()));
        final Map<String, Schema> subjects = new HashMap<>();
        final List<Integer> lookups = new ArrayList<>();
        private final Map<Integer, Schema> cache = new HashMap<>();

        @Override
        public Schema writerSchema(int id) {
            Schema s = cache.computeIfAbsent(id, k -> {
                lookups.add(k);
                return byId.get(k);
            });
            if (s == null) {
                throw new InvalidRecordException(InvalidRecordException.UNKNOWN_SCHEMA, "$", "no id " + id);
            }
            return s;
        }

        @Override
        public int id(String subject, Schema schema) {
            subjects.put(subject, schema);
            byId.put(100 + subjects.size(), schema);
            return 100 + subjects.size();
        }
    }
}
