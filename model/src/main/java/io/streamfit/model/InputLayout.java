package io.streamfit.model;

import java.util.List;

/**
 * How objects enter the first layer ({@code model.input}, {@link ModelSpec#input()}).
 */
public enum InputLayout implements ConfigEnum {
    /** A dense [N, m] matrix (a matrix product). */
    DENSE(ModelSpec.INPUT_DENSE),
    /** COO triples, gathered row by row (memory O(nnz)). */
    SPARSE(ModelSpec.INPUT_SPARSE),
    /** Sparse when m &gt; {@link ModelSpec#AUTO_SPARSE_ABOVE}, else dense. */
    AUTO(ModelSpec.INPUT_AUTO);

    private final String configName;

    InputLayout(String configName) {
        this.configName = configName;
    }

    @Override
    public String configName() {
        return configName;
    }

    /**
     * The layout called {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static InputLayout fromConfig(String name) {
        return ConfigEnum.fromConfig(InputLayout.class, "input", name);
    }

    /** Every layout's configuration name: dense, sparse, auto. */
    public static List<String> configNames() {
        return ConfigEnum.configNames(InputLayout.class);
    }
}
