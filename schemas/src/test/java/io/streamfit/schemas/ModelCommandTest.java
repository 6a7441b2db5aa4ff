package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ModelCommandTest {

    private static ModelCommand parse(String json) {
        return ModelCommand.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static InvalidRecordException refusal(String json) {
        try {
            parse(json);
        } catch (InvalidRecordException e) {
            return e;
        }
        throw new AssertionError("accepted: " + json);
    }

    @Test
    void theContractsThreeCommandsParse() {
        assertThat(parse("{\"command\":\"rollback\",\"toVersion\":12000}")).isEqualTo(ModelCommand.rollback(12000));
        assertThat(parse("{\"command\":\"reset\"}")).isEqualTo(ModelCommand.reset());
        assertThat(parse("{\"command\":\"promote\",\"challenger\":\"a\"}")).isEqualTo(ModelCommand.promote("a"));
        assertThat(parse("{\"command\":\"rollback\",\"toVersion\":7,\"generation\":2,\"note\":{\"by\":\"ops\"}}"))
                .isEqualTo(new ModelCommand(ModelCommand.Kind.ROLLBACK, 7L, 2, null));
        // Fields another command would use are dropped rather than carried.
        assertThat(parse("{\"command\":\"reset\",\"toVersion\":5,\"challenger\":\"b\"}")).isEqualTo(ModelCommand.reset());
    }

    @Test
    void aCommandWritesTheJsonItIsReadFrom() {
        for (ModelCommand c : new ModelCommand[] {ModelCommand.rollback(3), ModelCommand.reset(), ModelCommand.promote("b"),
                new ModelCommand(ModelCommand.Kind.ROLLBACK, 9L, 1, null)}) {
            assertThat(ModelCommand.parse(c.toBytes())).isEqualTo(c);
        }
        assertThat(new String(ModelCommand.rollback(12000).toBytes(), StandardCharsets.UTF_8))
                .isEqualTo("{\"command\":\"rollback\",\"toVersion\":12000}");
    }

    @Test
    void whatIsNotACommandIsRefusedWithAReasonAndThePath() {
        assertThat(refusal("{\"command\":\"delete\"}")).satisfies(e -> {
            assertThat(e.reason()).isEqualTo(ModelCommand.UNKNOWN_COMMAND);
            assertThat(e.path()).isEqualTo("command");
        });
        assertThat(refusal("{\"command\":\"rollback\"}")).satisfies(e -> {
            assertThat(e.reason()).isEqualTo(InvalidRecordException.MISSING_FIELD);
            assertThat(e.path()).isEqualTo("toVersion");
        });
        assertThat(refusal("{\"command\":\"promote\"}").path()).isEqualTo("challenger");
        assertThat(refusal("{\"toVersion\":1}").path()).isEqualTo("command");
        assertThat(refusal("{\"command\":\"rollback\",\"toVersion\":-1}").reason())
                .isEqualTo(InvalidRecordException.OUT_OF_RANGE);
        assertThat(refusal("{\"command\":\"rollback\",\"toVersion\":\"12\"}").reason())
                .isEqualTo(InvalidRecordException.WRONG_TYPE);
        assertThat(refusal("{\"command\":\"reset\",\"command\":\"reset\"}").reason())
                .isEqualTo(InvalidRecordException.DUPLICATE_FIELD);
        assertThat(refusal("{\"command\":\"promote\",\"challenger\":\"" + "x".repeat(65) + "\"}").reason())
                .isEqualTo(InvalidRecordException.TOO_LARGE);
        assertThat(refusal("not json").reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(refusal("[1]").reason()).isEqualTo(InvalidRecordException.WRONG_TYPE);
        assertThatThrownBy(() -> ModelCommand.parse(new byte[0])).isInstanceOf(InvalidRecordException.class)
                .extracting(e -> ((InvalidRecordException) e).reason()).isEqualTo(InvalidRecordException.EMPTY);
    }
}
