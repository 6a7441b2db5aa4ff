package io.streamfit.app.state;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.WrappedStateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key-value store whose owner may hold some writes back until a commit is about to take them:
 * entries that are usually written and deleted again within one commit interval (the pending
 * store's buffered timesteps) then cost nothing between commits, and each commit still finds in
 * the store everything that must be there.
 *
 * <p>The hook is Kafka Streams' own: before a task commits, Streams flushes the caches of its
 * stores ({@code CachedStateStore.flushCache}, called on the outermost store, this one) and only
 * then flushes the producer and commits the input offsets with the outputs. The owner's
 * {@link Deferred#write} runs there, before the store's cache is flushed, so the entries reach the
 * changelog in the same transaction as the offsets that passed their records. It is an internal
 * interface of Kafka Streams (the only one streamfit uses; {@code LayeringTest} keeps it to this
 * class), so the store checks that the hook ran: a commit that finds writes still held
 * ({@link #commit}) logs an error, writes them then, and the store writes at once from then on.
 *
 * <p>Everything else goes to the wrapped store as it is; one stream thread uses a task's store.
 */
public final class WriteAtCommitStore extends WrappedStateStore<KeyValueStore<String, byte[]>, String, byte[]>
        implements KeyValueStore<String, byte[]> {

    private static final Logger LOG = LoggerFactory.getLogger(WriteAtCommitStore.class);

    /** The owner of the writes held back. */
    public interface Deferred {
        /** Writes every held-back entry the store must hold at a commit. */
        void write();

        /** Whether {@link #write} has anything to write. */
        boolean holds();
    }

    private Deferred deferred;
    /** Set when a commit found writes held back that the hook did not write: the hook is not called. */
    private boolean writeThrough;

    WriteAtCommitStore(KeyValueStore<String, byte[]> wrapped) {
        super(wrapped);
    }

    /**
     * A builder of {@code inner}'s store, wrapped; its caching and logging settings are
     * {@code inner}'s.
     */
    public static StoreBuilder<KeyValueStore<String, byte[]>> builder(StoreBuilder<KeyValueStore<String, byte[]>> inner) {
        return new Builder(inner);
    }

    /** The write-at-commit store under {@code store} (as a processor gets it from its context), if any. */
    public static Optional<WriteAtCommitStore> find(StateStore store) {
        StateStore s = store;
        while (true) {
            if (s instanceof WriteAtCommitStore w) {
                return Optional.of(w);
            }
            if (!(s instanceof WrappedStateStore<?, ?, ?> wrapper)) {
                return Optional.empty();
            }
            s = wrapper.wrapped();
        }
    }

    /**
     * Makes {@code owner} the one whose writes wait for the commit, in place of any earlier owner (a
     * task that starts over has a new one); {@code null} for none.
     */
    public void deferTo(Deferred owner) {
        this.deferred = owner;
    }

    /** Whether writes may wait for the commit; once false, they must be written at once. */
    public boolean defers() {
        return !writeThrough;
    }

    @Override
    public void flushCache() {
        Deferred owner = deferred;
        if (owner != null) {
            owner.write();
        }
        super.flushCache();
    }

    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        Deferred owner = deferred;
        if (owner != null && !writeThrough && owner.holds()) {
            // Streams committed without flushing this store's cache first (a Kafka Streams version
            // that no longer calls the hook): the records behind these entries are past the
            // committed offsets. Write them now, into the next transaction, and from now on at once.
            LOG.error("Kafka Streams committed task state without calling the pre-commit hook of store {}; its "
                    + "held-back writes go to the next commit, and from now on it writes at once. A crash before that "
                    + "commit loses the timesteps that were waiting for their micro-batch.", name());
            writeThrough = true;
            owner.write();
        }
        super.commit(changelogOffsets);
    }

    @Override
    public void init(org.apache.kafka.streams.processor.StateStoreContext context, StateStore root) {
        deferred = null;
        super.init(context, root);
    }

    @Override
    public void close() {
        deferred = null;
        super.close();
    }

    @Override
    public void put(String key, byte[] value) {
        wrapped().put(key, value);
    }

    @Override
    public byte[] putIfAbsent(String key, byte[] value) {
        return wrapped().putIfAbsent(key, value);
    }

    @Override
    public void putAll(List<KeyValue<String, byte[]>> entries) {
        wrapped().putAll(entries);
    }

    @Override
    public byte[] delete(String key) {
        return wrapped().delete(key);
    }

    @Override
    public byte[] get(String key) {
        return wrapped().get(key);
    }

    @Override
    public KeyValueIterator<String, byte[]> range(String from, String to) {
        return wrapped().range(from, to);
    }

    @Override
    public KeyValueIterator<String, byte[]> reverseRange(String from, String to) {
        return wrapped().reverseRange(from, to);
    }

    @Override
    public KeyValueIterator<String, byte[]> all() {
        return wrapped().all();
    }

    @Override
    public KeyValueIterator<String, byte[]> reverseAll() {
        return wrapped().reverseAll();
    }

    @Override
    public <PS extends org.apache.kafka.common.serialization.Serializer<P>, P> KeyValueIterator<String, byte[]> prefixScan(
            P prefix, PS prefixKeySerializer) {
        return wrapped().prefixScan(prefix, prefixKeySerializer);
    }

    @Override
    public long approximateNumEntries() {
        return wrapped().approximateNumEntries();
    }

    private static final class Builder implements StoreBuilder<KeyValueStore<String, byte[]>> {
        private final StoreBuilder<KeyValueStore<String, byte[]>> inner;

        Builder(StoreBuilder<KeyValueStore<String, byte[]>> inner) {
            this.inner = inner;
        }

        @Override
        public StoreBuilder<KeyValueStore<String, byte[]>> withCachingEnabled() {
            inner.withCachingEnabled();
            return this;
        }

        @Override
        public StoreBuilder<KeyValueStore<String, byte[]>> withCachingDisabled() {
            inner.withCachingDisabled();
            return this;
        }

        @Override
        public StoreBuilder<KeyValueStore<String, byte[]>> withLoggingEnabled(Map<String, String> config) {
            inner.withLoggingEnabled(config);
            return this;
        }

        @Override
        public StoreBuilder<KeyValueStore<String, byte[]>> withLoggingDisabled() {
            inner.withLoggingDisabled();
            return this;
        }

        @Override
        public KeyValueStore<String, byte[]> build() {
            return new WriteAtCommitStore(inner.build());
        }

        @Override
        public Map<String, String> logConfig() {
            return inner.logConfig();
        }

        @Override
        public boolean loggingEnabled() {
            return inner.loggingEnabled();
        }

        @Override
        public String name() {
            return inner.name();
        }
    }
}
