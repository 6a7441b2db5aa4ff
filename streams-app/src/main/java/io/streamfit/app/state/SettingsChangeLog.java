package io.streamfit.app.state;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.streamfit.app.names.Names;
import io.streamfit.model.ModelSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says once per start that the saved models learn under changed settings: one INFO line per
 * variant and settings they were saved under (in practice one line: the settings of the run
 * before), however many models load, on whichever stream thread. One instance per start, shared by
 * every task of the instance.
 */
public final class SettingsChangeLog {

    private static final Logger LOG = LoggerFactory.getLogger(SettingsChangeLog.class);
    /** Distinct old settings said per start at most; the rest are quiet (a log is no inventory). */
    static final int MAX_LINES = 8;

    private final String applicationId;
    private final Set<String> said = ConcurrentHashMap.newKeySet();

    public SettingsChangeLog(String applicationId) {
        this.applicationId = applicationId;
    }

    /**
     * A checkpoint trained under {@code stored} loaded into a model of {@code spec}: logs the
     * change if this start has not yet. Costs one string comparison when nothing changed.
     *
     * @param key the model's store key, named in the line as the first one seen
     */
    public void loaded(String stored, ModelSpec spec, SettingsChange.Variant variant, String key) {
        if (stored.equals(spec.fingerprint()) || said.size() >= MAX_LINES) {
            return;
        }
        String variantName = variant.challenger() == null ? "" : variant.challenger();
        if (said.add(variantName + '\u0000' + stored)) {
            SettingsChange change = SettingsChange.of(stored, spec);
            if (change != null) {
                // A challenger's store key is its model's key, a NUL and its name: the model's key says it.
                String model = Names.isChallengerKey(key) ? key.substring(0, key.indexOf('\u0000')) : key;
                LOG.info(change.applied(applicationId, variant, model));
            }
        }
    }
}
