package io.streamfit.app.errors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Map;

import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/**
 * The fault table. Disk full cannot be simulated portably here (it needs a full filesystem under
 * RocksDB); RocksDB reports it as a {@link ProcessorStateException}, whose class is tested directly.
 */
class FaultClassTest {

    private record Context(org.apache.kafka.common.header.Headers headers)
            implements org.apache.kafka.streams.errors.ErrorHandlerContext {
        public String topic() {
            return "features";
        }

        public int partition() {
            return 0;
        }

        public long offset() {
            return 7L;
        }

        public String processorNodeId() {
            return "learn";
        }

        public org.apache.kafka.streams.processor.TaskId taskId() {
            return new org.apache.kafka.streams.processor.TaskId(0, 0);
        }

        public long timestamp() {
            return 1L;
        }

        public byte[] sourceRawKey() {
            return new byte[] {1};
        }

        public byte[] sourceRawValue() {
            return new byte[] {2};
        }
    }

    @Test
    void storeErrorsSuchAsDiskFullAreTheInstancesFault() {
        Exception diskFull = new ProcessorStateException("Error while putting key into store model-store",
                new IOException("No space left on device"));
        assertThat(FaultClass.of(diskFull)).isEqualTo(FaultClass.INSTANCE);
        assertThat(FaultClass.of(new StreamsException("store closed"))).isEqualTo(FaultClass.INSTANCE);
        assertThat(FaultClass.of(new RuntimeException("wrapped", diskFull))).isEqualTo(FaultClass.INSTANCE);
        assertThat(FaultClass.of(new FaultClass.InstanceFault("pending entry", null))).isEqualTo(FaultClass.INSTANCE);
        assertThat(FaultClass.of(new ModelMismatchException("spec"))).isEqualTo(FaultClass.INSTANCE);
    }

    @Test
    void aCorruptCheckpointIsTheKeysFaultAndAnythingElseTheRecords() {
        Exception corrupt = new FaultClass.ModelFault("s", "CRC", new IllegalArgumentException("corrupt"));
        assertThat(FaultClass.of(corrupt)).isEqualTo(FaultClass.MODEL_KEY);
        assertThat(FaultClass.of(new IllegalArgumentException("bad batch"))).isEqualTo(FaultClass.RECORD);
        // The gravest cause wins.
        assertThat(FaultClass.of(new FaultClass.ModelFault("s", "x", new ProcessorStateException("disk"))))
                .isEqualTo(FaultClass.INSTANCE);
    }

    @Test
    void theProcessingHandlerDeadLettersNothingOfAnInstanceFault() {
        DeadLetterProcessingHandler handler = new DeadLetterProcessingHandler();
        handler.configure(Map.of(DeadLetterHandlers.TOPIC_CONFIG, "dead-letters"));
        ProcessingExceptionHandler.Response response = handler.handleError(
                new Context(new org.apache.kafka.common.header.internals.RecordHeaders()),
                new Record<>("k", "v", 1L), new ProcessorStateException("No space left on device"));
        assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.FAIL);
        assertThat(response.deadLetterQueueRecords()).isEmpty();
    }
}
