package io.streamfit.app.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The secret values of one configuration, and text with them hidden: whatever streamfit prints
 * about its configuration or its clients goes through {@link #mask(String)} or {@link #redact(Map)}.
 *
 * <p>A value is a secret, whatever its key is called, when
 * <ul>
 *   <li>its key is a secret ({@link KafkaProperties#isSecret}: a PASSWORD key of Kafka, such as
 *       {@code sasl.jaas.config} and {@code ssl.*.password}, or a key that names a password, secret,
 *       credential or token): the whole value;</li>
 *   <li>it is an option of a JAAS configuration whose name says so ({@code password="..."},
 *       {@code clientSecret="..."}): the option's value alone, which may be repeated elsewhere;</li>
 *   <li>it came through a config provider ({@code ${file:path:key}}, {@code ${dir:path:key}},
 *       {@code ${env:NAME}}): each substituted value, under any key, since streamfit cannot tell a
 *       password read from a file from anything else read from it; but for the user name of a JAAS
 *       configuration ({@code username="${dir:...:username}"}), which error messages name.</li>
 * </ul>
 * Every occurrence of a secret is hidden, also inside another value (a password pasted into
 * {@code client.id}, a path that holds one), not only under its own key. {@code true} and
 * {@code false} are never hidden inside other values (JAAS flags such as {@code useKeyTab=true} are
 * no secrets; hiding them would hide every flag).
 */
public final class SecretMask {

    /** What stands in place of a secret. */
    public static final String HIDDEN = "[hidden]";

    /** A config provider's variable, as Kafka's {@code ConfigTransformer} reads it. */
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]*?):(([^}]*?):)?([^}]*?)}");

    /** An option of a JAAS login module: {@code name="quoted value"} or {@code name=value}. */
    private static final Pattern JAAS_OPTION = Pattern.compile(
            "([A-Za-z0-9_.-]+)\\s*=\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^\\s;\"]+))");

    private static final List<String> SECRET_OPTION_WORDS = List.of("password", "secret", "credential", "token");

    private static final SecretMask NONE = new SecretMask(Set.of());

    private final Pattern pattern;

    private SecretMask(Set<String> secrets) {
        List<String> sorted = secrets.stream()
                .filter(s -> !s.isEmpty() && !s.equalsIgnoreCase("true") && !s.equalsIgnoreCase("false"))
                // Longest first: of two secrets where one contains the other, the whole one goes.
                .sorted(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()))
                .toList();
        this.pattern = sorted.isEmpty() ? null
                : Pattern.compile(sorted.stream().map(Pattern::quote).collect(Collectors.joining("|")));
    }

    /** A mask that hides nothing. */
    public static SecretMask none() {
        return NONE;
    }

    /**
     * @param given    the configuration as given (file, environment), with provider variables unresolved
     * @param resolved the same keys with the variables resolved ({@code AbstractConfig.originals()})
     */
    public static SecretMask of(Map<String, ?> given, Map<String, ?> resolved) {
        Set<String> secrets = new HashSet<>();
        resolved.forEach((key, v) -> {
            if (v == null) {
                return;
            }
            String value = v.toString();
            Set<String> named = Set.of();
            if (KafkaProperties.isSecret(key)) {
                secrets.add(value);
                secrets.addAll(jaasSecrets(value));
                named = jaasNames(value);
            }
            Object raw = given.get(key);
            if (raw != null && !raw.toString().equals(value)) {
                for (String part : substituted(raw.toString(), value)) {
                    // A user name read from the Secret is a name, not a secret (errors name the user).
                    if (!named.contains(part)) {
                        secrets.add(part);
                    }
                }
            }
        });
        return new SecretMask(secrets);
    }

    /** {@code text} with every secret replaced by {@link #HIDDEN}; {@code null} stays {@code null}. */
    public String mask(String text) {
        if (text == null || pattern == null) {
            return text;
        }
        return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(HIDDEN));
    }

    /**
     * Properties fit to print, sorted by key: the value of a secret key ({@link KafkaProperties#isSecret})
     * is {@link #HIDDEN}, every other value is {@link #mask masked}.
     */
    public Map<String, String> redact(Map<String, String> props) {
        Map<String, String> out = new TreeMap<>();
        props.forEach((k, v) -> out.put(k, KafkaProperties.isSecret(k) ? HIDDEN : mask(v)));
        return out;
    }

    /** The values of the user name options of a JAAS configuration ({@code username}, {@code user}, {@code principal}). */
    static Set<String> jaasNames(String jaas) {
        Set<String> out = new HashSet<>();
        Matcher m = JAAS_OPTION.matcher(jaas);
        while (m.find()) {
            String name = m.group(1).toLowerCase(Locale.ROOT);
            if (name.equals("username") || name.equals("user") || name.equals("principal")) {
                out.add(m.group(2) != null ? m.group(2) : m.group(3));
            }
        }
        return out;
    }

    /** The values of the options of a JAAS configuration whose names speak of a secret. */
    static List<String> jaasSecrets(String jaas) {
        List<String> out = new ArrayList<>();
        Matcher m = JAAS_OPTION.matcher(jaas);
        while (m.find()) {
            String name = m.group(1).toLowerCase(Locale.ROOT);
            if (SECRET_OPTION_WORDS.stream().anyMatch(name::contains)) {
                String value = m.group(2) != null ? m.group(2) : m.group(3);
                out.add(value);
                // As written in the configuration, and as the login module reads it (escapes undone).
                String unescaped = value.replaceAll("\\\\(.)", "$1");
                if (!unescaped.equals(value)) {
                    out.add(unescaped);
                }
            }
        }
        return out;
    }

    /**
     * The values that config providers put in place of the variables of {@code template} to make
     * {@code value}: the text between the template's literal parts. When the two do not line up
     * (they always should), the whole value.
     */
    static List<String> substituted(String template, String value) {
        Matcher var = VARIABLE.matcher(template);
        StringBuilder regex = new StringBuilder("^");
        List<String> variables = new ArrayList<>();
        int last = 0;
        while (var.find()) {
            regex.append(Pattern.quote(template.substring(last, var.start()))).append("(.*?)");
            variables.add(var.group());
            last = var.end();
        }
        if (variables.isEmpty()) {
            // Changed without a variable: not by a provider. Hide it all, to be safe.
            return List.of(value);
        }
        regex.append(Pattern.quote(template.substring(last))).append('$');
        Matcher m = Pattern.compile(regex.toString(), Pattern.DOTALL).matcher(value);
        if (!m.matches()) {
            return List.of(value);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < variables.size(); i++) {
            // A variable that no provider resolved stays as it was: not a secret.
            if (!m.group(i + 1).equals(variables.get(i))) {
                out.add(m.group(i + 1));
            }
        }
        return out;
    }
}
