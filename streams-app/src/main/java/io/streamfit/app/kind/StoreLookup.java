package io.streamfit.app.kind;

import org.apache.kafka.streams.processor.StateStore;

/** The state stores of a stream task by name, as the processor context gives them. */
@FunctionalInterface
public interface StoreLookup {

    <S extends StateStore> S store(String name);

    /** No stores at all (backfill, which trains only kinds that keep no stream state). */
    StoreLookup NONE = new StoreLookup() {
        @Override
        public <S extends StateStore> S store(String name) {
            throw new IllegalStateException("no state store " + name + " here");
        }
    };
}
