package io.streamfit.testregistry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;

/**
 * The bean that Apicurio's config-index build extension would generate (its deployment artifact is
 * not on Maven Central): the registry's list of settings that may change at run time, empty here.
 */
@ApplicationScoped
public class NoDynamicConfig {

    @Produces
    @ApplicationScoped
    DynamicConfigPropertyList none() {
        return new DynamicConfigPropertyList(List.of());
    }
}
