package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamfit.model.Fetches.Fetch;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;

/** Fetch plans: handles read by name what a run fetched, in a plan and in its extensions. */
class FetchesTest {

    @Test
    void anExtensionKeepsThePositionsOfItsPlanAndAddsItsOwnAfterThem() {
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            Fetches predicting = new Fetches();
            Fetch vector = predicting.add(tf.constant(new float[] {1f, 2f, 3f}));
            Fetches training = predicting.extended();
            Fetch scalar = training.add(tf.constant(4f));
            Fetch flag = training.add(tf.constant(true));
            try (Session session = new Session(graph)) {
                try (Result result = predicting.addTo(session.runner()).run()) {
                    assertThat(result.size()).isEqualTo(1);
                    assertThat(vector.floats(result, 2)).containsExactly(1f, 2f);
                }
                try (Result result = training.addTo(session.runner()).run()) {
                    assertThat(result.size()).isEqualTo(3);
                    assertThat(vector.floats(result, 3)).containsExactly(1f, 2f, 3f);
                    assertThat(scalar.scalarFloat(result)).isEqualTo(4f);
                    assertThat(flag.scalarBoolean(result)).isTrue();
                    assertThat(scalar.in(result).shape().numDimensions()).isZero();
                }
            }
        }
    }

    @Test
    void aPlanThatWasExtendedTakesNoMoreFetches() {
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            Fetches plan = new Fetches();
            plan.add(tf.constant(1f));
            plan.extended();
            assertThatThrownBy(() -> plan.add(tf.constant(2f))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("extended");
        }
    }

    @Test
    void withoutARunFloatsAreZeros() {
        try (Graph graph = new Graph()) {
            Fetch fetch = new Fetches().add(Ops.create(graph).constant(new float[] {5f}));
            assertThat(fetch.floats(null, 2)).containsExactly(0f, 0f);
        }
    }
}
