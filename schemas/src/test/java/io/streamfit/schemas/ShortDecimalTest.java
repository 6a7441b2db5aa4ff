package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ShortDecimal} gives, bit for bit, the float and the double Jackson's parser gives (the one
 * it stands in for) on every decimal within its bounds.
 */
class ShortDecimalTest {

    private static JsonParser element(String text) throws IOException {
        JsonParser p = Json.FACTORY.createParser(("[" + text + "]").getBytes(StandardCharsets.US_ASCII));
        p.nextToken();
        p.nextToken();
        return p;
    }

    private static void assertSame(boolean negative, long mantissa, int decimals) {
        String text = (negative ? "-" : "") + BigDecimal.valueOf(mantissa, decimals).toPlainString();
        try (JsonParser p = element(text); JsonParser q = element(text)) {
            int digits = BigDecimal.valueOf(mantissa).precision();
            if (ShortDecimal.fitsFloat(digits, decimals)) {
                assertThat(Float.floatToRawIntBits(ShortDecimal.toFloat(negative, mantissa, decimals))).as(text)
                        .isEqualTo(Float.floatToRawIntBits(p.getFloatValue()));
            }
            if (ShortDecimal.fitsDouble(digits, decimals)) {
                assertThat(Double.doubleToRawLongBits(ShortDecimal.toDouble(negative, mantissa, decimals))).as(text)
                        .isEqualTo(Double.doubleToRawLongBits(q.getDoubleValue()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void everyDecimalWithFourPlacesBelowTenReadsAsJacksonReadsIt() {
        for (int m = 0; m < 100_000; m++) {
            assertSame(false, m, 4);
            assertSame(true, m, 4);
        }
    }

    @Test
    void randomMantissasAtEveryScaleReadAsJacksonReadsThem() {
        Random random = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            boolean forFloat = random.nextBoolean();
            int digits = 1 + random.nextInt(forFloat ? ShortDecimal.FLOAT_DIGITS : ShortDecimal.DOUBLE_DIGITS);
            long mantissa = Math.floorMod(random.nextLong(), (long) Math.pow(10, digits));
            int decimals = 1 + random.nextInt(forFloat ? ShortDecimal.FLOAT_DECIMALS : ShortDecimal.DOUBLE_DECIMALS);
            assertSame(random.nextBoolean(), mantissa, decimals);
        }
    }

    @Test
    void floatsOfUpToFifteenDigitsByWayOfTheDoubleReadAsJacksonReadsThemOrAreDeclined() {
        Random random = new Random(43);
        int declined = 0;
        for (int i = 0; i < 300_000; i++) {
            int digits = 8 + random.nextInt(ShortDecimal.DOUBLE_DIGITS - 7);
            long mantissa = Math.floorMod(random.nextLong(), (long) Math.pow(10, digits));
            int decimals = random.nextInt(ShortDecimal.DOUBLE_DECIMALS + 1);
            boolean negative = random.nextBoolean();
            float viaDouble = ShortDecimal.toFloatViaDouble(negative, mantissa, decimals);
            if (Float.isNaN(viaDouble)) {
                declined++;
                continue;
            }
            String text = (negative ? "-" : "") + BigDecimal.valueOf(mantissa, decimals).toPlainString();
            try (JsonParser p = element(text)) {
                assertThat(Float.floatToRawIntBits(viaDouble)).as(text).isEqualTo(Float.floatToRawIntBits(p.getFloatValue()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        assertThat(declined).as("declined of 300,000").isLessThan(3_000);
        // 2^24 + 1 lies midway between two floats: rounding it twice would take the even one by chance.
        assertThat(ShortDecimal.toFloatViaDouble(false, 167_772_170, 1)).isNaN();
        assertThat(ShortDecimal.toFloatViaDouble(false, 1, 0)).isEqualTo(1f);
    }

    @Test
    void theBoundsAreWhereExactnessEnds() {
        assertThat(ShortDecimal.fitsFloat(7, 10)).isTrue();
        assertThat(ShortDecimal.fitsFloat(8, 1)).isFalse(); // 10^8 > 2^24: the mantissa may not be exact
        assertThat(ShortDecimal.fitsFloat(1, 11)).isFalse(); // 10^11 is not an exact float
        assertThat(ShortDecimal.fitsDouble(15, 22)).isTrue();
        assertThat(ShortDecimal.fitsDouble(16, 1)).isFalse();
        assertThat(ShortDecimal.fitsDouble(1, 23)).isFalse();
        assertThat(Float.floatToRawIntBits(ShortDecimal.toFloat(true, 0, 1))).isEqualTo(Float.floatToRawIntBits(-0.0f));
        assertSame(false, 9_999_999, 10);
        assertSame(true, 999_999_999_999_999L, 22);
    }
}
