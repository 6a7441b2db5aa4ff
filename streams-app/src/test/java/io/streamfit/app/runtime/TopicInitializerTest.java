package io.streamfit.app.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import io.streamfit.schemas.TopicRegistry;
import org.junit.jupiter.api.Test;

class TopicInitializerTest {

    @Test
    void labelsAndFeaturesWithTheSamePartitionCountJoin() {
        assertThat(TopicInitializer.coPartitionProblem("features", 6, "labels", 6)).isNull();
    }

    @Test
    void otherPartitionCountsAreRefusedWithWhatToDo() {
        assertThat(TopicInitializer.coPartitionProblem("features", 6, "labels", 3))
                .contains("'labels' (topic.labels) has 3 partitions but 'features' (topic.features) has 6")
                .contains("Recreate 'labels' with 6 partitions");
    }

    @Test
    void aMissingLabelsTopicIsRefusedInOneLineThatNamesTheTopicAndBothFixes() {
        TopicRegistry topics = TopicRegistry.defaults();

        String problem = TopicInitializer.labelsTopicProblem(topics, Map.of("features", 12));

        assertThat(problem).isEqualTo("topic 'labels' (topic.labels) does not exist: create it with 12 partitions, "
                + "as 'features' has (labels are joined with the features of the same series in the same task), or "
                + "set topic.labels= (empty) if this app takes no delayed labels.");
        assertThat(problem).doesNotContain("\n");
        // Without the features topic either, the count to use is still named by where it comes from.
        assertThat(TopicInitializer.labelsTopicProblem(topics, Map.of()))
                .contains("create it with the partition count of 'features'");
    }

    @Test
    void withoutALabelsTopicThereIsNothingToCheck() {
        TopicRegistry none = new TopicRegistry("features", "op", "sp", "as", "dl", "");

        assertThat(TopicInitializer.labelsTopicProblem(none, Map.of())).isNull();
        assertThat(TopicInitializer.labelsTopicProblem(none, Map.of("features", 6))).isNull();
    }

    @Test
    void existingTopicsAreCheckedForTheirPartitionCounts() {
        TopicRegistry topics = TopicRegistry.defaults();

        assertThat(TopicInitializer.labelsTopicProblem(topics, Map.of("features", 6, "labels", 6))).isNull();
        assertThat(TopicInitializer.labelsTopicProblem(topics, Map.of("features", 6, "labels", 3)))
                .contains("has 3 partitions but 'features' (topic.features) has 6");
        // A missing features topic is Kafka Streams' to report.
        assertThat(TopicInitializer.labelsTopicProblem(topics, Map.of("labels", 3))).isNull();
    }

    @Test
    void theModelCommandsTopicMustExistWithTheFeaturesPartitionCount() {
        TopicRegistry topics = TopicRegistry.defaults();
        assertThat(TopicInitializer.commandsTopicProblem(topics, Map.of("features", 6, "model-commands", 6))).isNull();
        assertThat(TopicInitializer.commandsTopicProblem(topics, Map.of("features", 6)))
                .isEqualTo("topic 'model-commands' (topic.model.commands) does not exist: create it with 6 partitions, "
                        + "as 'features' has (a model's commands are applied in the task of its data), or let "
                        + "streamfit create it (topics.create=true).");
        assertThat(TopicInitializer.commandsTopicProblem(topics, Map.of("features", 6, "model-commands", 2)))
                .contains("'model-commands' (topic.model.commands) has 2 partitions but 'features' (topic.features) "
                        + "has 6").contains("Recreate 'model-commands' with 6 partitions");
    }
}
