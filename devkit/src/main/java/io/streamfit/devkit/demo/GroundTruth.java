package io.streamfit.devkit.demo;

/**
 * The demo's known ground truth: a fixed smooth nonlinear function of an object's features. Each
 * object's target is f(x) plus Gaussian noise of standard deviation sigma, so the best possible
 * prequential object RMSE is sigma, and the best sum RMSE is sigma * sqrt(k) for k objects.
 */
public final class GroundTruth {

    private GroundTruth() {
    }

    /**
     * f(x) for x in [-1, 1]^m (m at least 1; features beyond the eighth are ignored, missing ones
     * count as zero).
     */
    public static double f(float[] x) {
        double x0 = at(x, 0);
        double x1 = at(x, 1);
        double x2 = at(x, 2);
        double x3 = at(x, 3);
        double x4 = at(x, 4);
        double x5 = at(x, 5);
        double x6 = at(x, 6);
        double x7 = at(x, 7);
        return Math.sin(2 * x0) + 0.8 * x1 * x2 + 0.6 * x3 * x3 - 0.5 * x4
                + 0.4 * Math.cos(3 * x5) * x6 + 0.3 * Math.abs(x7) + 0.5;
    }

    private static double at(float[] x, int i) {
        return i < x.length ? x[i] : 0.0;
    }
}
