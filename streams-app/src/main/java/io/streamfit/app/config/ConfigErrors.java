package io.streamfit.app.config;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configuration errors as one line a person can act on: what is wrong, which key, where its value
 * came from (a file, an environment variable, a default) and what to change.
 */
public final class ConfigErrors {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigErrors.class);

    /**
     * Prefixes of streamfit's own keys: an unknown key under one of them is a misspelt streamfit
     * key, not a Kafka key, since Kafka's keys under them ({@code metrics.num.samples},
     * {@code topic.min.insync.replicas}) are known.
     */
    static final List<String> STREAMFIT_PREFIXES = List.of("model.", "models.", "optimizer.", "loss.", "batch.",
            "topic.", "topics.", "drift.", "labels.", "http.", "metrics.", "divergence.", "challenger.", "health.",
            "tf.", "rocksdb.", "kafka.connect.", "output.");

    /** An unknown key this close to a streamfit key (edits) is taken for a misspelling of it. */
    static final int MAX_EDITS = 2;

    private static final Pattern INVALID = Pattern.compile("for configuration ([^\\s:]+)");
    private static final Pattern MISSING = Pattern.compile("Missing required configuration \"([^\"]+)\"");

    private ConfigErrors() {
    }

    /**
     * Checks the keys of the configuration file: a key that looks like streamfit's but is not one
     * (a streamfit prefix, or within {@value #MAX_EDITS} edits of a streamfit key) is an error;
     * any other key that neither streamfit nor Kafka knows gets one warning that lists them all.
     * Challengers' keys ({@code challenger.NAME.<key>}) are {@link Challengers}' to check.
     *
     * @return the error line, or null when every key is known or only warned about
     */
    public static String unknownKeys(ConfigLoader.Loaded loaded) {
        Set<String> own = StreamfitConfigDef.DEF.names();
        Set<String> others = new TreeSet<>();
        for (String key : loaded.fileKeys()) {
            if (own.contains(key) || ConfigLoader.isKnownKey(key)
                    || (key.startsWith(StreamfitConfig.CHALLENGER_PREFIX) && key.indexOf('.', 11) > 0)) {
                continue;
            }
            String near = nearest(key, own);
            boolean ours = STREAMFIT_PREFIXES.stream().anyMatch(key::startsWith);
            if (near != null && (ours || distance(key, near) <= MAX_EDITS)) {
                return "unknown key '" + key + "' (from " + loaded.sourceOf(key) + "): did you mean '" + near + "'?";
            }
            if (ours) {
                return "unknown key '" + key + "' (from " + loaded.sourceOf(key) + "): not a streamfit key; "
                        + "see docs/configuration.md for the keys";
            }
            others.add(key);
        }
        if (!others.isEmpty()) {
            LOG.warn("Keys neither streamfit nor Kafka (Streams, producer, consumer, admin) knows, passed to the "
                    + "Kafka clients unused: {} (from {})", others, loaded.file());
        }
        return null;
    }

    /**
     * One line for an invalid or missing value: Kafka's message, the key's source and the fix.
     */
    public static String explain(ConfigException e, ConfigLoader.Loaded loaded) {
        String message = e.getMessage() == null ? "invalid configuration" : e.getMessage().strip();
        if (message.endsWith(".")) {
            message = message.substring(0, message.length() - 1);
        }
        String key = keyOf(message);
        if (key == null) {
            return message;
        }
        String source = loaded.sourceOf(key);
        String fix;
        if (source.startsWith("file ")) {
            fix = "correct " + key + " in " + source.substring(5);
        } else if (source.startsWith("environment variable ")) {
            fix = "correct or unset " + source.substring("environment variable ".length());
        } else if (loaded.isSet(key)) {
            fix = "set " + key + " in the config file";
        } else {
            fix = "set " + key + " in " + (loaded.file() == null ? "a config file (--config)" : loaded.file())
                    + " or " + ConfigLoader.variableOf(key);
        }
        return message + " (" + key + " from " + source + "): " + fix;
    }

    /** The key a Kafka {@link ConfigException} message names, or null. */
    static String keyOf(String message) {
        Matcher m = MISSING.matcher(message);
        if (m.find()) {
            return m.group(1);
        }
        m = INVALID.matcher(message);
        return m.find() ? m.group(1) : null;
    }

    /** The key of {@code keys} fewest edits from {@code key} (the first in order on a tie), within reason. */
    static String nearest(String key, Set<String> keys) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : new TreeSet<>(keys)) {
            int d = distance(key, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        // A suggestion that shares under half its letters helps no one.
        return best != null && bestDistance <= Math.max(MAX_EDITS, key.length() / 3) ? best : null;
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
