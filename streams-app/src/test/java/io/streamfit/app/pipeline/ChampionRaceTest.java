package io.streamfit.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class ChampionRaceTest {

    private static final List<String> VARIANTS = List.of("champion", "a", "b");

    @Test
    void aChallengerAheadByTheMarginForPromoteAfterTimestepsBecomesTheChampion() {
        ChampionRace race = new ChampionRace(VARIANTS, 0.05, 100);
        // a is 10% better, b only 2% (inside the margin): 9 batches of 10 timesteps are not enough.
        for (int i = 0; i < 9; i++) {
            assertThat(race.observe(Map.of("champion", 1.0, "a", 0.9, "b", 0.98), 10)).isNull();
        }
        assertThat(race.ahead("a")).isEqualTo(90);
        assertThat(race.ahead("b")).isZero();
        assertThat(race.observe(Map.of("champion", 1.0, "a", 0.9, "b", 0.98), 10)).isEqualTo("a");
        assertThat(race.leader()).isEqualTo("a");
        // The old champion is a challenger now, and every count started over.
        assertThat(race.ahead("champion")).isZero();
        assertThat(race.observe(Map.of("champion", 1.0, "a", 0.9, "b", 0.98), 10)).isNull();
    }

    @Test
    void oneTimestepBehindSetsTheCountBackToZero() {
        ChampionRace race = new ChampionRace(VARIANTS, 0.05, 100);
        for (int i = 0; i < 9; i++) {
            race.observe(Map.of("champion", 1.0, "a", 0.9), 10);
        }
        race.observe(Map.of("champion", 1.0, "a", 0.97), 1);
        assertThat(race.ahead("a")).isZero();
        for (int i = 0; i < 9; i++) {
            assertThat(race.observe(Map.of("champion", 1.0, "a", 0.9), 10)).isNull();
        }
        assertThat(race.observe(Map.of("champion", 1.0, "a", 0.9), 10)).isEqualTo("a");
    }

    @Test
    void twoVariantsWhoseLossesCrossBackAndForthDoNotFlap() {
        ChampionRace race = new ChampionRace(List.of("champion", "a"), 0.05, 2_000);
        Random rnd = new Random(3);
        int promotions = 0;
        for (int t = 0; t < 50_000; t++) {
            // Equal on average, each 10% ahead half of the time in runs of 1 to 100 timesteps.
            double noise = 0.1 * Math.sin(t / (1 + rnd.nextInt(100)) * 1.0);
            if (race.observe(Map.of("champion", 1.0 + noise, "a", 1.0 - noise), 1) != null) {
                promotions++;
            }
        }
        assertThat(promotions).isZero();
    }

    @Test
    void aNonFiniteLossIsNeverAhead() {
        ChampionRace race = new ChampionRace(VARIANTS, 0.05, 10);
        assertThat(race.observe(Map.of("champion", 1.0, "a", Double.NaN, "b", 0.5), 20)).isEqualTo("b");
        assertThat(race.observe(Map.of("b", Double.POSITIVE_INFINITY, "a", 0.1, "champion", 0.1), 20)).isNull();
        assertThat(race.ahead("a")).isZero();
    }

    @Test
    void ofTwoChallengersPastTheMarkTheOneAheadLongestWins() {
        ChampionRace race = new ChampionRace(VARIANTS, 0.05, 50);
        race.observe(Map.of("champion", 1.0, "a", 0.5, "b", 1.0), 30);
        assertThat(race.observe(Map.of("champion", 1.0, "a", 0.5, "b", 0.4), 30)).isEqualTo("a");
    }

    @Test
    void aRestoredRaceGoesOnExactlyAsTheOriginalEvenWithTheChallengersReordered() {
        ChampionRace original = new ChampionRace(VARIANTS, 0.05, 100);
        ChampionRace copy = null;
        List<String> fromOriginal = new ArrayList<>();
        List<String> fromCopy = new ArrayList<>();
        Random rnd = new Random(5);
        for (int i = 0; i < 200; i++) {
            // a leads after its first 15 batches; from batch 100 it is worse, and another variant takes over.
            Map<String, Double> losses = Map.of("champion", 1.0, "a", (i < 100 ? 0.7 : 1.3) + 0.2 * rnd.nextDouble(),
                    "b", 0.85 + 0.3 * rnd.nextDouble());
            if (i == 37) {
                copy = new ChampionRace(List.of("champion", "b", "a"), 0.05, 100);
                copy.restore(Map.copyOf(original.state()));
                assertThat(copy.leader()).isEqualTo(original.leader());
            }
            fromOriginal.add(original.observe(losses, 7));
            if (copy != null) {
                fromCopy.add(copy.observe(losses, 7));
            }
        }
        assertThat(fromCopy).isEqualTo(fromOriginal.subList(37, 200));
        assertThat(fromOriginal.stream().filter(p -> p != null).toList()).hasSize(2).startsWith("a");
        // A leader no longer configured gives the lead back to the champion.
        ChampionRace fewer = new ChampionRace(List.of("champion"), 0.05, 100);
        original.promote("b");
        fewer.restore(original.state());
        assertThat(fewer.leader()).isEqualTo("champion");
    }

    @Test
    void aPromoteCommandLeadsAtOnceAndBadSettingsAreRefused() {
        ChampionRace race = new ChampionRace(VARIANTS, 0.05, 100);
        race.observe(Map.of("champion", 1.0, "a", 0.5), 50);
        race.promote("b");
        assertThat(race.leader()).isEqualTo("b");
        assertThat(race.ahead("a")).isZero();
        assertThatThrownBy(() -> race.promote("c")).hasMessageContaining("'c'");
        assertThatThrownBy(() -> new ChampionRace(VARIANTS, 1.0, 100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChampionRace(VARIANTS, 0.05, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
