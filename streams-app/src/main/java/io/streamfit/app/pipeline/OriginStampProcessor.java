package io.streamfit.app.pipeline;

import java.nio.charset.StandardCharsets;

import io.streamfit.app.errors.Origin;
import io.streamfit.app.names.Names;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Stamps each record with its original topic, partition and offset before it is routed through
 * the one-partition topic of {@code model.scope=global}, so that a dead letter still names where
 * the bad record came from.
 *
 * <p>Any {@code streamfit.*} header the record arrived with is removed first: a producer could set
 * {@code streamfit.origin.*} itself, and the learning processor trusts the stamp on routed records.
 * (The route topic is internal: only the service writes it, and its ACLs say so.)
 */
public final class OriginStampProcessor implements Processor<byte[], byte[], byte[], Output> {

    private ProcessorContext<byte[], Output> context;

    @Override
    public void init(ProcessorContext<byte[], Output> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata md = context.recordMetadata().orElse(null);
        Headers external = Origin.external(record.headers());
        Origin origin = md == null
                ? new Origin("", -1, -1L, record.key(), record.value(), external, record.timestamp())
                : new Origin(md.topic(), md.partition(), md.offset(), record.key(), record.value(), external,
                        record.timestamp());
        Headers stamped = new RecordHeaders(external.toArray());
        if (md != null) {
            stamped.add(Names.ORIGIN_TOPIC_HEADER, md.topic().getBytes(StandardCharsets.UTF_8));
            stamped.add(Names.ORIGIN_PARTITION_HEADER, String.valueOf(md.partition()).getBytes(StandardCharsets.UTF_8));
            stamped.add(Names.ORIGIN_OFFSET_HEADER, String.valueOf(md.offset()).getBytes(StandardCharsets.UTF_8));
        }
        int keyBytes = record.key() == null ? 0 : record.key().length;
        context.forward(new Record<>(record.key(), new Output.RouteOut(record.value(), keyBytes, origin),
                record.timestamp(), stamped));
    }
}
