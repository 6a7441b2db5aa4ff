package io.streamfit.app.pipeline;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which variant of a model key leads (design.md, "Model lifecycle", challengers): the champion
 * until a challenger's windowed prequential loss has been lower than the champion's by
 * {@code challenger.promote.margin} (relative) for {@code challenger.promote.after} timesteps in a
 * row; then that challenger becomes the champion and the old champion a challenger.
 *
 * <p>Hysteresis: a timestep on which a challenger is not ahead by the margin sets its count back
 * to zero, and a promotion sets every count back to zero, so the old champion must then win by
 * the same margin for as long before it returns: two variants whose losses cross back and forth
 * never trade places on every crossing. A loss that is not finite is never ahead. The state is
 * checkpoint entries ({@link #state}), so a restart neither forgets nor repeats a promotion.
 */
final class ChampionRace {

    /** Marks the leader by name (1.0), so that reordering the configured challengers changes nothing. */
    private static final String LEADS = "lifecycle.race.leads.";

    /** Whether the checkpoint entries {@code state} (of {@link #state}) say {@code variant} leads. */
    static boolean leads(Map<String, Double> state, String variant) {
        return state.getOrDefault(LEADS + variant, 0.0) == 1.0;
    }
    private static final String AHEAD = "lifecycle.race.ahead.";

    private final List<String> variants;
    private final double margin;
    private final long after;
    private int leader;
    private final Map<String, Long> ahead = new HashMap<>();

    /**
     * @param variants the champion's name first, then the challengers'
     * @param margin   relative advantage needed, in [0, 1)
     * @param after    timesteps the advantage must hold (>= 1)
     */
    ChampionRace(List<String> variants, double margin, long after) {
        if (variants.isEmpty() || !(margin >= 0 && margin < 1) || after < 1) {
            throw new IllegalArgumentException("a race needs variants, a margin in [0, 1) and after >= 1; got "
                    + variants + ", " + margin + ", " + after);
        }
        this.variants = List.copyOf(variants);
        this.margin = margin;
        this.after = after;
    }

    /** The variants, the champion's first. */
    List<String> variants() {
        return variants;
    }

    /** The variant that leads: its predictions are the ones emitted. */
    String leader() {
        return variants.get(leader);
    }

    /** Timesteps in a row that {@code variant} has been ahead of the leader by the margin. */
    long ahead(String variant) {
        return ahead.getOrDefault(variant, 0L);
    }

    /**
     * Takes the windowed losses of every variant after a micro-batch of {@code timesteps} scored
     * timesteps.
     *
     * @return the variant that becomes the champion now, or null when the leader stays
     */
    String observe(Map<String, Double> windowedLoss, int timesteps) {
        if (timesteps <= 0) {
            return null;
        }
        Double lead = windowedLoss.get(leader());
        String promote = null;
        long best = 0;
        for (String v : variants) {
            if (v.equals(leader())) {
                continue;
            }
            Double loss = windowedLoss.get(v);
            boolean isAhead = lead != null && loss != null && Double.isFinite(lead) && Double.isFinite(loss)
                    && loss < (1 - margin) * lead;
            long n = isAhead ? ahead(v) + timesteps : 0;
            ahead.put(v, n);
            if (n >= after && (n > best || (n == best && promote != null
                    && loss < windowedLoss.get(promote)))) {
                promote = v;
                best = n;
            }
        }
        if (promote != null) {
            leader = variants.indexOf(promote);
            ahead.clear();
        }
        return promote;
    }

    /** Makes {@code variant} the leader at once (a promote command); every count starts over. */
    void promote(String variant) {
        int i = variants.indexOf(variant);
        if (i < 0) {
            throw new IllegalArgumentException("no variant '" + variant + "' in " + variants);
        }
        leader = i;
        ahead.clear();
    }

    /** The race as checkpoint entries. */
    Map<String, Double> state() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(LEADS + leader(), 1.0);
        ahead.forEach((v, n) -> {
            if (n > 0) {
                m.put(AHEAD + v, (double) n);
            }
        });
        return m;
    }

    /**
     * Restores what {@link #state} gave. A leader that is no longer configured (a challenger
     * removed from the configuration) gives the lead back to the champion.
     */
    void restore(Map<String, Double> state) {
        ahead.clear();
        leader = 0;
        for (int i = 0; i < variants.size(); i++) {
            if (leads(state, variants.get(i))) {
                leader = i;
            }
        }
        for (String v : variants) {
            Double n = state.get(AHEAD + v);
            if (n != null && n > 0) {
                ahead.put(v, n.longValue());
            }
        }
    }
}
