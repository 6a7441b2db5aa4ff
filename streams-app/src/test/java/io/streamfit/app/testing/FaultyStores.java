package io.streamfit.app.testing;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Makes one of the app's RocksDB stores fail, for fault-injection tests: pass it to
 * {@code new StreamfitApp(config, metrics, faults)}. It wraps the bytes store under the cache and
 * the changelog layers, where RocksDB itself sits, so a write reaches it when the cache flushes (at
 * a commit, or when the cache evicts) or at once when the cache is off; a fault is thrown there as
 * RocksDB would throw it. Puts (of a value: a put of null is a delete) and writes (puts and
 * deletes) are counted over every task's instance of the store.
 *
 * <pre>
 * FaultyStores faults = FaultyStores.of(Names.MODEL_STORE);
 * ... the app runs; then:
 * faults.failPut(3, FaultyStores.STORE_ERROR);          // the 3rd put from now throws, once
 * faults.failFromWrite(1, FaultyStores.DISK_FULL);      // every write from now on throws
 * </pre>
 */
public final class FaultyStores implements UnaryOperator<KeyValueBytesStoreSupplier> {

    /** What RocksDB throws when a write fails: names the store, no cause. */
    public static final Function<String, RuntimeException> STORE_ERROR = store ->
            new ProcessorStateException("Error while putting key/value into store " + store + " (injected fault)");

    /** A store that fails with a plain runtime exception: Streams' own store layers pass it on as it is. */
    public static final Function<String, RuntimeException> RUNTIME_ERROR = store ->
            new IllegalStateException("store " + store + " failed a write (injected fault)");

    /** A full disk, as RocksDB surfaces it: the store's error caused by "No space left on device". */
    public static final Function<String, RuntimeException> DISK_FULL = store ->
            new ProcessorStateException("Error while putting key/value into store " + store,
                    new java.io.IOException("No space left on device"));

    private final String store;
    private final AtomicLong puts = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong faults = new AtomicLong();
    /** The put, or else the write, that fails; and whether the writes after it fail too. */
    private volatile long failAtPut = Long.MAX_VALUE;
    private volatile long failAtWrite = Long.MAX_VALUE;
    private volatile boolean keepFailing;
    private volatile Function<String, RuntimeException> fault = STORE_ERROR;

    private FaultyStores(String store) {
        this.store = store;
    }

    /** Wraps the store named {@code store} (the others pass through); nothing fails until armed. */
    public static FaultyStores of(String store) {
        return new FaultyStores(store);
    }

    /** The {@code nth} put from now (1 = the next) throws {@code fault}; the writes after it succeed. */
    public synchronized FaultyStores failPut(long nth, Function<String, RuntimeException> fault) {
        requirePositive(nth);
        this.fault = fault;
        this.keepFailing = false;
        this.failAtWrite = Long.MAX_VALUE;
        this.failAtPut = puts.get() + nth;
        return this;
    }

    /** The {@code nth} write from now, puts and deletes alike, and every write after it throw {@code fault}, as on a full disk. */
    public synchronized FaultyStores failFromWrite(long nth, Function<String, RuntimeException> fault) {
        requirePositive(nth);
        this.fault = fault;
        this.keepFailing = true;
        this.failAtPut = Long.MAX_VALUE;
        this.failAtWrite = writes.get() + nth;
        return this;
    }

    private static void requirePositive(long nth) {
        if (nth < 1) {
            throw new IllegalArgumentException("puts and writes count from 1: " + nth);
        }
    }

    /** Puts the store has seen, failed ones included. */
    public long puts() {
        return puts.get();
    }

    /** Writes (puts and deletes) the store has seen, failed ones included. */
    public long writes() {
        return writes.get();
    }

    /** Faults thrown so far. */
    public long faults() {
        return faults.get();
    }

    @Override
    public KeyValueBytesStoreSupplier apply(KeyValueBytesStoreSupplier supplier) {
        if (!supplier.name().equals(store)) {
            return supplier;
        }
        return new KeyValueBytesStoreSupplier() {
            @Override
            public String name() {
                return supplier.name();
            }

            @Override
            public KeyValueStore<Bytes, byte[]> get() {
                return new FaultyStore(supplier.get());
            }

            @Override
            public String metricsScope() {
                return supplier.metricsScope();
            }
        };
    }

    /** Counts a write (a put when {@code value} is not null) and throws when it is one that is armed to fail. */
    private void write(byte[] value) {
        long write = writes.incrementAndGet();
        long put = value == null ? -1 : puts.incrementAndGet();
        if (put == failAtPut || write == failAtWrite || (keepFailing && write > failAtWrite)) {
            faults.incrementAndGet();
            throw fault.apply(store);
        }
    }

    /** Passes everything to the RocksDB store, and counts (and maybe fails) its writes. */
    private final class FaultyStore implements KeyValueStore<Bytes, byte[]> {

        private final KeyValueStore<Bytes, byte[]> inner;

        FaultyStore(KeyValueStore<Bytes, byte[]> inner) {
            this.inner = inner;
        }

        @Override
        public void put(Bytes key, byte[] value) {
            write(value);
            inner.put(key, value);
        }

        @Override
        public byte[] putIfAbsent(Bytes key, byte[] value) {
            write(value);
            return inner.putIfAbsent(key, value);
        }

        @Override
        public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
            entries.forEach(e -> write(e.value));
            inner.putAll(entries);
        }

        @Override
        public byte[] delete(Bytes key) {
            write(null);
            return inner.delete(key);
        }

        @Override
        public byte[] get(Bytes key) {
            return inner.get(key);
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
            return inner.range(from, to);
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to) {
            return inner.reverseRange(from, to);
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> all() {
            return inner.all();
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> reverseAll() {
            return inner.reverseAll();
        }

        @Override
        public <PS extends Serializer<P>, P> KeyValueIterator<Bytes, byte[]> prefixScan(P prefix, PS serializer) {
            return inner.prefixScan(prefix, serializer);
        }

        @Override
        public long approximateNumEntries() {
            return inner.approximateNumEntries();
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public void init(StateStoreContext context, StateStore root) {
            inner.init(context, root);
        }

        @Override
        @SuppressWarnings("deprecation")
        public void flush() {
            inner.flush();
        }

        @Override
        public void commit(Map<TopicPartition, Long> changelogOffsets) {
            inner.commit(changelogOffsets);
        }

        @Override
        public Long committedOffset(TopicPartition partition) {
            return inner.committedOffset(partition);
        }

        @Override
        @SuppressWarnings("deprecation")
        public boolean managesOffsets() {
            return inner.managesOffsets();
        }

        @Override
        public void close() {
            inner.close();
        }

        @Override
        public boolean persistent() {
            return inner.persistent();
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }

        @Override
        public <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
            return inner.query(query, bound, config);
        }

        @Override
        public Position getPosition() {
            return inner.getPosition();
        }
    }
}
