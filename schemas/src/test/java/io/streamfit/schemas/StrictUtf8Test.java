package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link StrictUtf8} accepts exactly what the JDK's reporting UTF-8 decoder accepts (RFC 3629). */
class StrictUtf8Test {

    private static final CharsetDecoder JDK = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

    private static boolean jdkDecodes(byte[] b) {
        try {
            JDK.reset().decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static void agrees(byte[] b) {
        assertThat(StrictUtf8.invalidAt(b, 0, b.length) < 0).as("%s", java.util.HexFormat.of().formatHex(b))
                .isEqualTo(jdkDecodes(b));
    }

    @Test
    void everySequenceOfOneAndTwoBytesIsJudgedAsTheJdkJudgesIt() {
        for (int a = 0; a < 256; a++) {
            agrees(new byte[] {(byte) a});
            for (int b = 0; b < 256; b++) {
                agrees(new byte[] {(byte) a, (byte) b});
            }
        }
    }

    /** The edges of the continuation ranges that Unicode's table 3-7 draws, and bytes beside them. */
    private static final int[] EDGES = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};

    @Test
    void everyLeadByteWithEdgeContinuationsAndRandomBytesAreJudgedAsTheJdkJudgesThem() {
        for (int a = 0xC0; a < 0x100; a++) {
            for (int b : EDGES) {
                for (int c : EDGES) {
                    agrees(new byte[] {(byte) a, (byte) b, (byte) c});
                    for (int d : EDGES) {
                        agrees(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
                    }
                }
            }
        }
        Random random = new Random(3L);
        for (int i = 0; i < 50_000; i++) {
            byte[] b = new byte[1 + random.nextInt(6)];
            for (int j = 0; j < b.length; j++) {
                b[j] = (byte) (random.nextBoolean() ? 0x80 + random.nextInt(0x80) : random.nextInt(256));
            }
            agrees(b);
        }
    }

    @Test
    void reportsTheFirstMalformedByteAndDecodesOnlyWhatIsWellFormed() {
        byte[] b = {'a', (byte) 0xC3, (byte) 0xA9, (byte) 0xED, (byte) 0xA0, (byte) 0x80, 'z'};

        assertThat(StrictUtf8.invalidAt(b, 0, b.length)).isEqualTo(3);
        assertThat(StrictUtf8.invalidAt(b, 0, 3)).isEqualTo(-1);
        assertThat(StrictUtf8.decode(b, 0, 3)).isEqualTo("a\u00e9");
        assertThat(StrictUtf8.decode(b, 0, b.length)).isNull();
        // A sequence cut by the end of the range is malformed, even when the array goes on.
        assertThat(StrictUtf8.invalidAt(b, 0, 2)).isEqualTo(1);
    }
}
