package io.streamfit.model;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * An enum whose constants are chosen in configuration by a fixed spelling ({@code relu},
 * {@code inverse-time}, ...). The spellings live in the enum only: parsing, error messages and
 * the service's list of valid values all read them from there.
 */
public interface ConfigEnum {

    /** The spelling of this constant in configuration and specs. */
    String configName();

    /**
     * The constant of {@code type} spelt {@code name} (case-insensitive, surrounding blanks ignored).
     *
     * @param what what the value is, for the message, e.g. {@code activation}
     * @throws IllegalArgumentException for an unknown name, listing the valid ones
     */
    static <E extends Enum<E> & ConfigEnum> E fromConfig(Class<E> type, String what, String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (E e : type.getEnumConstants()) {
            if (e.configName().equals(wanted)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown " + what + " '" + name + "'; expected one of "
                + configNames(type));
    }

    /** The spellings of every constant of {@code type}, in declaration order. */
    static <E extends Enum<E> & ConfigEnum> List<String> configNames(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(ConfigEnum::configName).toList();
    }
}
