package io.streamfit.app.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of streamfit's main code, checked on the compiled classes of every module on this
 * test's class path (schemas, model, streams-app): the data flow reads schemas -&gt; streams-app -&gt;
 * model, the model knows nothing of Kafka, the schemas nothing of TensorFlow, and no two packages
 * depend on each other in a cycle.
 */
class LayeringTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        // Jars too: in a reactor build past the package phase, schemas and model come as jars.
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.streamfit");
    }

    @Test
    void theModelNeverUsesKafka() {
        noClasses().that().resideInAPackage("io.streamfit.model..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "io.streamfit.app..",
                        "io.streamfit.schemas..")
                .check(classes);
    }

    @Test
    void theSchemasNeverUseTensorFlowOrTheApp() {
        noClasses().that().resideInAPackage("io.streamfit.schemas..")
                .should().dependOnClassesThat().resideInAnyPackage("org.tensorflow..", "io.streamfit.model..",
                        "io.streamfit.app..")
                .check(classes);
    }

    @Test
    void modelKindsDoNotKnowThePipelineTheTopologyOrTheConfiguration() {
        noClasses().that().resideInAPackage("io.streamfit.app.kind..")
                .should().dependOnClassesThat().resideInAnyPackage("io.streamfit.app.pipeline..",
                        "io.streamfit.app.topology..", "io.streamfit.app.config..", "io.streamfit.app.runtime..",
                        "io.streamfit.app.cli..")
                .check(classes);
    }

    @Test
    void theNamesAreALeaf() {
        noClasses().that().resideInAPackage("io.streamfit.app.names..")
                .should().dependOnClassesThat().resideInAnyPackage("io.streamfit..")
                .andShould().dependOnClassesThat().resideOutsideOfPackages("java..", "io.streamfit.app.names..")
                .check(classes);
    }

    @Test
    void onlyThePendingStoresPreCommitHookUsesKafkaStreamsInternals() {
        // Internal classes change without notice between Kafka versions: one class, whose commit
        // check notices when the hook is no longer called (MicroBatcherTest, CrashEquivalenceIT).
        noClasses().that().doNotHaveFullyQualifiedName("io.streamfit.app.state.WriteAtCommitStore")
                .and().doNotHaveFullyQualifiedName("io.streamfit.app.state.WriteAtCommitStore$Builder")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka.streams..internals..")
                .check(classes);
    }

    @Test
    void noPackageCycles() {
        // Every package is its own slice, subpackages included (kind and kind.sequence are two).
        slices().matching("io.streamfit.(**)").should().beFreeOfCycles().check(classes);
    }
}
