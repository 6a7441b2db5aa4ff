package io.streamfit.app.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The files under {@code deploy/} as the tests read them: YAML and JSON trees, the PromQL
 * expressions of the dashboard and the alert rules, and properties files.
 */
final class DeployFiles {

    static final ObjectMapper JSON = new ObjectMapper();
    static final YAMLMapper YAML = new YAMLMapper();

    /** The repository root: the first folder up from the working directory that has {@code deploy/}. */
    static final Path ROOT = findRoot();
    static final Path DEPLOY = ROOT.resolve("deploy");
    static final Path COMPOSE = DEPLOY.resolve("docker-compose.yml");
    static final Path PROMETHEUS = DEPLOY.resolve("prometheus/prometheus.yml");
    static final Path ALERTS = DEPLOY.resolve("prometheus/alerts.yml");
    static final Path DASHBOARD = DEPLOY.resolve("grafana/dashboards/streamfit.json");
    static final Path DATASOURCES = DEPLOY.resolve("grafana/provisioning/datasources/prometheus.yml");
    static final Path DASHBOARD_PROVIDERS = DEPLOY.resolve("grafana/provisioning/dashboards/streamfit.yml");
    static final Path APP_PROPERTIES = DEPLOY.resolve("config/streamfit.properties");
    static final Path K8S = DEPLOY.resolve("k8s");
    static final Path DOCKERFILE = ROOT.resolve("Dockerfile");

    /** What Grafana puts for {@code $__rate_interval} with a 1 s scrape (4 x scrape interval, rounded up). */
    static final String RATE_INTERVAL_FOR_TESTS = "15s";

    private DeployFiles() {
    }

    private static Path findRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("deploy"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no deploy/ folder above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    static JsonNode yaml(Path file) throws IOException {
        return YAML.readTree(file.toFile());
    }

    /** All documents of a multi-document YAML file. */
    static List<JsonNode> yamlDocuments(Path file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(file.toFile())) {
            var it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && !n.isNull() && !n.isEmpty()) {
                    docs.add(n);
                }
            }
        }
        return docs;
    }

    static JsonNode json(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }

    static Map<String, String> properties(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return properties(r);
        }
    }

    static Map<String, String> properties(String text) throws IOException {
        return properties(new StringReader(text));
    }

    private static Map<String, String> properties(Reader r) throws IOException {
        Properties p = new Properties();
        p.load(r);
        Map<String, String> out = new HashMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k).trim()));
        return out;
    }

    /** One PromQL expression and where it comes from (for messages). */
    record Query(String source, String expr) {
        /** The expression with Grafana's variables replaced as Grafana would for "All" and a 1 s scrape. */
        String forPrometheus() {
            return expr.replace("$__rate_interval", RATE_INTERVAL_FOR_TESTS)
                    .replace("$__interval", RATE_INTERVAL_FOR_TESTS)
                    .replace("$instance", ".*");
        }
    }

    /** Every query of every dashboard panel, keyed "panel title / refId". */
    static List<Query> dashboardQueries() throws IOException {
        List<Query> out = new ArrayList<>();
        for (JsonNode panel : panels(json(DASHBOARD))) {
            for (JsonNode t : panel.path("targets")) {
                out.add(new Query("panel '" + panel.path("title").asText() + "' / " + t.path("refId").asText(),
                        t.path("expr").asText()));
            }
        }
        return out;
    }

    /** The dashboard's panels, rows' nested panels included, rows themselves left out. */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            if ("row".equals(p.path("type").asText())) {
                p.path("panels").forEach(out::add);
            } else {
                out.add(p);
            }
        }
        return out;
    }

    /** Every alert rule's expression, keyed by alert name. */
    static List<Query> alertQueries() throws IOException {
        List<Query> out = new ArrayList<>();
        for (JsonNode group : yaml(ALERTS).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String name = rule.has("alert") ? "alert " + rule.path("alert").asText() : "record " + rule.path("record").asText();
                out.add(new Query(name, rule.path("expr").asText()));
            }
        }
        return out;
    }

    /** The Kubernetes objects under deploy/k8s (all documents of all .yaml files but the kustomization), by kind. */
    static Map<String, List<JsonNode>> k8sObjects() throws IOException {
        Map<String, List<JsonNode>> byKind = new LinkedHashMap<>();
        try (var files = Files.list(K8S)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                for (JsonNode doc : yamlDocuments(f)) {
                    if (!"Kustomization".equals(doc.path("kind").asText())) {
                        byKind.computeIfAbsent(doc.path("kind").asText(), k -> new ArrayList<>()).add(doc);
                    }
                }
            }
        }
        return byKind;
    }
}
