package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import io.streamfit.bench.EndToEnd.Row;
import org.junit.jupiter.api.Test;

class EndToEndReportTest {

    private static Row drain(String topology, double rate, int round, String layout) {
        return new Row(topology, "exactly_once_v2", topology.startsWith("c") || topology.startsWith("f") ? "64" : "-", 1000, rate, -1, -1, "")
                .in(round, layout);
    }

    @Test
    void eachRoundIsComparedWithItsOwnBaselinesAndTheMediansSummariseTheRounds() {
        List<Row> rows = new ArrayList<>();
        // Round 2 is a slow minute of the VM: everything halves, the ratios hold.
        double[][] rates = {{4000, 2000, 2000, 3000}, {2000, 1000, 1000, 1500}, {4400, 2200, 1980, 3080}};
        for (int round = 1; round <= 3; round++) {
            double[] r = rates[round - 1];
            rows.add(drain("a bytes copy", r[0], round, "-"));
            rows.add(drain("b json tree", r[1], round, "-"));
            rows.add(drain("c streamfit", r[2], round, "per-object"));
            rows.add(drain("c streamfit", r[3], round, "per-timestep"));
        }
        String table = EndToEndReport.table(rows, 32);

        assertThat(table).contains("ratio exactly_once_v2 batch.timesteps=64 output.objects=per-object round 2: "
                + "c/a = 0.50, c/b = 1.00");
        assertThat(table).contains("ratio exactly_once_v2 batch.timesteps=64 output.objects=per-timestep round 3: "
                + "c/a = 0.70, c/b = 1.40");
        // Medians: c/a of per-object 0.50, 0.50, 0.45 -> 0.50; c 2000, 1000, 1980 -> 1980 records/s.
        assertThat(table).contains("median of 3 rounds exactly_once_v2 batch.timesteps=64 output.objects=per-object: "
                + "c/a = 0.50, c/b = 1.00; records/s a 4000, b 2000, c 1980 (c objects/s 63360)");
        assertThat(table).contains("median of 3 rounds exactly_once_v2 batch.timesteps=64 output.objects=per-timestep: "
                + "c/a = 0.75, c/b = 1.50");
        // The byte copy moved 2.2x between rounds (2000 to 4400 records/s), streamfit's per-object 2.0x.
        assertThat(table).contains("spread of 3 rounds exactly_once_v2 batch.timesteps=64 output.objects=per-object: "
                + "slowest to fastest round a 2000-4400 (2.20x), b 1000-2200 (2.20x), c 1000-2000 (2.00x)");
        // Every drain row has its objects/s: records/s x k.
        assertThat(table).contains("96000");
    }

    @Test
    void aFailedBaselineLeavesThatRoundsRatiosAndTheMediansEmpty() {
        List<Row> rows = new ArrayList<>();
        rows.add(drain("a bytes copy", 4000, 1, "-"));
        rows.add(drain("b json tree", Double.NaN, 1, "-"));
        rows.add(drain("c streamfit", 2000, 1, "per-object"));
        rows.add(drain("a bytes copy", 4000, 2, "-"));
        rows.add(drain("b json tree", 2000, 2, "-"));
        rows.add(drain("c streamfit", 2000, 2, "per-object"));
        String table = EndToEndReport.table(rows, 32);

        assertThat(table).contains("round 1: c/a = 0.50, c/b = -").contains("round 2: c/a = 0.50, c/b = 1.00");
        assertThat(table).contains("median of 2 rounds exactly_once_v2 batch.timesteps=64 output.objects=per-object: "
                + "c/a = 0.50, c/b = -;");
        assertThat(table).as("the failed round is left out of the spread")
                .contains("slowest to fastest round a 4000-4000 (1.00x), b 2000-2000 (1.00x), c 2000-2000 (1.00x)");
    }
    @Test
    void theOutputFloorOfEachLayoutGivesCOverFAndFOverAInItsOwnRoundOnly() {
        List<Row> rows = new ArrayList<>();
        // f of per-object is 3000 then 2500 records/s; per-timestep has no floor run.
        double[][] rates = {{6000, 3000, 1500, 3000}, {6000, 2500, 1500, 3000}};
        for (int round = 1; round <= 2; round++) {
            double[] r = rates[round - 1];
            rows.add(drain("a bytes copy", r[0], round, "-"));
            rows.add(drain(OutputFloor.NAME, r[1], round, "per-object"));
            rows.add(drain("c streamfit", r[2], round, "per-object"));
            rows.add(drain("c streamfit", r[3], round, "per-timestep"));
        }
        String table = EndToEndReport.table(rows, 32);

        assertThat(table).contains("output.objects=per-object round 1: c/a = 0.25, c/b = -, c/f = 0.50, f/a = 0.50")
                .contains("output.objects=per-object round 2: c/a = 0.25, c/b = -, c/f = 0.60, f/a = 0.42");
        assertThat(table).as("no floor ran for per-timestep: no c/f")
                .contains(String.format("output.objects=per-timestep round 1: c/a = 0.50, c/b = -%n"));
        // Medians of two rounds: c/f (0.50 + 0.60) / 2, f/a (0.50 + 0.42) / 2, f (3000 + 2500) / 2.
        assertThat(table).contains("output.objects=per-object: c/a = 0.25, c/b = -; records/s a 6000, b -, c 1500 "
                + "(c objects/s 48000); output floor f 2750 records/s, c/f = 0.55, f/a = 0.46");
        assertThat(table).contains("c 1500-1500 (1.00x), f 2500-3000 (1.20x)");
        assertThat(table).contains(String.format("output.objects=per-timestep: c/a = 0.50, c/b = -; records/s a 6000, "
                + "b -, c 3000 (c objects/s 96000)%n"));
    }
}
