package io.streamfit.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;

/**
 * Where a model's {@code exportSavedModel} may write (a new path, or an existing empty directory),
 * and the writing itself: tag {@code serve}, signatures {@code serve} and {@code serving_default}.
 */
final class SavedModelDirectory {

    /** Tag and signature key of every SavedModel streamfit writes. */
    static final String SERVE = "serve";

    private SavedModelDirectory() {
    }

    /**
     * Refuses a non-empty directory and removes an empty one, because TensorFlow's SavedModel
     * writer creates the directory itself.
     */
    static void prepare(Path directory) throws IOException {
        if (Files.isDirectory(directory)) {
            try (Stream<Path> entries = Files.list(directory)) {
                if (entries.findAny().isPresent()) {
                    throw new IOException("SavedModel directory " + directory + " is not empty");
                }
            }
            Files.delete(directory);
        }
    }

    /**
     * Writes {@code session}'s graph and variables under tag {@code serve} with two signatures
     * of the same inputs and outputs: {@code serve} and {@code serving_default} (TensorFlow
     * Serving's default key). Call {@link #prepare} first.
     */
    static void export(Path directory, Session session, Map<String, ? extends Operand<?>> inputs,
                       Map<String, ? extends Operand<?>> outputs) throws IOException {
        SavedModelBundle.exporter(directory.toString()).withTags(SERVE).withSession(session)
                .withSignatures(signature(SERVE, inputs, outputs), signature("serving_default", inputs, outputs))
                .export();
    }

    private static Signature signature(String key, Map<String, ? extends Operand<?>> inputs,
                                       Map<String, ? extends Operand<?>> outputs) throws IOException {
        Signature.Builder builder = Signature.builder(key).methodName("tensorflow/serving/predict");
        inputs.forEach(builder::input);
        outputs.forEach(builder::output);
        return builder.build();
    }
}
