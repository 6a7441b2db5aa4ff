package io.streamfit.app.runtime;

import static org.assertj.core.api.Assertions.assertThat;

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
}
