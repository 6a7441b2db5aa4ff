package io.streamfit.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.streamfit.app.kind.Supervision;
import io.streamfit.app.screen.RecordScreen;
import io.streamfit.app.screen.TimestepValidator;
import io.streamfit.schemas.FeatureVector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The decode helper: what the consumer fetched is screened off the stream thread and found again
 * by its value, with the outcome screening on the stream thread gives; everything it did not start
 * is left to the processor. Each test runs in its own thread, the stream thread of its own helper.
 */
class DecodeAheadTest {

    private static final String FEATURES = "features";
    private static final String COMMANDS = "commands";
    private static final int M = 3;
    private static final Runnable NONE = () -> { };

    private static RecordScreen screen() {
        return new RecordScreen(new TimestepValidator(M, 16, Supervision.TARGETS, Long.MAX_VALUE, 1), 1 << 20, 256);
    }

    private static byte[] json(long t, String features) {
        return ("{\"series\":\"s\",\"timestep\":" + t + ",\"objects\":[{\"id\":\"a\",\"features\":" + features
                + ",\"target\":1.5}]}").getBytes(StandardCharsets.UTF_8);
    }

    private static ConsumerRecords<byte[], byte[]> fetched(String topic, byte[]... values) {
        List<ConsumerRecord<byte[], byte[]>> list = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            list.add(new ConsumerRecord<>(topic, 0, i, "s".getBytes(StandardCharsets.UTF_8), values[i]));
        }
        return new ConsumerRecords<>(Map.of(new TopicPartition(topic, 0), list), Map.of());
    }

    /** Runs {@code body} on a fresh thread, as a stream thread of its own. */
    private static void onStreamThread(Runnable body) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                body.run();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        });
        t.start();
        done.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aFetchedRecordIsScreenedAheadWithTheOutcomeTheProcessorWouldHaveHad() throws Exception {
        onStreamThread(() -> {
            DecodeAhead.enable(Set.of(COMMANDS), DecodeAheadTest::screen);
            byte[] good = json(1, "[0.5,-1.25,2]");
            byte[] wrongCount = json(2, "[0.5]");
            byte[] garbage = "{not json".getBytes(StandardCharsets.UTF_8);
            new DecodeAhead.Interceptor().onConsume(fetched(FEATURES, good, wrongCount, garbage));

            for (byte[] value : List.of(good, wrongCount, garbage)) {
                RecordScreen.Outcome ahead = DecodeAhead.take(FEATURES, value, NONE);
                RecordScreen.Outcome here = screen().screen(FEATURES, new org.apache.kafka.common.header.internals
                        .RecordHeaders(), "s".getBytes(StandardCharsets.UTF_8), value);
                assertThat(ahead).as("taken ahead").isNotNull();
                assertThat(ahead.series()).isEqualTo(here.series());
                assertThat(ahead.rejection()).isEqualTo(here.rejection());
                if (here.timestep() != null) {
                    assertThat(((FeatureVector.Dense) ahead.timestep().objects().get(0).features()).values())
                            .containsExactly(((FeatureVector.Dense) here.timestep().objects().get(0).features())
                                    .values());
                }
            }
            assertThat(DecodeAhead.take(FEATURES, good, NONE)).as("taken once").isNull();
        });
    }

    @Test
    void theHelperScreensWhileTheStreamThreadDoesOtherWork() throws Exception {
        onStreamThread(() -> {
            DecodeAhead.enable(Set.of(), DecodeAheadTest::screen);
            byte[] value = json(7, "[1,2,3]");
            new DecodeAhead.Interceptor().onConsume(fetched(FEATURES, value));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            boolean[] ahead = {false};
            while (!ahead[0] && System.nanoTime() < deadline) {
                sleep(5);
                ahead[0] = DecodeAhead.isDone(FEATURES, value);
            }
            assertThat(ahead[0]).as("screened by the helper within 10 s").isTrue();
            boolean[] counted = {false};
            assertThat(DecodeAhead.take(FEATURES, value, () -> counted[0] = true).timestep().timestep()).isEqualTo(7);
            assertThat(counted[0]).as("counted as screened ahead").isTrue();
        });
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void recordsItDidNotStartAreLeftToTheProcessor() throws Exception {
        onStreamThread(() -> {
            byte[] value = json(1, "[1,2,3]");
            assertThat(DecodeAhead.take(FEATURES, value, NONE)).as("no helper on this thread").isNull();
            DecodeAhead.enable(Set.of(COMMANDS), DecodeAheadTest::screen);
            new DecodeAhead.Interceptor().onConsume(fetched(COMMANDS, value));
            assertThat(DecodeAhead.take(COMMANDS, value, NONE)).as("a command is not a timestep").isNull();
            assertThat(DecodeAhead.take(FEATURES, json(1, "[1,2,3]"), NONE)).as("an equal value, not the same array").isNull();

            new DecodeAhead.Interceptor().onConsume(fetched(FEATURES, value));
            assertThat(DecodeAhead.take("other-topic", value, NONE)).as("read from another topic than it was fetched")
                    .isNull();
        });
    }

    @Test
    void atMostMaxAheadOutcomesAreKeptTheOldestGoFirst() throws Exception {
        onStreamThread(() -> {
            DecodeAhead.enable(Set.of(), DecodeAheadTest::screen);
            byte[][] values = new byte[DecodeAhead.MAX_AHEAD + 10][];
            for (int i = 0; i < values.length; i++) {
                values[i] = json(i + 1, "[1,2,3]");
            }
            new DecodeAhead.Interceptor().onConsume(fetched(FEATURES, values));
            assertThat(DecodeAhead.take(FEATURES, values[0], NONE)).as("the oldest, evicted").isNull();
            assertThat(DecodeAhead.take(FEATURES, values[9], NONE)).isNull();
            assertThat(DecodeAhead.take(FEATURES, values[10], NONE)).isNotNull();
            assertThat(DecodeAhead.take(FEATURES, values[values.length - 1], NONE).timestep().timestep())
                    .isEqualTo(values.length);
        });
    }

    @Test
    void atMostMaxAheadBytesOfInputAreKept() throws Exception {
        onStreamThread(() -> {
            DecodeAhead.enable(Set.of(), DecodeAheadTest::screen);
            byte[] big = json(1, "[1,2,3]" + " ".repeat((int) (DecodeAhead.MAX_AHEAD_BYTES / 2)));
            byte[] big2 = json(2, "[1,2,3]" + " ".repeat((int) (DecodeAhead.MAX_AHEAD_BYTES / 2)));
            byte[] small = json(3, "[1,2,3]");
            new DecodeAhead.Interceptor().onConsume(fetched(FEATURES, big, big2, small));
            assertThat(DecodeAhead.take(FEATURES, big, NONE)).as("the oldest, over the bytes").isNull();
            assertThat(DecodeAhead.take(FEATURES, big2, NONE)).isNotNull();
            assertThat(DecodeAhead.take(FEATURES, small, NONE)).isNotNull();
        });
    }

    @Test
    void whatFailsOnTheHelperFailsTheTakeOnTheStreamThread() throws Exception {
        onStreamThread(() -> {
            DecodeAhead.enable(Set.of(), () -> {
                throw new IllegalStateException("no screen for you");
            });
            byte[] value = json(1, "[1,2,3]");
            new DecodeAhead.Interceptor().onConsume(fetched(FEATURES, value));
            assertThatThrownBy(() -> DecodeAhead.take(FEATURES, value, NONE))
                    .isInstanceOf(IllegalStateException.class).hasMessage("no screen for you");
        });
    }
}
