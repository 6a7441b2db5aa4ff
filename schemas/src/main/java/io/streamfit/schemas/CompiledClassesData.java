package io.streamfit.schemas;

import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Conversion;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;

/**
 * A {@link SpecificData} that resolves the generated classes of one reader schema itself.
 *
 * <p>Why: Avro 1.12.2 routes every class lookup through {@code ClassSecurityValidator}, which by
 * default trusts only a few JDK classes, so decoding even the application's own generated classes
 * fails with {@code SecurityException: Forbidden ... not trusted} (AVRO-4189 regression, see
 * apache/avro#3693) unless a JVM-wide system property or global validator is set. Resolving here
 * only the named types of the reader schema, which this code base compiled, keeps the protection
 * for anything else (the check targets classes named by untrusted writer schemas) without a
 * process-wide setting.
 */
final class CompiledClassesData extends SpecificData {

    private final Map<String, Class<?>> compiled = new HashMap<>();

    /** Resolves the named types reachable from {@code readerSchema}, loaded from {@code type}'s class loader. */
    CompiledClassesData(Class<?> type, Schema readerSchema) {
        super(type.getClassLoader());
        collect(readerSchema);
        for (Conversion<?> conversion : SpecificData.getForClass(type).getConversions()) {
            addLogicalTypeConversion(conversion);
        }
    }

    private void collect(Schema schema) {
        switch (schema.getType()) {
            case RECORD -> {
                if (compiled.containsKey(schema.getFullName())) {
                    return;
                }
                compiled.put(schema.getFullName(), load(schema));
                for (Schema.Field field : schema.getFields()) {
                    collect(field.schema());
                }
            }
            case ENUM, FIXED -> compiled.putIfAbsent(schema.getFullName(), load(schema));
            case ARRAY -> collect(schema.getElementType());
            case MAP -> collect(schema.getValueType());
            case UNION -> schema.getTypes().forEach(this::collect);
            default -> {
                // primitives: no class to resolve
            }
        }
    }

    private Class<?> load(Schema schema) {
        try {
            return Class.forName(getClassName(schema), false, getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("no generated class for schema " + schema.getFullName(), e);
        }
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Class getClass(Schema schema) {
        Schema.Type t = schema.getType();
        if (t == Schema.Type.RECORD || t == Schema.Type.ENUM || t == Schema.Type.FIXED) {
            Class<?> c = compiled.get(schema.getFullName());
            if (c != null) {
                return c;
            }
        }
        return super.getClass(schema);
    }
}
