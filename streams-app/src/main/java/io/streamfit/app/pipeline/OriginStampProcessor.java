package io.streamfit.app.pipeline;

import java.nio.charset.StandardCharsets;

import io.streamfit.app.names.Names;
import io.streamfit.app.topology.StreamfitTopology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Stamps each record with its original topic, partition and offset before it is routed through
 * the one-partition topic of {@code model.scope=global}, so that a dead letter still names where
 * the bad record came from.
 */
public final class OriginStampProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    private ProcessorContext<byte[], byte[]> context;

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata md = context.recordMetadata().orElse(null);
        Record<byte[], byte[]> out = record.withHeaders(record.headers());
        if (md != null && out.headers().lastHeader(Names.ORIGIN_TOPIC_HEADER) == null) {
            out.headers().add(Names.ORIGIN_TOPIC_HEADER, md.topic().getBytes(StandardCharsets.UTF_8));
            out.headers().add(Names.ORIGIN_PARTITION_HEADER,
                    String.valueOf(md.partition()).getBytes(StandardCharsets.UTF_8));
            out.headers().add(Names.ORIGIN_OFFSET_HEADER,
                    String.valueOf(md.offset()).getBytes(StandardCharsets.UTF_8));
        }
        context.forward(out);
    }
}
