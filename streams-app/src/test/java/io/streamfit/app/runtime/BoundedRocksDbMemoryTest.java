package io.streamfit.app.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import io.streamfit.app.config.StreamfitConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * {@code rocksdb.memory.bytes}: every RocksDB store of the process shares one block cache of that
 * size, with their memtables charged to it, instead of a cache and memtables of its own.
 */
class BoundedRocksDbMemoryTest {

    private static final long BYTES = 24L * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void theBudgetIsAStreamfitKeyThatDefaultsTo128MiBAndZeroKeepsKafkasPerStoreMemory() {
        assertThat(new StreamfitConfig(Map.of("model.features", "2")).rocksdbMemoryBytes())
                .isEqualTo(128L * 1024 * 1024);
        assertThat(new StreamfitConfig(Map.of("model.features", "2", "rocksdb.memory.bytes", "0"))
                .rocksdbMemoryBytes()).isZero();
        assertThat(new StreamfitConfig(Map.of("model.features", "2", "rocksdb.memory.bytes", "134217728"))
                .rocksdbMemoryBytes()).isEqualTo(128L * 1024 * 1024);
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "2", "rocksdb.memory.bytes", "-1")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("rocksdb.memory.bytes");
    }

    @Test
    void aBudgetPutsTheSetterInStreamsPropertiesUnlessTheConfigurationHasItsOwn() {
        Properties none = new Properties();
        assertThat(BoundedRocksDbMemory.apply(none, 0)).isFalse();
        assertThat(none).isEmpty();

        Properties set = new Properties();
        assertThat(BoundedRocksDbMemory.apply(set, BYTES)).isTrue();
        assertThat(set).containsEntry(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class)
                .containsEntry(BoundedRocksDbMemory.BYTES_CONFIG, String.valueOf(BYTES));

        Properties own = new Properties();
        own.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, "com.example.MySetter");
        assertThat(BoundedRocksDbMemory.apply(own, BYTES)).isFalse();
        assertThat(own).containsOnlyKeys(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG)
                .containsEntry(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, "com.example.MySetter");
    }

    @Test
    void everyStoreOpensWithTheOneSharedCacheAndWriteBufferManager() throws Exception {
        RocksDB.loadLibrary();
        Map<String, Object> configs = new HashMap<>();
        configs.put(BoundedRocksDbMemory.BYTES_CONFIG, String.valueOf(BYTES));
        BoundedRocksDbMemory setter = new BoundedRocksDbMemory();
        try (Options a = new Options().setCreateIfMissing(true).setTableFormatConfig(new BlockBasedTableConfig());
             Options b = new Options().setCreateIfMissing(true).setTableFormatConfig(new BlockBasedTableConfig())) {
            setter.setConfig("model-store", a, configs);
            setter.setConfig("pending-store", b, configs);
            // The first store of the process sets the budget (this test's, unless another test came first).
            long budget = BoundedRocksDbMemory.budget();
            assertThat(budget).isPositive();
            assertThat(a.writeBufferManager()).isNotNull().isSameAs(b.writeBufferManager());
            assertThat(((BlockBasedTableConfig) a.tableFormatConfig()).cacheIndexAndFilterBlocks()).isTrue();
            try (RocksDB one = RocksDB.open(a, dir.resolve("one").toString());
                 RocksDB two = RocksDB.open(b, dir.resolve("two").toString())) {
                one.put("k".getBytes(), new byte[1024]);
                two.put("k".getBytes(), new byte[1024]);
                // Kafka Streams' default would be a cache of 50 MiB for each.
                assertThat(Long.parseLong(one.getProperty("rocksdb.block-cache-capacity"))).isEqualTo(budget);
                assertThat(Long.parseLong(two.getProperty("rocksdb.block-cache-capacity"))).isEqualTo(budget);
                // The memtables are charged to that cache.
                assertThat(Long.parseLong(one.getProperty("rocksdb.block-cache-usage"))).isPositive();
            }
            setter.close("model-store", a);
            setter.close("pending-store", b);
        }
    }
}
