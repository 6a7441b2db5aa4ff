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
        if (version != supported) {
            throw new IllegalStateException(what + " has format version " + version + "; this build reads version "
                    + supported + " (and the earlier byte layout). Was it written by a newer streamfit?");
        }
    }
}
