package io.streamfit.schemas;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TimestepJsonTest {

    /** The input example of design.md, verbatim. */
    static final String DESIGN_EXAMPLE = """
            {
              "series": "plant-7",
              "timestep": 1042,
              "objects": [
                {"id": "turbine-1", "features": [0.51, 0.03, 0.70], "target": 12.5},
                {"id": "turbine-2", "features": [0.47, 0.08, 0.66]},
                {"id": "turbine-3", "features": {"indices": [0, 2], "values": [1.0, 1.0]}, "label": 2}
              ],
              "sumTarget": 25.1
            }
            """;

    private static Timestep parse(String json) {
        return TimestepJson.parse(json.getBytes(UTF_8));
    }

    private static InvalidRecordException failure(String json) {
        return failure(json.getBytes(UTF_8));
    }

    private static InvalidRecordException failure(byte[] bytes) {
        return catchThrowableOfType(InvalidRecordException.class, () -> StreamfitSerdes.timestep().deserialize("features", bytes));
    }

    @Test
    void parsesTheDesignExampleExactly() {
        Timestep ts = parse(DESIGN_EXAMPLE);

        assertThat(ts.series()).isEqualTo("plant-7");
        assertThat(ts.timestep()).isEqualTo(1042L);
        assertThat(ts.sumTarget()).containsExactly(25.1);
        assertThat(ts.objects()).hasSize(3);

        Timestep.ObjectInput t1 = ts.objects().get(0);
        assertThat(t1.id()).isEqualTo("turbine-1");
        assertThat(((FeatureVector.Dense) t1.features()).values()).containsExactly(0.51f, 0.03f, 0.70f);
        assertThat(t1.target()).isEqualTo(12.5);
        assertThat(t1.label()).isNull();

        Timestep.ObjectInput t2 = ts.objects().get(1);
        assertThat(t2.id()).isEqualTo("turbine-2");
        assertThat(((FeatureVector.Dense) t2.features()).values()).containsExactly(0.47f, 0.08f, 0.66f);
        assertThat(t2.target()).isNull();
        assertThat(t2.label()).isNull();

        Timestep.ObjectInput t3 = ts.objects().get(2);
        assertThat(t3.id()).isEqualTo("turbine-3");
        FeatureVector.Sparse sparse = (FeatureVector.Sparse) t3.features();
        assertThat(sparse.indices()).containsExactly(0, 2);
        assertThat(sparse.values()).containsExactly(1.0f, 1.0f);
        assertThat(t3.target()).isNull();
        assertThat(t3.label()).isEqualTo(2);
    }

    @Test
    void writesTheContractShapeCompactly() {
        String json = new String(TimestepJson.toBytes(parse(DESIGN_EXAMPLE)), UTF_8);

        assertThat(json).isEqualTo("{\"series\":\"plant-7\",\"timestep\":1042,\"objects\":["
                + "{\"id\":\"turbine-1\",\"features\":[0.51,0.03,0.7],\"target\":12.5},"
                + "{\"id\":\"turbine-2\",\"features\":[0.47,0.08,0.66]},"
                + "{\"id\":\"turbine-3\",\"features\":{\"indices\":[0,2],\"values\":[1.0,1.0]},\"label\":2}],"
                + "\"sumTarget\":25.1}");
    }

    @Test
    void jsonRoundTripKeepsEveryField() {
        Timestep ts = parse(DESIGN_EXAMPLE);
        TimestepSerde serde = StreamfitSerdes.timestep();

        assertThat(serde.deserialize("features", serde.serialize("features", ts))).isEqualTo(ts);
    }

    @Test
    void leavesOutAbsentOptionalsAndWritesClassCountsAsAnArray() {
        Timestep ts = new Timestep(null, -3, List.of(new Timestep.ObjectInput("a",
                new FeatureVector.Dense(new float[0]), null, null)), new double[] {1, 2.5});

        assertThat(new String(TimestepJson.toBytes(ts), UTF_8))
                .isEqualTo("{\"timestep\":-3,\"objects\":[{\"id\":\"a\",\"features\":[]}],\"sumTarget\":[1.0,2.5]}");
    }

    @Test
    void acceptsIntegersForNumbersNullOptionalsAndSkipsUnknownFields() {
        Timestep ts = parse("""
                {"v": {"nested": [1, {"x": null}]}, "timestep": 7, "series": null, "sumTarget": [3, 4.5],
                 "objects": [{"id": "a", "extra": [[]], "features": [1, -2, 3e2], "target": 4, "label": null},
                             {"id": "b", "features": {"values": [2], "indices": [5], "scale": 1.0}, "target": null}],
                 "later": "field"}
                """);

        assertThat(ts).isEqualTo(new Timestep(null, 7, List.of(
                new Timestep.ObjectInput("a", new FeatureVector.Dense(new float[] {1, -2, 300}), 4.0, null),
                new Timestep.ObjectInput("b", new FeatureVector.Sparse(new int[] {5}, new float[] {2}), null, null)),
                new double[] {3, 4.5}));
    }

    @Test
    void emptyObjectsAndLongExtremesAreStructurallyFine() {
        // An empty objects array is the processor's to reject (it knows the rules), not the decoder's.
        assertThat(parse("{\"timestep\":9223372036854775807,\"objects\":[]}").objects()).isEmpty();
        assertThat(parse("{\"timestep\":-9223372036854775808,\"objects\":[]}").timestep()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void parsesDensePastTheScratchBufferSize() {
        StringBuilder sb = new StringBuilder("{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[");
        for (int i = 0; i < 1000; i++) {
            sb.append(i == 0 ? "" : ",").append(i);
        }
        sb.append("]},{\"id\":\"b\",\"features\":[5]}]}");

        Timestep ts = parse(sb.toString());

        float[] a = ((FeatureVector.Dense) ts.objects().get(0).features()).values();
        assertThat(a).hasSize(1000);
        assertThat(a[999]).isEqualTo(999f);
        assertThat(((FeatureVector.Dense) ts.objects().get(1).features()).values()).containsExactly(5f);
    }

    @ParameterizedTest(name = "{0} -> {1} at {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        // input | reason | path in message
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[1,2,3,4,5,\"x\"]},{\"id\":\"b\",\"features\":[]},{\"id\":\"c\",\"features\":[0,0,0,0,0,\"s\"]}]}`"
                + " | wrong-type | objects[0].features[5]: expected a number, got STRING",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[]},{\"id\":\"b\",\"features\":[]},{\"id\":\"c\",\"features\":[0,1,2,3,4,true]}]}`"
                + " | wrong-type | objects[2].features[5]: expected a number, got BOOLEAN",
        "`{\"objects\":[]}` | missing-field | timestep: required field is missing",
        "`{\"timestep\":1}` | missing-field | objects: required field is missing",
        "`{\"timestep\":null,\"objects\":[]}` | missing-field | timestep: required field is null",
        "`{\"timestep\":1,\"objects\":null}` | missing-field | objects: required field is null",
        "`{\"timestep\":\"1\",\"objects\":[]}` | wrong-type | timestep: expected an integer, got STRING",
        "`{\"timestep\":1.5,\"objects\":[]}` | wrong-type | timestep: expected an integer, got FLOAT",
        "`{\"timestep\":1,\"objects\":{}}` | wrong-type | objects: expected an array of objects, got OBJECT",
        "`{\"timestep\":1,\"objects\":[[]]}` | wrong-type | objects[0]: expected an object, got ARRAY",
        "`{\"timestep\":1,\"objects\":[{\"features\":[1]}]}` | missing-field | objects[0].id: required field is missing",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\"}]}` | missing-field | objects[0].features: required field is missing",
        "`{\"timestep\":1,\"objects\":[{\"id\":7,\"features\":[]}]}` | wrong-type | objects[0].id: expected a string, got INTEGER",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":\"1,2\"}]}` | wrong-type | objects[0].features: expected an array of numbers or an object {indices, values}, got STRING",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[null]}]}` | wrong-type | objects[0].features[0]: expected a number, got NULL",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":{\"indices\":[0,1],\"values\":[1]}}]}` | length-mismatch | objects[0].features: 2 indices but 1 values",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":{\"indices\":[0]}}]}` | missing-field | objects[0].features.values: required field is missing",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":{\"indices\":[0.5],\"values\":[1]}}]}` | wrong-type | objects[0].features.indices[0]: expected an integer, got FLOAT",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":{\"indices\":[9999999999],\"values\":[1]}}]}` | out-of-range | objects[0].features.indices[0]: integer does not fit in 32 bits",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[],\"target\":\"12\"}]}` | wrong-type | objects[0].target: expected a number, got STRING",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[],\"label\":1.0}]}` | wrong-type | objects[0].label: expected an integer, got FLOAT",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[],\"label\":4294967296}]}` | out-of-range | objects[0].label: integer does not fit in 32 bits",
        "`{\"timestep\":1,\"objects\":[],\"sumTarget\":\"25\"}` | wrong-type | sumTarget: expected a number or an array of numbers, got STRING",
        "`{\"timestep\":1,\"objects\":[],\"sumTarget\":[1,null]}` | wrong-type | sumTarget[1]: expected a number, got NULL",
        "`{\"timestep\":1,\"objects\":[],\"series\":42}` | wrong-type | series: expected a string, got INTEGER",
        "`{\"timestep\":99999999999999999999,\"objects\":[]}` | out-of-range | timestep: integer does not fit in 64 bits",
        "`{\"timestep\":1,\"timestep\":2,\"objects\":[]}` | duplicate-field | timestep: field appears twice",
        "`[1,2]` | wrong-type | $: expected a JSON object, got ARRAY",
        "`\"features\"` | wrong-type | $: expected a JSON object, got STRING",
        "`{\"timestep\":1,\"objects\":[]} {}` | unparsable | $: trailing content after the JSON object",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[0.1,0.2` | unparsable | objects[0].features[2]: malformed JSON",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[NaN]}]}` | unparsable | objects[0].features[0]: malformed JSON",
        "`{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[1,,2]}]}` | unparsable | objects[0].features[1]: malformed JSON",
        "`{timestep:1}` | unparsable | $: malformed JSON",
        "`   ` | empty | $: no JSON value",
    })
    void structuralErrorsNameTheReasonAndThePath(String json, String reason, String message) {
        InvalidRecordException e = failure(json);

        assertThat(e).as("no exception for %s", json).isNotNull();
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.getMessage()).startsWith(message);
        assertThat(e.getMessage()).startsWith(e.path() + ": ");
    }

    @Test
    void emptyBytesAreEmpty() {
        InvalidRecordException e = failure(new byte[0]);

        assertThat(e.reason()).isEqualTo(InvalidRecordException.EMPTY);
        assertThat(e.path()).isEqualTo("$");
    }

    @Test
    void garbageBytesAreUnparsable() {
        byte[] garbage = {0x00, (byte) 0xFF, 0x13, 0x37, (byte) 0x80, 0x7F, 0x01, 0x02};

        InvalidRecordException e = failure(garbage);

        assertThat(e.reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(e.getMessage()).startsWith("$: malformed JSON");
    }

    @Test
    void invalidUtf8InAStringIsUnparsable() {
        byte[] json = "{\"timestep\":1,\"objects\":[{\"id\":\"X\",\"features\":[]}]}".getBytes(UTF_8);
        json[new String(json, UTF_8).indexOf('X')] = (byte) 0xFF; // a byte that never occurs in UTF-8

        InvalidRecordException e = failure(json);

        assertThat(e.reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(e.path()).isEqualTo("objects[0].id");
    }

    @Test
    void errorMessagesDoNotEchoStringValues() {
        InvalidRecordException e = failure("{\"timestep\":\"secret-token-123\",\"objects\":[]}");

        assertThat(e.getMessage()).doesNotContain("secret-token-123");
    }

    @Test
    void theExceptionIsAKafkaSerializationException() {
        assertThat(failure("{")).isInstanceOf(org.apache.kafka.common.errors.SerializationException.class);
    }

    @Test
    void nullBytesAreANullValue() {
        assertThat(StreamfitSerdes.timestep().deserialize("features", null)).isNull();
        assertThat(StreamfitSerdes.timestep().serialize("features", null)).isNull();
    }
}
