package io.streamfit.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Where a model's {@code exportSavedModel} may write: a new path, or an existing empty directory. */
final class SavedModelDirectory {

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
}
