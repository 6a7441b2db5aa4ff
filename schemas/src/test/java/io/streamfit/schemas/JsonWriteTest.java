package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/**
 * {@link Json#write} keeps one generator per thread: each record must still come out on its own,
 * whatever the thread wrote before it (another record, a failed one, a very large one).
 */
class JsonWriteTest {

    /** Writes {"name": value}, or fails half-way when value is "fail". */
    private static final JsonCodec<String> CODEC = new JsonCodec<>() {
        @Override
        public String read(JsonCursor in) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void write(String value, JsonGenerator g) throws IOException {
            g.writeStartObject();
            g.writeStringField("name", value);
            if (value.equals("fail")) {
                throw new IOException("failed half-way");
            }
            g.writeEndObject();
        }
    };

    private static String write(String value) {
        return new String(Json.write(value, CODEC), StandardCharsets.UTF_8);
    }

    @Test
    void eachRecordStandsAloneAfterOthers() {
        assertThat(write("a")).isEqualTo("{\"name\":\"a\"}");
        assertThat(write("b")).isEqualTo("{\"name\":\"b\"}");
        assertThat(write("a")).isEqualTo("{\"name\":\"a\"}");
    }

    @Test
    void aFailedRecordLeavesNothingForTheNext() {
        assertThat(write("a")).isEqualTo("{\"name\":\"a\"}");
        assertThatThrownBy(() -> write("fail")).isInstanceOf(SerializationException.class)
                .hasMessageContaining("failed half-way");
        assertThat(write("b")).isEqualTo("{\"name\":\"b\"}");
    }

    @Test
    void aLargeRecordIsWholeAndTheNextIsSmall() {
        String large = "x".repeat(200_000);
        assertThat(write(large)).hasSize(200_000 + 11);
        assertThat(write("b")).isEqualTo("{\"name\":\"b\"}");
    }

    @Test
    void threadsWriteIndependently() throws InterruptedException {
        AtomicReference<String> other = new AtomicReference<>();
        assertThat(write("a")).isEqualTo("{\"name\":\"a\"}");
        Thread t = new Thread(() -> other.set(write("b")));
        t.start();
        t.join();
        assertThat(other.get()).isEqualTo("{\"name\":\"b\"}");
        assertThat(write("c")).isEqualTo("{\"name\":\"c\"}");
    }
}
