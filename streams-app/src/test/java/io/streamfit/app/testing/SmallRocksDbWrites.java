package io.streamfit.app.testing;

import java.util.Map;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.Options;

/**
 * {@code rocksdb.config.setter} for tests that need RocksDB to write to disk soon: memtables of
 * 64 KiB (RocksDB's smallest) instead of Kafka Streams' 16 MiB, so that a few dozen checkpoints
 * are flushed to an SST file, and no 4 MiB preallocation of the manifest. A full disk then shows
 * within seconds instead of when a store closes.
 */
public final class SmallRocksDbWrites implements RocksDBConfigSetter {

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        options.setWriteBufferSize(64 * 1024);
        options.setMaxWriteBufferNumber(2);
        options.setManifestPreallocationSize(16 * 1024);
    }

    @Override
    public void close(String storeName, Options options) {
    }
}
