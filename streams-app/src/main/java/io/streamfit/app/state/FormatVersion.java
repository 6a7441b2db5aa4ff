package io.streamfit.app.state;

/** The check every codec makes of a decoded value's {@code formatVersion}. */
final class FormatVersion {

    private FormatVersion() {
    }

    /**
     * @throws IllegalStateException when {@code version} is not {@code supported}: a value written by
     *                               a newer streamfit, whose fields this build would misread
     */
    static void require(String what, int version, int supported) {
        require(what, version, supported, supported);
    }

    /**
     * @throws IllegalStateException when {@code version} is outside [{@code oldest}, {@code newest}]:
     *                               a value written by a newer streamfit, whose fields this build
     *                               would misread
     */
    static void require(String what, int version, int oldest, int newest) {
        if (version < oldest || version > newest) {
            String supported = oldest == newest ? "version " + newest : "versions " + oldest + " to " + newest;
            throw new IllegalStateException(what + " has format version " + version + "; this build reads "
                    + supported + " (and the earlier byte layout). Was it written by a newer streamfit?");
        }
    }
}
