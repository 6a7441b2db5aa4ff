package io.streamfit.app.cli;

import java.nio.file.Path;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.names.Names;
import io.streamfit.schemas.AvroLimits;
import org.apache.avro.SystemLimitException;

/**
 * Run in a fresh JVM by {@link ServiceConfigOptionTest}: loads a configuration as {@code run},
 * {@code backfill} and {@code export} do, and prints whether Avro enforces the limits derived from it.
 * With {@code avro-first}, Avro initialises its limits before the configuration is loaded.
 */
public final class AvroLimitsAtStartProbe {

    private AvroLimitsAtStartProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 1 && args[1].equals("avro-first")) {
            SystemLimitException.checkMaxStringLength(1);
        }
        ServiceConfigOption option = new ServiceConfigOption();
        option.config = Path.of(args[0]);
        StreamfitConfig cfg = option.load();
        AvroLimits limits = AvroLimits.forValues(cfg.maxRecordBytes(), Integer.parseInt(Names.CHANGELOG_MAX_MESSAGE_BYTES));
        System.out.println("inForce=" + limits.inForce());
        System.out.println("string=" + System.getProperty("org.apache.avro.limits.string.maxLength"));
    }
}
