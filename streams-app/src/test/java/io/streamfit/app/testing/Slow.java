package io.streamfit.app.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * A test that takes many seconds: it starts a broker, or trains a model for long. {@code mvn -B
 * verify} (CI) runs it like any other; {@code mvn verify -Pfast} (or {@code -DexcludedGroups=slow})
 * leaves it out for a quick local round.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Tag(Slow.TAG)
public @interface Slow {

    /** The JUnit tag; other modules' tests, which cannot see this class, write it out. */
    String TAG = "slow";
}
