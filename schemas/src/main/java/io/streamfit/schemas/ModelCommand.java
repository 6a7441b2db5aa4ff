package io.streamfit.schemas;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * One record of the model-commands topic (design.md, "Model lifecycle"), key = the model key
 * ({@code global} or a series id):
 * <pre>
 * {"command":"rollback","toVersion":12000}            the kept version with that modelVersion
 * {"command":"rollback","toVersion":12000,"generation":2}  of that generation, when several have it
 * {"command":"reset"}                                 fresh weights, as a new key gets
 * {"command":"promote","challenger":"a"}              that challenger becomes the champion
 * </pre>
 * Unknown fields are skipped, like everywhere in the contract; an unknown command, or a command
 * without the field it needs, is refused with a reason for the dead letters.
 *
 * @param command    what to do
 * @param toVersion  rollback: the {@code modelVersion} to go back to; otherwise null
 * @param generation rollback: the generation whose version is meant, or null for the latest that has it
 * @param challenger promote: the challenger's name; otherwise null
 */
public record ModelCommand(Kind command, Long toVersion, Integer generation, String challenger) {

    /** Dead-letter reason of a command that is not one of {@link Kind}. */
    public static final String UNKNOWN_COMMAND = "unknown-command";
    /** The longest challenger name read, bytes. */
    static final int MAX_NAME_BYTES = 64;

    /** The commands. */
    public enum Kind {
        ROLLBACK("rollback"), RESET("reset"), PROMOTE("promote");

        private final String wire;

        Kind(String wire) {
            this.wire = wire;
        }

        /** The name in the JSON. */
        public String wire() {
            return wire;
        }
    }

    public ModelCommand {
        if (command == null) {
            throw new IllegalArgumentException("command is required");
        }
    }

    /** {@code {"command":"rollback","toVersion":v}}. */
    public static ModelCommand rollback(long toVersion) {
        return new ModelCommand(Kind.ROLLBACK, toVersion, null, null);
    }

    /** {@code {"command":"reset"}}. */
    public static ModelCommand reset() {
        return new ModelCommand(Kind.RESET, null, null, null);
    }

    /** {@code {"command":"promote","challenger":name}}. */
    public static ModelCommand promote(String challenger) {
        return new ModelCommand(Kind.PROMOTE, null, null, challenger);
    }

    /**
     * Parses one command.
     *
     * @throws InvalidRecordException when the bytes are not a command (reason and field path say why)
     */
    public static ModelCommand parse(byte[] data) {
        if (data == null || data.length == 0) {
            throw new InvalidRecordException(InvalidRecordException.EMPTY, "$", "a command has a JSON value");
        }
        return Json.parse(data, 0, data.length, CODEC);
    }

    /** The command as the contract's JSON, UTF-8. */
    public byte[] toBytes() {
        return Json.write(this, CODEC);
    }

    private static final Codec CODEC = new Codec();

    private static final class Codec implements JsonCodec<ModelCommand> {
        private static final int COMMAND = 1, TO_VERSION = 2, GENERATION = 4, CHALLENGER = 8;

        @Override
        public ModelCommand read(JsonCursor in) throws IOException {
            in.enter();
            int seen = 0;
            String command = null;
            Long toVersion = null;
            Integer generation = null;
            String challenger = null;
            while (in.p.nextToken() == JsonToken.FIELD_NAME) {
                String name = in.p.currentName();
                in.field(name);
                JsonToken t = in.p.nextToken();
                switch (name) {
                    case "command" -> {
                        seen = in.seen(seen, COMMAND);
                        command = in.requiredString(t);
                    }
                    case "toVersion" -> {
                        seen = in.seen(seen, TO_VERSION);
                        toVersion = t == JsonToken.VALUE_NULL ? null : in.requiredLong(t);
                        if (toVersion != null && toVersion < 0) {
                            throw in.error(InvalidRecordException.OUT_OF_RANGE, "a version is >= 0");
                        }
                    }
                    case "generation" -> {
                        seen = in.seen(seen, GENERATION);
                        generation = in.optionalInt(t);
                        if (generation != null && generation < 0) {
                            throw in.error(InvalidRecordException.OUT_OF_RANGE, "a generation is >= 0");
                        }
                    }
                    case "challenger" -> {
                        seen = in.seen(seen, CHALLENGER);
                        challenger = in.optionalId(t, MAX_NAME_BYTES);
                    }
                    default -> in.p.skipChildren();
                }
            }
            if (command == null) {
                throw in.missing("command");
            }
            in.field("command");
            Kind kind = switch (command) {
                case "rollback" -> Kind.ROLLBACK;
                case "reset" -> Kind.RESET;
                case "promote" -> Kind.PROMOTE;
                default -> throw in.error(UNKNOWN_COMMAND,
                        "not a command (rollback, reset or promote)");
            };
            if (kind == Kind.ROLLBACK && toVersion == null) {
                throw in.missing("toVersion");
            }
            if (kind == Kind.PROMOTE && challenger == null) {
                throw in.missing("challenger");
            }
            in.exit();
            return new ModelCommand(kind, kind == Kind.ROLLBACK ? toVersion : null,
                    kind == Kind.ROLLBACK ? generation : null, kind == Kind.PROMOTE ? challenger : null);
        }

        @Override
        public void write(ModelCommand c, JsonGenerator g) throws IOException {
            g.writeStartObject();
            g.writeStringField("command", c.command.wire());
            if (c.toVersion != null) {
                g.writeNumberField("toVersion", c.toVersion);
            }
            if (c.generation != null) {
                g.writeNumberField("generation", c.generation);
            }
            if (c.challenger != null) {
                g.writeStringField("challenger", c.challenger);
            }
            g.writeEndObject();
        }
    }
}
