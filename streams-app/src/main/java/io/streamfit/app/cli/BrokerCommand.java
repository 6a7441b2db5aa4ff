package io.streamfit.app.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.streamfit.app.broker.EmbeddedBroker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code streamfit broker}: only the embedded single-node KRaft broker, for local development. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Runs only the embedded single-node Kafka (KRaft) broker until Ctrl-C.")
final class BrokerCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "9092", description = "Client port on localhost (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--data-dir", defaultValue = "./streamfit-data",
            description = "Broker data lives in DIR/kafka (default ${DEFAULT-VALUE}).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        try (EmbeddedBroker broker = EmbeddedBroker.start(port, dataDir.resolve("kafka"), Map.of())) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "streamfit-broker-shutdown"));
            System.out.println("Kafka broker at " + broker.bootstrapServers() + " (data in " + dataDir.resolve("kafka")
                    + "). Ctrl-C stops it.");
            stop.await();
        }
        return 0;
    }
}
