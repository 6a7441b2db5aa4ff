package io.streamfit.app.drift;

import java.util.Locale;

/**
 * Which drift detector every model gets ({@code drift.detector} and its parameters) and what a
 * reported drift does ({@code drift.action}).
 *
 * @param detector {@value #PAGE_HINKLEY}, {@value #ADWIN} or {@value #NONE}
 * @param action   what a drift does besides its event
 * @param ph       Page-Hinkley's parameters: min instances, delta, threshold, alpha
 * @param adwin    ADWIN's parameters: delta, clock, min instances
 */
public record DriftSettings(String detector, Action action, PageHinkleyParams ph, AdwinParams adwin) {

    public static final String PAGE_HINKLEY = "page-hinkley";
    public static final String ADWIN = "adwin";
    public static final String NONE = "none";

    /** The defaults: Page-Hinkley with its defaults, events only. */
    public static final DriftSettings DEFAULT = new DriftSettings(PAGE_HINKLEY, Action.EVENT,
            new PageHinkleyParams(PageHinkley.MIN_INSTANCES_DEFAULT, PageHinkley.DELTA_DEFAULT,
                    PageHinkley.THRESHOLD_DEFAULT, PageHinkley.ALPHA_DEFAULT),
            new AdwinParams(Adwin.DELTA_DEFAULT, Adwin.CLOCK_DEFAULT, Adwin.MIN_INSTANCES_DEFAULT));

    /** No detection at all. */
    public static final DriftSettings OFF = new DriftSettings(NONE, Action.EVENT, DEFAULT.ph, DEFAULT.adwin);

    /** What a drift does besides its {@code drift} event ({@code drift.action}). */
    public enum Action {
        /** Only the event: a person or another service decides. */
        EVENT,
        /** The model starts over from new weights ({@code reset} event). */
        RESET,
        /** The model goes back to its newest kept version from before the rise ({@code rolled-back} event). */
        ROLLBACK;

        /** The configuration's name. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The action named {@code name} in the configuration. */
        public static Action of(String name) {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        }
    }

    /** Page-Hinkley's parameters ({@code drift.page.hinkley.*}). */
    public record PageHinkleyParams(int minInstances, double delta, double threshold, double alpha) {
    }

    /** ADWIN's parameters ({@code drift.adwin.*}). */
    public record AdwinParams(double delta, int clock, int minInstances) {
    }

    public DriftSettings {
        // Fails now, at start, rather than at the first model.
        make(detector, ph, adwin);
    }

    /** A new detector for one model. */
    public DriftDetector newDetector() {
        return make(detector, ph, adwin);
    }

    private static DriftDetector make(String detector, PageHinkleyParams ph, AdwinParams adwin) {
        if (detector == null) {
            throw new IllegalArgumentException("drift.detector must be page-hinkley, adwin or none, got null");
        }
        return switch (detector) {
            case PAGE_HINKLEY -> new PageHinkley(ph.minInstances, ph.delta, ph.threshold, ph.alpha);
            case ADWIN -> new Adwin(adwin.delta, adwin.clock, adwin.minInstances);
            case NONE -> DriftDetector.NONE;
            default -> throw new IllegalArgumentException("drift.detector must be page-hinkley, adwin or none, got "
                    + detector);
        };
    }
}
