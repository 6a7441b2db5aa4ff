package io.streamfit.app.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.streamfit.app.runtime.StreamfitAcls;
import io.streamfit.schemas.TopicRegistry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

/**
 * The {@code kafka-acls.sh} commands of docs/security.md (Minimal ACLs) grant exactly the ACLs of
 * {@link StreamfitAcls#forApp} for {@code application.id=streamfit}: what {@link AclPrefixIT} and
 * {@link SecureKafkaIT} show for the code holds for the commands people copy.
 */
class DocumentedAclsTest {

    @Test
    void theReadmesKafkaAclsCommandsGrantExactlyTheAppsMinimalAcls() throws IOException {
        List<String> lines = commands();
        assertThat(lines).as("kafka-acls.sh commands in docs/security.md's Minimal ACLs").hasSizeGreaterThanOrEqualTo(5);
        String principal = null;
        Set<AclBinding> granted = new HashSet<>();
        for (String line : lines) {
            if (line.startsWith("P=")) {
                principal = line.substring(2, line.indexOf(';'));
            } else if (line.startsWith("kafka-acls.sh ")) {
                granted.addAll(parse(line, principal));
            }
        }
        assertThat(principal).isEqualTo("User:streamfit");
        Set<AclBinding> expected = new HashSet<>(StreamfitAcls.forApp(principal, "streamfit", TopicRegistry.defaults(), true));
        assertThat(granted).containsExactlyInAnyOrderElementsOf(expected);
        // The prefixes end with the dash (what the commands would grant to another app otherwise: AclPrefixIT).
        assertThat(granted).filteredOn(b -> b.pattern().patternType() == PatternType.PREFIXED)
                .allSatisfy(b -> assertThat(b.pattern().name()).isEqualTo("streamfit-"));
    }

    @Test
    void withoutALabelsTopicNoAclNamesOne() {
        TopicRegistry none = new TopicRegistry("features", "object-predictions", "sum-predictions", "anomaly-scores",
                "dead-letters", "");
        List<AclBinding> with = StreamfitAcls.forApp("User:streamfit", "streamfit", TopicRegistry.defaults(), true);
        List<AclBinding> without = StreamfitAcls.forApp("User:streamfit", "streamfit", none, true);

        assertThat(with).filteredOn(b -> b.pattern().name().equals("labels"))
                .extracting(b -> b.entry().operation()).containsExactlyInAnyOrder(AclOperation.READ, AclOperation.CREATE);
        assertThat(without).noneMatch(b -> b.pattern().name().equals("labels"));
        assertThat(without).hasSize(with.size() - 2);
    }

    /** The lines of the first {@code sh} block after the heading "### Minimal ACLs". */
    private static List<String> commands() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("README.md")) || !Files.isDirectory(root.resolve("deploy"))) {
            root = root.getParent();
        }
        List<String> readme = Files.readAllLines(root.resolve("docs/security.md"), StandardCharsets.UTF_8);
        int i = readme.indexOf("### Minimal ACLs");
        assertThat(i).as("heading ### Minimal ACLs").isNotNegative();
        while (!readme.get(i).equals("```sh")) {
            i++;
        }
        List<String> out = new ArrayList<>();
        for (i++; !readme.get(i).equals("```"); i++) {
            out.add(readme.get(i).trim());
        }
        return out;
    }

    /** The bindings one {@code kafka-acls.sh --add} line creates: every resource times every operation. */
    private static List<AclBinding> parse(String line, String principal) {
        String[] t = line.split("\\s+");
        List<AclOperation> ops = new ArrayList<>();
        List<String[]> resources = new ArrayList<>();
        PatternType pattern = PatternType.LITERAL;
        String allowed = null;
        boolean add = false;
        for (int i = 1; i < t.length; i++) {
            switch (t[i]) {
                case "$B" -> { }
                case "--add" -> add = true;
                case "--allow-principal" -> allowed = t[++i].replace("$P", principal);
                case "--operation" -> ops.add(AclOperation.fromString(t[++i]));
                case "--topic" -> resources.add(new String[] {"TOPIC", t[++i]});
                case "--group" -> resources.add(new String[] {"GROUP", t[++i]});
                case "--transactional-id" -> resources.add(new String[] {"TRANSACTIONAL_ID", t[++i]});
                case "--resource-pattern-type" -> pattern = PatternType.valueOf(t[++i].toUpperCase(java.util.Locale.ROOT));
                default -> throw new AssertionError("unexpected '" + t[i] + "' in: " + line);
            }
        }
        assertThat(add).as("--add in %s", line).isTrue();
        assertThat(ops).as("operations in %s", line).isNotEmpty().doesNotContain(AclOperation.UNKNOWN);
        List<AclBinding> out = new ArrayList<>();
        for (String[] r : resources) {
            for (AclOperation op : ops) {
                out.add(StreamfitAcls.allow(allowed, ResourceType.valueOf(r[0]), r[1], pattern, op));
            }
        }
        return out;
    }
}
