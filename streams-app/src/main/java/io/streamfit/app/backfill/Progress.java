package io.streamfit.app.backfill;

/**
 * Where a backfill stands, as its listener sees it. Records are counted by input offsets, so a
 * pass ends at exactly {@code passTotal} whatever transaction markers the range holds.
 *
 * @param pass         the current pass (epoch), from 1
 * @param passes       passes in all (>= 1)
 * @param passDone     offsets of this pass read so far, in [0, passTotal]
 * @param passTotal    offsets in the history range, the same for every pass (>= 0)
 * @param elapsedNanos time since the first pass began, nanoseconds (>= 0)
 * @param passLoss     mean loss of the updates of this pass so far, or NaN before the first
 * @param passSkipped  records of this pass skipped as dead letters so far
 */
public record Progress(int pass, int passes, long passDone, long passTotal, long elapsedNanos, double passLoss,
                       long passSkipped) {

    /** Offsets read in all passes so far. */
    public long overallDone() {
        return (long) (pass - 1) * passTotal + passDone;
    }

    /** Offsets to read in all passes. */
    public long overallTotal() {
        return (long) passes * passTotal;
    }
}
