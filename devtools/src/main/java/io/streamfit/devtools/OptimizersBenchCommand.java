package io.streamfit.devtools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import io.streamfit.app.config.ConfigLoader;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.model.Models;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.Optimizers;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamfit optimizers-bench}: every optimizer, at its defaults, on the demo's synthetic
 * stream (known ground truth plus Gaussian noise), test-then-train like the service, printing the
 * prequential RMSE of objects and of sums over the last window next to the noise floors.
 *
 * <p>The records go straight from the generator into one model (the demo's {@code global} scope),
 * without Kafka: the model sees exactly what the service would feed it, in the same order, and
 * the comparison takes seconds instead of minutes. Same seed, same numbers.
 */
@Command(name = "optimizers-bench", mixinStandardHelpOptions = true,
        description = "Compares the optimizers on the demo's synthetic stream (no Kafka): prequential RMSE "
                + "over the last window of timesteps.")
final class OptimizersBenchCommand implements Callable<Integer> {

    @Option(names = "--timesteps", defaultValue = "20000", description = "Records per optimizer (default ${DEFAULT-VALUE}).")
    int timesteps;

    @Option(names = "--window", defaultValue = "1000",
            description = "The RMSE is over the last this many timesteps (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--optimizers", split = ",",
            description = "Optimizers to run, comma-separated (default: all).")
    List<String> optimizers;

    @Option(names = "--runs", split = ",",
            description = "Optimizer and learning rate pairs to run instead, e.g. sgd@0.01,adam@0.001; 'conventional' "
                    + "is the set of conventional rates the README's stability table uses.")
    List<String> runs;

    /** Each optimizer at the learning rates people start from: the README's stability table. */
    static final List<String> CONVENTIONAL = List.of("sgd@0.01", "sgd@0.1", "momentum@0.01", "momentum@0.1",
            "neuron-mean-momentum@0.01", "neuron-mean-momentum@0.1", "adagrad@0.1", "rmsprop@0.01", "adam@0.001",
            "adam@0.01", "ftrl@0.1");

    @Mixin
    SyntheticData data;

    @Option(names = {"-c", "--config"},
            description = "Optional properties file (model.hidden, optimizer.learning.rate, ...); its 'optimizer' is "
                    + "replaced by each optimizer in turn. Default: the service defaults.")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Prequential errors of one run. */
    record Outcome(String optimizer, double learningRate, double objectRmse, double sumRmse, long skipped,
                   long clipped, long nonFinite, double microsPerStep) {
    }

    @Override
    public Integer call() throws Exception {
        if (window < 1 || window > timesteps) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--window must be in [1, --timesteps]");
        }
        PrintWriter out = spec.commandLine().getOut();
        List<String> names = optimizers == null || optimizers.isEmpty() ? List.copyOf(Optimizers.names()) : optimizers;
        if (runs != null && !runs.isEmpty()) {
            names = runs.size() == 1 && runs.get(0).equals("conventional") ? CONVENTIONAL : runs;
        }
        SyntheticStream probe = data.stream();
        out.printf(Locale.ROOT, "%d timesteps of %d series with %s objects, m=%d, noise sigma=%s, seed %d; "
                        + "RMSE over the last %d timesteps%n%n", timesteps, data.series,
                java.util.Arrays.toString(probe.objectsPerSeries()), data.features, data.noise, data.seed, window);
        out.println("| optimizer | learning rate | object RMSE | sum RMSE | skipped updates | clipped updates "
                + "| non-finite predictions | µs per step |");
        out.println("|---|---|---|---|---|---|---|---|");
        out.flush();
        for (String name : names) {
            Outcome o = run(name);
            out.printf(Locale.ROOT, "| `%s` | %s | %.4f | %.4f | %d | %d | %d | %.0f |%n", o.optimizer(),
                    o.learningRate(), o.objectRmse(), o.sumRmse(), o.skipped(), o.clipped(), o.nonFinite(),
                    o.microsPerStep());
            out.flush();
        }
        out.printf(Locale.ROOT, "| noise floor | | %.4f | %.4f | | | | |%n", probe.sigma(), probe.sumNoiseFloor());
        out.flush();
        return 0;
    }

    /** Runs {@code optimizer}, or {@code optimizer@learningRate}. */
    Outcome run(String optimizer) throws java.io.IOException {
        Map<String, String> defaults = new HashMap<>();
        defaults.put(StreamfitConfig.MODEL_FEATURES, String.valueOf(data.features));
        Map<String, String> props = ConfigLoader.load(config, defaults, Map.of());
        int at = optimizer.indexOf('@');
        if (at >= 0) {
            props.put(StreamfitConfig.OPTIMIZER_LEARNING_RATE, optimizer.substring(at + 1));
            optimizer = optimizer.substring(0, at);
        }
        props.put(StreamfitConfig.OPTIMIZER, optimizer);
        StreamfitConfig cfg = new StreamfitConfig(props);
        SyntheticStream stream = data.stream();
        ObjectBatch batch = new ObjectBatch(data.features);
        double objectSq = 0;
        long objects = 0;
        double sumSq = 0;
        long skipped = 0;
        long clipped = 0;
        long nonFinite = 0;
        long nanos = 0;
        try (OnlineModel model = Models.create(cfg.modelSpec())) {
            for (int t = 0; t < timesteps; t++) {
                Timestep ts = stream.next();
                batch.clear();
                batch.beginTimestep();
                double sumTarget = 0;
                for (Timestep.ObjectInput o : ts.objects()) {
                    float[] x = ((FeatureVector.Dense) o.features()).values();
                    batch.addDense(x, 0, true, o.target().floatValue());
                    sumTarget += o.target().floatValue();
                }
                batch.endTimestep();
                long t0 = System.nanoTime();
                StepResult r = model.step(batch, true);
                nanos += System.nanoTime() - t0;
                if (r.skipped() != null) {
                    skipped++;
                }
                if (r.clipped()) {
                    clipped++;
                }
                for (float p : r.objectPredictions()) {
                    if (!Float.isFinite(p)) {
                        nonFinite++;
                    }
                }
                if (t >= timesteps - window) {
                    float[] p = r.objectPredictions();
                    for (int i = 0; i < p.length; i++) {
                        double e = p[i] - ts.objects().get(i).target().floatValue();
                        objectSq += e * e;
                    }
                    objects += p.length;
                    double e = r.sumPredictions()[0] - sumTarget;
                    sumSq += e * e;
                }
            }
        }
        return new Outcome(optimizer, cfg.modelSpec().optimizer().learningRate(), Math.sqrt(objectSq / objects),
                Math.sqrt(sumSq / window), skipped, clipped, nonFinite, nanos / 1e3 / timesteps);
    }
}
