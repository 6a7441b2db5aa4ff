package io.streamfit.app.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import io.streamfit.app.kind.ConfiguredKind;
import org.apache.kafka.common.config.ConfigException;

/**
 * The challengers of the configuration (design.md, "Model lifecycle"): {@code challengers=a,b}
 * and, for each, {@code challenger.a.<key>=<value>} overriding any {@code model.*},
 * {@code loss.*} or {@code optimizer.*} key of the champion's configuration (e.g.
 * {@code challenger.a.optimizer.learning.rate=0.01}, {@code challenger.b.model.hidden=128,64}).
 * Every challenger learns from the champion's batches in its own model; the keys that decide the
 * inputs and the outputs (kind, features, input, scope) and the lifecycle's own keys cannot
 * differ, so they are refused, as are keys of a challenger that {@code challengers} does not
 * name, unknown keys and invalid values, each with the key in the message.
 */
public final class Challengers {

    /** The champion's name: the variant of the configuration itself. */
    public static final String CHAMPION = "champion";

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
    private static final List<String> OVERRIDABLE = List.of("model.", "loss.", "optimizer.");
    private static final Set<String> FIXED = Set.of(StreamfitConfig.MODEL_KIND, StreamfitConfig.MODEL_FEATURES,
            StreamfitConfig.MODEL_INPUT, StreamfitConfig.MODEL_SCOPE, StreamfitConfig.MODEL_IDLE_TTL,
            StreamfitConfig.MODEL_IDLE_SCAN_KEYS, StreamfitConfig.MODEL_VERSIONS_EVERY,
            StreamfitConfig.MODEL_VERSIONS_KEEP);

    /**
     * One challenger.
     *
     * @param name      its name (the outputs' {@code variant} while it leads)
     * @param overrides its keys that differ from the champion's
     * @param kind      its model, configured
     */
    public record Challenger(String name, Map<String, String> overrides, ConfiguredKind kind) {
    }

    private Challengers() {
    }

    static List<Challenger> parse(StreamfitConfig config) {
        List<String> names = config.getList(StreamfitConfig.CHALLENGERS);
        Set<String> seen = new LinkedHashSet<>();
        for (String name : names) {
            if (!NAME.matcher(name).matches() || name.equals(CHAMPION)) {
                throw new ConfigException(StreamfitConfig.CHALLENGERS, String.join(",", names), "challenger name '"
                        + name + "' must be 1 to 32 of [a-z0-9_-], starting with a letter or digit, and not '"
                        + CHAMPION + "'");
            }
            if (!seen.add(name)) {
                throw new ConfigException(StreamfitConfig.CHALLENGERS, String.join(",", names),
                        "challenger '" + name + "' is named twice");
            }
        }
        Map<String, Map<String, String>> overrides = new LinkedHashMap<>();
        names.forEach(n -> overrides.put(n, new LinkedHashMap<>()));
        // Values as given: strings from files and the environment, any type from code (tests, tools).
        Map<String, Object> originals = config.originals();
        for (Map.Entry<String, Object> entry : originals.entrySet()) {
            String key = entry.getKey();
            Map.Entry<String, String> e = Map.entry(key, String.valueOf(entry.getValue()));
            if (!key.startsWith(StreamfitConfig.CHALLENGER_PREFIX) || key.equals(StreamfitConfig.CHALLENGER_PROMOTE_MARGIN)
                    || key.equals(StreamfitConfig.CHALLENGER_PROMOTE_AFTER)) {
                continue;
            }
            String rest = key.substring(StreamfitConfig.CHALLENGER_PREFIX.length());
            int dot = rest.indexOf('.');
            String name = dot < 0 ? rest : rest.substring(0, dot);
            String target = dot < 0 ? "" : rest.substring(dot + 1);
            if (!overrides.containsKey(name)) {
                throw new ConfigException(key, e.getValue(), "names challenger '" + name + "', which "
                        + StreamfitConfig.CHALLENGERS + " does not list (" + String.join(",", names) + ")");
            }
            if (!StreamfitConfigDef.DEF.names().contains(target)) {
                throw new ConfigException(key, e.getValue(), "'" + target + "' is not a streamfit key");
            }
            if (OVERRIDABLE.stream().noneMatch(target::startsWith) || FIXED.contains(target)) {
                throw new ConfigException(key, e.getValue(), "a challenger overrides model.*, loss.* and optimizer.* "
                        + "keys only, and not " + String.join(", ", new java.util.TreeSet<>(FIXED))
                        + " (its inputs and outputs are the champion's)");
            }
            overrides.get(name).put(target, e.getValue());
        }
        List<Challenger> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, String>> c : overrides.entrySet()) {
            Map<String, Object> props = new HashMap<>(originals);
            props.keySet().removeIf(k -> k.startsWith(StreamfitConfig.CHALLENGER_PREFIX));
            props.put(StreamfitConfig.CHALLENGERS, "");
            props.putAll(c.getValue());
            StreamfitConfig own;
            try {
                own = new StreamfitConfig(props);
            } catch (ConfigException ex) {
                throw new ConfigException("challenger." + c.getKey() + ": " + ex.getMessage());
            }
            if (!own.kind().stores().isEmpty()) {
                throw new ConfigException(StreamfitConfig.CHALLENGERS, String.join(",", names), "model.kind="
                        + config.getString(StreamfitConfig.MODEL_KIND) + " keeps stores of its own; challengers "
                        + "run with the kinds that keep none (regressor, classifier)");
            }
            out.add(new Challenger(c.getKey(), Map.copyOf(c.getValue()), own.kind()));
        }
        return List.copyOf(out);
    }
}
