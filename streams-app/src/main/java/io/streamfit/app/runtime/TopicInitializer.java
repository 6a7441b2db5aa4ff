package io.streamfit.app.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.streamfit.app.names.Names;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.topology.StreamfitTopology;
import io.streamfit.schemas.TopicRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates streamfit's missing topics (input, outputs, dead letters, the global route). */
public final class TopicInitializer {

    private static final Logger LOG = LoggerFactory.getLogger(TopicInitializer.class);

    private TopicInitializer() {
    }

    /**
     * Creates every missing topic of the configuration; existing topics are left as they are.
     *
     * @param adminProps client properties (bootstrap servers, security) for the admin client
     */
    public static void createMissing(StreamfitConfig config, Map<String, Object> adminProps)
            throws InterruptedException, ExecutionException, TimeoutException {
        TopicRegistry topics = config.topics();
        int partitions = config.getInt(StreamfitConfig.TOPICS_PARTITIONS);
        short rf = config.getShort(StreamfitConfig.TOPICS_REPLICATION_FACTOR);
        List<NewTopic> wanted = new ArrayList<>();
        for (String name : topics.names()) {
            wanted.add(new NewTopic(name, partitions, rf));
        }
        if (config.globalScope()) {
            wanted.add(new NewTopic(Names.globalRouteTopic(config.applicationId()), 1, rf));
        }
        try (Admin admin = Admin.create(adminProps)) {
            Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
            if (missing.isEmpty()) {
                return;
            }
            try {
                admin.createTopics(missing).all().get(60, TimeUnit.SECONDS);
                LOG.info("Created topics {}", missing.stream().map(NewTopic::name).toList());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
    }
}
