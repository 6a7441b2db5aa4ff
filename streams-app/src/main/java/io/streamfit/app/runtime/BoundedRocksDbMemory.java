package io.streamfit.app.runtime;

import java.util.Map;
import java.util.Properties;

import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One memory budget for every RocksDB store of the process ({@code rocksdb.memory.bytes}): a
 * block cache that all stores share, which also holds their index and filter blocks, and a write
 * buffer manager that charges their memtables to the same cache. Kafka Streams' default gives each
 * store its own 50 MiB cache and up to three 16 MiB memtables, so the off-heap memory grows with
 * the number of stores (two or three per task), which a container's memory limit cannot follow;
 * with this setter it stays near the budget however many tasks an instance holds (the pattern of
 * Kafka Streams' memory management guide).
 *
 * <p>The cache and the write buffer manager are made by the first store that opens and live as
 * long as the process: one budget per JVM (a second application in the same JVM with another
 * budget shares the first one's, and is told so in the log).
 */
public final class BoundedRocksDbMemory implements RocksDBConfigSetter {

    private static final Logger LOG = LoggerFactory.getLogger(BoundedRocksDbMemory.class);

    /** The Streams property through which the stores learn the budget, in bytes. */
    public static final String BYTES_CONFIG = "streamfit.rocksdb.memory.bytes";

    /** The part of the budget that memtables may take before RocksDB flushes them. */
    static final double MEMTABLE_SHARE = 0.5;

    /** The part of the cache kept for index and filter blocks (the high-priority pool). */
    static final double INDEX_FILTER_SHARE = 0.1;

    private static Cache cache;
    private static WriteBufferManager writeBuffers;
    private static long budget;

    /**
     * Puts the budget in Streams' properties: this setter with {@code bytes}, unless {@code bytes}
     * is 0 (Kafka Streams' defaults) or the configuration names a setter of its own, which wins
     * (logged, since the budget then does not apply).
     *
     * @return whether the budget applies
     */
    public static boolean apply(Properties streams, long bytes) {
        if (bytes <= 0) {
            return false;
        }
        Object own = streams.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG);
        if (own != null) {
            LOG.info("{} is set ({}), so rocksdb.memory.bytes={} does not apply: that setter decides the stores' memory",
                    StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, own, bytes);
            return false;
        }
        streams.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class);
        streams.put(BYTES_CONFIG, String.valueOf(bytes));
        return true;
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        long bytes = Long.parseLong(String.valueOf(configs.get(BYTES_CONFIG)).trim());
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        synchronized (BoundedRocksDbMemory.class) {
            if (cache == null) {
                // Not strict: a block larger than what is left is still read, rather than failing the read.
                cache = new LRUCache(bytes, -1, false, INDEX_FILTER_SHARE);
                writeBuffers = new WriteBufferManager((long) (bytes * MEMTABLE_SHARE), cache);
                budget = bytes;
                LOG.info("RocksDB stores share {} bytes of memory (block cache, index and filter blocks, memtables)",
                        bytes);
            } else if (bytes != budget) {
                LOG.warn("RocksDB store {} asks for a memory budget of {} bytes, but this process's stores already "
                        + "share {} bytes: one budget per JVM", storeName, bytes, budget);
            }
            table.setBlockCache(cache);
            options.setWriteBufferManager(writeBuffers);
        }
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and the write buffer manager are every store's: a store that closes leaves them.
    }

    /** The budget the stores of this process share, in bytes; 0 before the first store opened. */
    static synchronized long budget() {
        return budget;
    }
}
