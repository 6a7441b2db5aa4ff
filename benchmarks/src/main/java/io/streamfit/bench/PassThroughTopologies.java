package io.streamfit.bench;

import java.io.IOException;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The two baselines of the end-to-end benchmark: what Kafka Streams costs with no model at all.
 * Both read and write raw bytes; neither keeps state.
 */
public final class PassThroughTopologies {

    private PassThroughTopologies() {
    }

    /** (a) Copies every record's bytes from {@code input} to {@code output}: the pipeline limit. */
    public static Topology copyBytes(String input, String output) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .to(output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        return builder.build();
    }

    /**
     * (b) Parses every value into a Jackson tree and writes the tree back: the least a
     * JSON-reading application pays per record.
     */
    public static Topology jsonTree(String input, String output) {
        ObjectMapper mapper = new ObjectMapper();
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .mapValues(value -> {
                    try {
                        return mapper.writeValueAsBytes(mapper.readTree(value));
                    } catch (IOException e) {
                        throw new UncheckedIOException("unparsable JSON value of " + value.length + " bytes", e);
                    }
                })
                .to(output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        return builder.build();
    }
}
