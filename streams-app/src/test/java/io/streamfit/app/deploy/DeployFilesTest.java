package io.streamfit.app.deploy;

import static io.streamfit.app.deploy.DeployFiles.ALERTS;
import static io.streamfit.app.deploy.DeployFiles.APP_PROPERTIES;
import static io.streamfit.app.deploy.DeployFiles.COMPOSE;
import static io.streamfit.app.deploy.DeployFiles.DASHBOARD;
import static io.streamfit.app.deploy.DeployFiles.DASHBOARD_PROVIDERS;
import static io.streamfit.app.deploy.DeployFiles.DATASOURCES;
import static io.streamfit.app.deploy.DeployFiles.DOCKERFILE;
import static io.streamfit.app.deploy.DeployFiles.K8S;
import static io.streamfit.app.deploy.DeployFiles.PROMETHEUS;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.config.KafkaProperties;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import org.apache.kafka.common.config.provider.DirectoryConfigProvider;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deploy files agree with each other and with the code: compose, Kubernetes, Prometheus,
 * alert rules, Grafana provisioning and dashboard, and the Dockerfile. No Docker needed.
 */
class DeployFilesTest {

    private static final String APP_SERVICE = "streamfit";
    private static final String PRODUCER_SERVICE = "producer";
    private static final String KAFKA_SERVICE = "kafka";

    /** Metric names that exist only in a live process; PrometheusIT checks each against a real scrape. */
    private static final List<String> LIVE_ONLY_PREFIXES = List.of("kafka_stream_", "kafka_consumer_",
            "kafka_producer_", "jvm_", "process_");
    /** Published by `streamfit produce` (and `streamfit demo`), not by the app. */
    private static final Set<String> PRODUCER_NAMES = Set.of("streamfit_demo_noise_floor_rmse",
            "streamfit_demo_records_sent_total");

    // ---- compose --------------------------------------------------------------------------------

    @Test
    void composeHasTheServicesOfTheStack() throws IOException {
        JsonNode services = DeployFiles.yaml(COMPOSE).path("services");
        assertThat(fieldNames(services)).containsExactlyInAnyOrder(KAFKA_SERVICE, "topics", APP_SERVICE, PRODUCER_SERVICE,
                "prometheus", "grafana");
        // The official Apache image at the version of the clients the app is built with.
        String kafkaImage = "apache/kafka:" + AppInfoParser.getVersion();
        assertThat(services.path(KAFKA_SERVICE).path("image").asText()).isEqualTo(kafkaImage);
        assertThat(services.path("topics").path("image").asText()).isEqualTo(kafkaImage);
        assertThat(services.path(KAFKA_SERVICE).path("environment").path("KAFKA_PROCESS_ROLES").asText())
                .as("KRaft, no ZooKeeper").isEqualTo("broker,controller");
        // Exactly-once needs the transaction log to be writable on a single broker.
        assertThat(services.path(KAFKA_SERVICE).path("environment").path("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR").asInt())
                .isEqualTo(1);
        assertThat(services.path(APP_SERVICE).path("depends_on").path("topics").path("condition").asText())
                .isEqualTo("service_completed_successfully");
        assertThat(services.path(PRODUCER_SERVICE).path("depends_on").path("topics").path("condition").asText())
                .isEqualTo("service_completed_successfully");
    }

    @Test
    void composeClientsUseTheBrokersAdvertisedListener() throws IOException {
        JsonNode services = DeployFiles.yaml(COMPOSE).path("services");
        String advertised = services.path(KAFKA_SERVICE).path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText();
        Matcher m = Pattern.compile("PLAINTEXT://([^,]+)").matcher(advertised);
        assertThat(m.find()).as("PLAINTEXT listener in %s", advertised).isTrue();
        String bootstrap = m.group(1);
        assertThat(bootstrap).isEqualTo(KAFKA_SERVICE + ":9092");
        assertThat(services.path(KAFKA_SERVICE).path("environment").path("KAFKA_LISTENERS").asText())
                .contains("PLAINTEXT://:" + bootstrap.split(":")[1]);

        Map<String, String> props = DeployFiles.properties(APP_PROPERTIES);
        assertThat(props.get("bootstrap.servers")).isEqualTo(bootstrap);
        assertThat(env(services.path(APP_SERVICE)).get("STREAMFIT_BOOTSTRAP_SERVERS")).isEqualTo(bootstrap);
        assertThat(option(command(services.path(PRODUCER_SERVICE)), "--bootstrap-servers")).isEqualTo(bootstrap);
        String topicsScript = String.join("\n", command(services.path("topics")));
        assertThat(topicsScript).contains("--bootstrap-server " + bootstrap);

        // Every topic of the app's configuration is created before the app and the producer start.
        StreamfitConfig cfg = new StreamfitConfig(props);
        for (String key : List.of(StreamfitConfig.TOPIC_FEATURES, StreamfitConfig.TOPIC_OBJECT_PREDICTIONS,
                StreamfitConfig.TOPIC_SUM_PREDICTIONS, StreamfitConfig.TOPIC_DEAD_LETTERS)) {
            assertThat(topicsScript).as("topics service creates %s", key).containsPattern("\\b" + cfg.getString(key) + "\\b");
        }
        assertThat(topicsScript).contains("--partitions " + cfg.getInt(StreamfitConfig.TOPICS_PARTITIONS));
        assertThat(option(command(services.path(PRODUCER_SERVICE)), "--topic"))
                .isIn(null, cfg.getString(StreamfitConfig.TOPIC_FEATURES));
    }

    @Test
    void composeAppConfigIsValidAndItsPortsAgreeWithPrometheus() throws IOException {
        JsonNode services = DeployFiles.yaml(COMPOSE).path("services");
        Map<String, String> props = new HashMap<>(DeployFiles.properties(APP_PROPERTIES));
        props.putAll(io.streamfit.app.config.ConfigLoader.envOverrides(toStringMap(env(services.path(APP_SERVICE)))));
        StreamfitConfig cfg = new StreamfitConfig(props);
        int httpPort = cfg.getInt(StreamfitConfig.HTTP_PORT);
        assertThat(cfg.getString(StreamfitConfig.HTTP_HOST)).as("HTTP must listen beyond the container").isEqualTo("0.0.0.0");
        assertThat(texts(services.path(APP_SERVICE).path("ports"))).contains("127.0.0.1:" + httpPort + ":" + httpPort);
        assertThat(command(services.path(APP_SERVICE))).containsSubsequence("run", "--config");
        String configPath = option(command(services.path(APP_SERVICE)), "--config");
        assertThat(texts(services.path(APP_SERVICE).path("volumes")))
                .contains("./config/streamfit.properties:" + configPath + ":ro");
        // The state directory is on the named volume, so a recreated container restores locally.
        String stateVolume = texts(services.path(APP_SERVICE).path("volumes")).stream()
                .filter(v -> v.startsWith("streamfit-state:")).findFirst().orElseThrow().split(":")[1];
        assertThat(props.get("state.dir")).startsWith(stateVolume + "/");

        List<String> producer = command(services.path(PRODUCER_SERVICE));
        assertThat(producer.get(0)).isEqualTo("produce");
        assertThat(option(producer, "--http-host")).isEqualTo("0.0.0.0");
        String features = option(producer, "--features");
        assertThat(features == null ? 8 : Integer.parseInt(features)).as("producer m = app m").isEqualTo(cfg.features());
        int producerPort = Integer.parseInt(option(producer, "--http-port"));

        Map<String, String> targets = scrapeTargets();
        assertThat(targets).containsEntry(APP_SERVICE, APP_SERVICE + ":" + httpPort)
                .containsEntry("streamfit-producer", PRODUCER_SERVICE + ":" + producerPort);
    }

    @Test
    void composeMountsPrometheusAndGrafanaFilesWhereTheyAreRead() throws IOException {
        JsonNode services = DeployFiles.yaml(COMPOSE).path("services");
        List<String> promVolumes = texts(services.path("prometheus").path("volumes"));
        assertThat(promVolumes).contains("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro");
        for (JsonNode rules : DeployFiles.yaml(PROMETHEUS).path("rule_files")) {
            // rule_files are relative to the config file's folder.
            assertThat(promVolumes).contains("./prometheus/" + rules.asText() + ":/etc/prometheus/" + rules.asText() + ":ro");
            assertThat(PROMETHEUS.resolveSibling(rules.asText())).exists();
        }
        List<String> grafanaVolumes = texts(services.path("grafana").path("volumes"));
        assertThat(grafanaVolumes).contains("./grafana/provisioning:/etc/grafana/provisioning:ro");
        String dashboardsPath = DeployFiles.yaml(DASHBOARD_PROVIDERS).path("providers").get(0).path("options").path("path").asText();
        assertThat(grafanaVolumes).contains("./grafana/dashboards:" + dashboardsPath + ":ro");
        assertThat(env(services.path("grafana")).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"))
                .isEqualTo(dashboardsPath + "/" + DASHBOARD.getFileName());
        // The datasource reaches the compose Prometheus on its published port.
        String url = DeployFiles.yaml(DATASOURCES).path("datasources").get(0).path("url").asText();
        assertThat(url).isEqualTo("http://prometheus:9090");
        assertThat(texts(services.path("prometheus").path("ports"))).contains("127.0.0.1:9090:9090");
        // Every file the compose file mounts exists.
        for (JsonNode service : services) {
            for (String v : texts(service.path("volumes"))) {
                if (v.startsWith("./")) {
                    assertThat(COMPOSE.resolveSibling(v.split(":")[0])).as("mounted by compose: %s", v).exists();
                }
            }
        }
    }

    @Test
    void composePublishesEveryPortOnLoopbackOnlyAndGrafanaHasNoLoginToGuess() throws IOException {
        JsonNode services = DeployFiles.yaml(COMPOSE).path("services");
        int published = 0;
        for (Map.Entry<String, JsonNode> service : fields(services)) {
            for (JsonNode port : service.getValue().path("ports")) {
                // Nothing in the stack authenticates (PLAINTEXT Kafka, open HTTP): the host only.
                String hostIp = port.isObject() ? port.path("host_ip").asText() : port.asText().split(":")[0];
                assertThat(hostIp).as("port %s of %s", port, service.getKey()).isEqualTo("127.0.0.1");
                published++;
            }
        }
        assertThat(published).isGreaterThanOrEqualTo(5);
        // Grafana: anonymous viewers and no way to log in, so its default admin/admin is no way in.
        Map<String, Object> grafana = env(services.path("grafana"));
        assertThat(grafana).containsEntry("GF_AUTH_ANONYMOUS_ENABLED", "true")
                .containsEntry("GF_AUTH_ANONYMOUS_ORG_ROLE", "Viewer")
                .containsEntry("GF_AUTH_DISABLE_LOGIN_FORM", "true")
                .containsEntry("GF_AUTH_BASIC_ENABLED", "false");
        for (Map.Entry<String, JsonNode> service : fields(services)) {
            env(service.getValue()).forEach((name, value) -> {
                if (name.contains("PASSWORD")) {
                    // Only ever required from the environment of the one who starts the stack.
                    assertThat(value.toString()).as("%s of %s", name, service.getKey()).matches("\\$\\{\\w+:\\?[^}]*}");
                }
            });
        }
        assertThat(Files.readString(COMPOSE, StandardCharsets.UTF_8)).doesNotContain("admin/admin");
    }

    // ---- Dockerfile -------------------------------------------------------------------------------

    @Test
    void dockerfileBuildsCpuByDefaultAndRunsAsNonRootWithAHealthcheck() throws IOException {
        String df = Files.readString(DOCKERFILE, StandardCharsets.UTF_8);
        assertThat(df).containsPattern("(?m)^ARG VARIANT=cpu$")
                .containsPattern("(?m)^FROM maven:3\\.9-eclipse-temurin-17 AS build$")
                .containsPattern("(?m)^FROM eclipse-temurin:17-jre AS runtime-cpu$")
                .containsPattern("(?m)^FROM \\$\\{CUDA_IMAGE} AS runtime-gpu$")
                .containsPattern("(?m)^FROM runtime-\\$\\{VARIANT} AS runtime$")
                .contains("echo -Pgpu", "-DskipTests package");
        assertThat(df).containsPattern("ARG CUDA_IMAGE=nvidia/cuda:12\\.[0-9.]+-cudnn[0-9]*-runtime-ubuntu22\\.04");
        Matcher user = Pattern.compile("(?m)^USER (\\S+)").matcher(df);
        assertThat(user.find()).isTrue();
        assertThat(user.group(1)).doesNotStartWith("0").isNotEqualTo("root");
        int httpPort = new StreamfitConfig(DeployFiles.properties(APP_PROPERTIES)).getInt(StreamfitConfig.HTTP_PORT);
        assertThat(df).containsPattern("(?m)^EXPOSE " + httpPort + "$")
                .containsPattern("(?s)HEALTHCHECK .*curl -fsS \"http://127\\.0\\.0\\.1:\\$\\{STREAMFIT_HTTP_PORT:-" + httpPort
                        + "}/health\"")
                .contains("STREAMFIT_HTTP_HOST=0.0.0.0");
        // The image runs the service: the app jar and target/lib from streams-app's package phase.
        assertThat(df).contains("streams-app/target/streamfit-app.jar", "streams-app/target/lib",
                "io.streamfit.app.cli.StreamfitCli");
        // ./streamfit runs the dev tools, whose target/lib holds the app jar and its dependencies too.
        assertThat(Files.readString(DeployFiles.ROOT.resolve("streamfit"), StandardCharsets.UTF_8))
                .contains("devtools/target/streamfit-devtools.jar", "devtools/target/lib", "io.streamfit.devtools.DevCli");
        // Everything the build copies is in the context (not excluded by .dockerignore).
        List<String> ignored = Files.readAllLines(DeployFiles.ROOT.resolve(".dockerignore"));
        Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(\\S+) ").matcher(df);
        int copies = 0;
        while (copy.find()) {
            String src = copy.group(1);
            assertThat(DeployFiles.ROOT.resolve(src)).as("COPY %s", src).exists();
            assertThat(ignored).as("COPY %s is not ignored", src).noneMatch(i -> src.equals(i) || src.startsWith(i + "/"));
            copies++;
        }
        assertThat(copies).isGreaterThanOrEqualTo(8);
    }

    @Test
    void dockerfileReadsEveryModuleAndKeepsTheDevToolsOutOfTheServiceImage() throws IOException {
        String df = Files.readString(DOCKERFILE, StandardCharsets.UTF_8);
        // Maven reads every module of the root POM before it builds any, even with -pl.
        Matcher module = Pattern.compile("<module>([^<]+)</module>")
                .matcher(Files.readString(DeployFiles.ROOT.resolve("pom.xml"), StandardCharsets.UTF_8));
        int modules = 0;
        while (module.find()) {
            assertThat(df).as("the build stage copies the POM of module %s", module.group(1))
                    .containsPattern("(?m)^COPY " + Pattern.quote(module.group(1) + "/pom.xml") + " ");
            modules++;
        }
        assertThat(modules).isGreaterThanOrEqualTo(4);

        // The default target is the last stage: the service, built from streams-app alone.
        Matcher from = Pattern.compile("(?m)^FROM \\S+ AS (\\S+)$").matcher(df);
        List<String> stages = new ArrayList<>();
        int lastStage = -1;
        while (from.find()) {
            stages.add(from.group(1));
            lastStage = from.start();
        }
        assertThat(stages).endsWith("runtime").contains("devtools", "build-devtools");
        assertThat(df.substring(lastStage)).doesNotContain("devtools", "devkit");
        assertThat(df).contains("-pl streams-app -am -DskipTests package", "-pl devtools -am -DskipTests package");
        String devtools = df.substring(df.indexOf(" AS devtools\n"), lastStage);
        assertThat(devtools).contains("io.streamfit.devtools.DevCli").doesNotContain("io.streamfit.app.cli.StreamfitCli");

        // compose: the app from the service image, the synthetic producer from the dev tools' one.
        JsonNode services = DeployFiles.yaml(COMPOSE).path("services");
        JsonNode app = services.path(APP_SERVICE);
        JsonNode producer = services.path(PRODUCER_SERVICE);
        assertThat(app.path("build").path("target").isMissingNode()).as("the app builds the default target").isTrue();
        assertThat(producer.path("build").path("target").asText()).isEqualTo("devtools");
        assertThat(producer.path("image").asText()).isNotEqualTo(app.path("image").asText());
    }

    @Test
    void everyWayOfRunningTheJvmExitsOnAnOutOfMemoryError() throws IOException {
        // An OutOfMemoryError passes every catch of bad input; a JVM that stays up after it runs on
        // without the stream thread it killed. Exiting lets Docker, Kubernetes or the user restart it.
        String flag = "-XX:+ExitOnOutOfMemoryError";
        String df = Files.readString(DOCKERFILE, StandardCharsets.UTF_8);
        Matcher entrypoint = Pattern.compile("(?m)^ENTRYPOINT .*$").matcher(df);
        int entrypoints = 0;
        while (entrypoint.find()) {
            // Before $JAVA_OPTS, which compose and Kubernetes replace.
            assertThat(entrypoint.group()).contains("exec java " + flag + " $JAVA_OPTS ");
            entrypoints++;
        }
        assertThat(entrypoints).as("the service's and the dev tools' entrypoints").isEqualTo(2);

        String launcher = Files.readString(DeployFiles.ROOT.resolve("streamfit"), StandardCharsets.UTF_8);
        Matcher exec = Pattern.compile("(?m)^exec \"\\$JAVA\" (.*)$").matcher(launcher);
        assertThat(exec.find()).as("the launcher's exec line").isTrue();
        assertThat(exec.group(1)).as("outside STREAMFIT_JAVA_OPTS, which replaces its default").startsWith(flag + " ");

        JsonNode container = DeployFiles.k8sObjects().get("StatefulSet").get(0).path("spec").path("template")
                .path("spec").path("containers").get(0);
        List<String> javaOpts = new ArrayList<>();
        container.path("env").forEach(e -> {
            if (e.path("name").asText().equals("JAVA_OPTS")) {
                javaOpts.add(e.path("value").asText());
            }
        });
        assertThat(javaOpts).singleElement().asString().contains(flag);
    }

    @Test
    void everyWayOfRunningTheServiceLimitsMallocToTwoArenas() throws IOException {
        // glibc's default of up to 8 arenas per core lets TensorFlow's and RocksDB's native memory
        // fragment across threads; the RSS of a million keys grew with the keys without this
        // (docs/performance.md, "Many series keys").
        String df = Files.readString(DOCKERFILE, StandardCharsets.UTF_8);
        Matcher stage = Pattern.compile("(?ms)^FROM \\S+ AS (devtools|runtime)$(.*?)(?=^FROM |\\z)").matcher(df);
        int stages = 0;
        while (stage.find()) {
            assertThat(stage.group(2)).as("stage %s", stage.group(1)).containsPattern("(?m)^\\s+MALLOC_ARENA_MAX=2\\b");
            stages++;
        }
        assertThat(stages).as("the service's and the dev tools' image stages").isEqualTo(2);
        String launcher = Files.readString(DeployFiles.ROOT.resolve("streamfit"), StandardCharsets.UTF_8);
        assertThat(launcher).as("the launcher keeps a value the user set")
                .contains("export MALLOC_ARENA_MAX=\"${MALLOC_ARENA_MAX:-2}\"");
        assertThat(k8sEnv(container())).containsEntry("MALLOC_ARENA_MAX", "2");
        assertThat(DeployFiles.yaml(COMPOSE).path("services").path(APP_SERVICE).path("environment")
                .path("MALLOC_ARENA_MAX").asText()).isEqualTo("2");
    }

    // ---- Kubernetes -------------------------------------------------------------------------------

    @Test
    void kubernetesManifestsAgreeOnPortsProbesConfigAndState() throws IOException {
        Map<String, List<JsonNode>> objects = DeployFiles.k8sObjects();
        assertThat(objects).containsOnlyKeys("ConfigMap", "Service", "StatefulSet", "NetworkPolicy");
        JsonNode configMap = objects.get("ConfigMap").get(0);
        JsonNode service = objects.get("Service").get(0);
        JsonNode sts = objects.get("StatefulSet").get(0);

        List<String> kustomized = texts(DeployFiles.yaml(K8S.resolve("kustomization.yaml")).path("resources"));
        try (var files = Files.list(K8S)) {
            assertThat(kustomized).containsExactlyInAnyOrderElementsOf(files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).toList());
        }

        JsonNode pod = sts.path("spec").path("template");
        JsonNode container = pod.path("spec").path("containers").get(0);
        List<String> args = texts(container.path("args"));
        assertThat(args).containsSubsequence("run", "--config");
        Path configPath = Path.of(option(args, "--config"));
        JsonNode configMount = mount(container, "config");
        assertThat(configMount.path("mountPath").asText()).isEqualTo(configPath.getParent().toString());
        assertThat(volume(pod, "config").path("configMap").path("name").asText())
                .isEqualTo(configMap.path("metadata").path("name").asText());
        String propertiesText = configMap.path("data").path(configPath.getFileName().toString()).asText();
        assertThat(propertiesText).as("ConfigMap key %s", configPath.getFileName()).isNotBlank();

        StreamfitConfig cfg = k8sConfig(secretDir());
        int httpPort = cfg.getInt(StreamfitConfig.HTTP_PORT);
        assertThat(cfg.getString(StreamfitConfig.HTTP_HOST)).isEqualTo("0.0.0.0");

        JsonNode port = container.path("ports").get(0);
        assertThat(port.path("containerPort").asInt()).isEqualTo(httpPort);
        String portName = port.path("name").asText();
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            JsonNode get = container.path(probe).path("httpGet");
            assertThat(get.path("path").asText()).as(probe).isEqualTo("/health");
            assertThat(get.path("port").asText()).as(probe).isIn(portName, String.valueOf(httpPort));
        }
        JsonNode a = pod.path("metadata").path("annotations");
        assertThat(a.path("prometheus.io/scrape").asText()).isEqualTo("true");
        assertThat(a.path("prometheus.io/port").asText()).isEqualTo(String.valueOf(httpPort));
        assertThat(a.path("prometheus.io/path").asText()).isEqualTo("/metrics");
        // Annotations on the Service as well would have annotation-based setups scrape every pod twice.
        assertThat(service.path("metadata").path("annotations").path("prometheus.io/scrape").isMissingNode()).isTrue();
        JsonNode svcPort = service.path("spec").path("ports").get(0);
        assertThat(svcPort.path("port").asInt()).isEqualTo(httpPort);
        assertThat(svcPort.path("targetPort").asText()).isIn(portName, String.valueOf(httpPort));
        assertThat(sts.path("spec").path("serviceName").asText()).isEqualTo(service.path("metadata").path("name").asText());
        JsonNode labels = pod.path("metadata").path("labels");
        sts.path("spec").path("selector").path("matchLabels").fields().forEachRemaining(e ->
                assertThat(labels.path(e.getKey()).asText()).as("template label %s", e.getKey()).isEqualTo(e.getValue().asText()));
        service.path("spec").path("selector").fields().forEachRemaining(e ->
                assertThat(labels.path(e.getKey()).asText()).as("service selects %s", e.getKey()).isEqualTo(e.getValue().asText()));

        // The state directory lives on the pod's persistent volume.
        JsonNode claim = sts.path("spec").path("volumeClaimTemplates").get(0);
        String claimName = claim.path("metadata").path("name").asText();
        assertThat(claim.path("spec").path("resources").path("requests").path("storage").asText()).isNotBlank();
        String statePath = mount(container, claimName).path("mountPath").asText();
        assertThat(cfg.originals().get("state.dir").toString()).startsWith(statePath + "/");

        JsonNode requests = container.path("resources").path("requests");
        assertThat(requests.path("cpu").asText()).isNotBlank();
        assertThat(requests.path("memory").asText()).isNotBlank();
        assertThat(pod.path("spec").path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
    }

    @Test
    void kubernetesRunsTheContainerHardened() throws IOException {
        JsonNode pod = podSpec();
        JsonNode container = container();
        // The image's user: the runtime stage's USER, made by groupadd/useradd there.
        String df = Files.readString(DOCKERFILE, StandardCharsets.UTF_8);
        Matcher user = Pattern.compile("(?m)^USER (\\d+):(\\d+)$").matcher(df);
        String uid = null;
        String gid = null;
        while (user.find()) {
            uid = user.group(1);
            gid = user.group(2);
        }
        assertThat(uid).as("USER uid:gid in the Dockerfile").isNotNull().isNotEqualTo("0");
        assertThat(df).contains("groupadd --system --gid " + gid + " ", "useradd --system --uid " + uid + " ");

        JsonNode sc = container.path("securityContext");
        assertThat(sc.path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(sc.path("runAsUser").asText()).isEqualTo(uid);
        assertThat(sc.path("runAsGroup").asText()).isEqualTo(gid);
        assertThat(sc.path("allowPrivilegeEscalation").isBoolean()).as("allowPrivilegeEscalation set").isTrue();
        assertThat(sc.path("allowPrivilegeEscalation").asBoolean()).isFalse();
        assertThat(sc.path("privileged").asBoolean(false)).isFalse();
        assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(texts(sc.path("capabilities").path("drop"))).containsExactly("ALL");
        assertThat(sc.path("capabilities").path("add").isMissingNode()).as("no capability added").isTrue();
        assertThat(sc.path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");

        JsonNode psc = pod.path("securityContext");
        assertThat(psc.path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(psc.path("runAsUser").asText()).isEqualTo(uid);
        assertThat(psc.path("fsGroup").asText()).as("the state volume and the Secret's files belong to the app's group")
                .isEqualTo(gid);
        assertThat(psc.path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");
        assertThat(pod.path("enableServiceLinks").isBoolean()).as("enableServiceLinks set").isTrue();
        assertThat(pod.path("enableServiceLinks").asBoolean()).isFalse();
        assertThat(pod.path("automountServiceAccountToken").isBoolean()).as("automountServiceAccountToken set").isTrue();
        assertThat(pod.path("automountServiceAccountToken").asBoolean()).isFalse();
        for (String host : List.of("hostNetwork", "hostPID", "hostIPC")) {
            assertThat(pod.path(host).asBoolean(false)).as(host).isFalse();
        }

        // The root file system is read-only: every writable mount is a volume made for it, the state
        // claim or an emptyDir on disk (in memory it would count against the memory limit).
        Set<String> claims = new HashSet<>();
        statefulSet().path("spec").path("volumeClaimTemplates").forEach(c -> claims.add(c.path("metadata").path("name").asText()));
        List<String> writable = new ArrayList<>();
        for (JsonNode m : container.path("volumeMounts")) {
            String name = m.path("name").asText();
            JsonNode v = claims.contains(name) ? null : volume(statefulSet().path("spec").path("template"), name);
            if (m.path("readOnly").asBoolean(false)) {
                assertThat(v == null || v.has("configMap") || v.has("secret")).as("read-only mount %s", name).isTrue();
                continue;
            }
            writable.add(m.path("mountPath").asText());
            if (v != null) {
                assertThat(v.has("emptyDir")).as("writable mount %s is an emptyDir or the state claim", name).isTrue();
                assertThat(v.path("emptyDir").path("medium").asText("")).as("emptyDir %s on disk", name).isNotEqualTo("Memory");
                assertThat(v.path("emptyDir").path("sizeLimit").asText()).as("sizeLimit of %s", name).isNotBlank();
            }
        }
        // What the JVM writes (besides state.dir, checked above): the temporary directory (RocksDB's JNI
        // library), JavaCPP's cache (TensorFlow's native libraries), a crash log; the JVM's perf data goes to /tmp.
        assertThat(writable).contains("/tmp");
        String javaOpts = k8sEnv(container).get("JAVA_OPTS");
        for (String option : List.of("-Djava.io.tmpdir=", "-Dorg.bytedeco.javacpp.cachedir=", "-XX:ErrorFile=")) {
            String path = jvmOption(javaOpts, option);
            assertThat(path).as("%s in JAVA_OPTS", option).isNotNull();
            assertThat(writable).as("%s%s on a writable volume", option, path)
                    .anyMatch(w -> path.equals(w) || path.startsWith(w + "/"));
        }
        // The image's own default does the same, for docker run --read-only.
        assertThat(df).containsPattern("JAVA_OPTS=\"[^\"]*-Dorg\\.bytedeco\\.javacpp\\.cachedir=/tmp/");
    }

    @Test
    void kubernetesTakesTheKafkaCredentialsFromASecretNeverFromTheConfigMap() throws IOException {
        JsonNode secretVolume = null;
        for (JsonNode v : podSpec().path("volumes")) {
            if (v.has("secret")) {
                secretVolume = v;
            }
        }
        assertThat(secretVolume).as("a Secret volume").isNotNull();
        assertThat(secretVolume.path("secret").path("secretName").asText()).isNotBlank();
        // Files owned by root and the pod's fsGroup: readable by the group, not by others.
        int mode = secretVolume.path("secret").path("defaultMode").asInt(0644);
        assertThat(mode & 0040).as("group read").isNotZero();
        assertThat(mode & 0007).as("no access for others").isZero();
        String mount = secretMountPath();

        Map<String, String> props = DeployFiles.properties(configMapProperties());
        assertThat(props).containsEntry("config.providers.dir.class", DirectoryConfigProvider.class.getName())
                .containsEntry("config.providers.dir.param.allowed.paths", mount);
        String ref = "\\$\\{dir:" + Pattern.quote(mount) + ":[A-Za-z0-9_.-]+}";
        int secretKeys = 0;
        for (Map.Entry<String, String> e : props.entrySet()) {
            if (!KafkaProperties.isSecret(e.getKey())) {
                continue;
            }
            secretKeys++;
            String withoutRefs = e.getValue().replaceAll(ref, "REF");
            if (e.getKey().endsWith("sasl.jaas.config")) {
                assertThat(withoutRefs).as(e.getKey()).contains("password=\"REF\"")
                        .doesNotContainPattern("(?i)password\\s*=\\s*\"(?!REF\")");
            } else {
                assertThat(withoutRefs).as("%s comes from the Secret", e.getKey()).isEqualTo("REF");
            }
        }
        assertThat(secretKeys).as("sasl.jaas.config at least").isPositive();
        // Nor in the container's environment: a secret key set there comes from a secretKeyRef.
        for (JsonNode e : container().path("env")) {
            Map<String, String> key = io.streamfit.app.config.ConfigLoader.envOverrides(Map.of(e.path("name").asText(), "x"));
            if (key.keySet().stream().anyMatch(KafkaProperties::isSecret)) {
                assertThat(e.has("value")).as("env %s has no literal value", e.path("name").asText()).isFalse();
                assertThat(e.path("valueFrom").has("secretKeyRef")).isTrue();
            }
        }

        // Mounted as Kubernetes mounts a Secret, the references resolve, and nothing printed shows them.
        StreamfitConfig cfg = k8sConfig(secretDir());
        assertThat(cfg.kafkaProperties().get("sasl.jaas.config"))
                .contains("username=\"" + SECRET_USER + "\"", "password=\"" + SECRET_PASSWORD + "\"");
        assertThat(cfg.redactedKafkaProperties().toString()).doesNotContain(SECRET_USER, SECRET_PASSWORD);
    }

    @Test
    void kubernetesNetworkPolicyLetsInOnlyTheScraperAndOutOnlyKafkaAndDns() throws IOException {
        JsonNode spec = DeployFiles.k8sObjects().get("NetworkPolicy").get(0).path("spec");
        JsonNode labels = statefulSet().path("spec").path("template").path("metadata").path("labels");
        JsonNode selector = spec.path("podSelector").path("matchLabels");
        assertThat(selector.isEmpty()).as("selects pods, not the whole namespace").isFalse();
        selector.fields().forEachRemaining(e ->
                assertThat(labels.path(e.getKey()).asText()).as("selects the app's pods: %s", e.getKey()).isEqualTo(e.getValue().asText()));
        assertThat(texts(spec.path("policyTypes"))).containsExactlyInAnyOrder("Ingress", "Egress");

        JsonNode port = container().path("ports").get(0);
        int httpPort = port.path("containerPort").asInt();
        assertThat(spec.path("ingress")).isNotEmpty();
        for (JsonNode rule : spec.path("ingress")) {
            assertThat(rule.path("ports")).as("an ingress rule names its ports").isNotEmpty();
            for (JsonNode p : rule.path("ports")) {
                assertThat(p.path("port").asText()).as("ingress only to HTTP").isIn(String.valueOf(httpPort),
                        port.path("name").asText());
            }
            assertThat(rule.path("from")).as("an ingress rule names its sources").isNotEmpty();
            for (JsonNode from : rule.path("from")) {
                assertThat(from.has("ipBlock")).as("no address ranges: the monitoring namespace's pods").isFalse();
                assertThat(from.path("namespaceSelector").path("matchLabels").isEmpty()
                        && from.path("podSelector").path("matchLabels").isEmpty()).as("not every pod of every namespace").isFalse();
            }
        }

        Set<Integer> kafkaPorts = new HashSet<>();
        for (String server : k8sConfig(secretDir()).bootstrapServers().split(",")) {
            kafkaPorts.add(Integer.parseInt(server.trim().substring(server.trim().lastIndexOf(':') + 1)));
        }
        Set<String> egress = new HashSet<>();
        for (JsonNode rule : spec.path("egress")) {
            assertThat(rule.path("ports")).as("an egress rule names its ports").isNotEmpty();
            assertThat(rule.path("to")).as("an egress rule names its destinations").isNotEmpty();
            rule.path("ports").forEach(p -> egress.add(p.path("protocol").asText("TCP") + "/" + p.path("port").asText()));
        }
        Set<String> expected = new HashSet<>(Set.of("UDP/53", "TCP/53"));
        kafkaPorts.forEach(p -> expected.add("TCP/" + p));
        assertThat(egress).as("Kafka's bootstrap ports and DNS, nothing else").isEqualTo(expected);
    }

    @Test
    void kubernetesMemoryLeavesRoomForNativeMemoryBesideTheHeap() throws IOException {
        JsonNode resources = container().path("resources");
        long limit = quantity(resources.path("limits").path("memory").asText());
        assertThat(quantity(resources.path("requests").path("memory").asText())).as("requests = limits").isEqualTo(limit);
        String javaOpts = k8sEnv(container()).get("JAVA_OPTS");
        assertThat(javaOpts).as("a fixed heap, not a share of the limit").doesNotContain("RAMPercentage");
        long heap = jvmBytes(jvmOption(javaOpts, "-Xmx"));
        StreamfitConfig cfg = k8sConfig(secretDir());
        long rocksdb = cfg.rocksdbMemoryBytes();
        assertThat(rocksdb).as("rocksdb.memory.bytes bounds RocksDB").isPositive();
        // TensorFlow: one graph per task (every model of a task runs on it), about 3 MiB of native
        // memory each (m = 8, hidden 64, Adam; measured with RSS); its libraries and the JVM's own
        // native memory about 0.5 GiB. At least the tasks of an even share of the partitions must fit.
        int replicas = statefulSet().path("spec").path("replicas").asInt();
        int tasks = (cfg.getInt(StreamfitConfig.TOPICS_PARTITIONS) + replicas - 1) / replicas;
        long graphs = (long) tasks * 3 * MIB;
        long needed = heap + 512 * MIB + rocksdb + graphs;
        assertThat(needed).as("heap %d + native 512 MiB + RocksDB %d + graphs %d within the limit", heap, rocksdb, graphs)
                .isLessThanOrEqualTo(limit);
        // The models in memory live on the heap, as bytes: their budget must leave the rest of the heap room.
        assertThat(cfg.getLong(StreamfitConfig.MODELS_CACHE_MAX_BYTES)).as("models.cache.max.bytes within half the heap")
                .isPositive().isLessThanOrEqualTo(heap / 2);
        // JavaCPP's check of the process's physical memory: above what the pod needs, below its limit.
        long javacpp = jvmBytes(jvmOption(javaOpts, "-Dorg.bytedeco.javacpp.maxPhysicalBytes="));
        assertThat(javacpp).isGreaterThan(needed).isLessThan(limit);
    }

    // ---- Prometheus, alerts, Grafana ---------------------------------------------------------------

    @Test
    void dashboardPanelsUseTheProvisionedDatasourceAndDefinedVariables() throws IOException {
        JsonNode dashboard = DeployFiles.json(DASHBOARD);
        String uid = DeployFiles.yaml(DATASOURCES).path("datasources").get(0).path("uid").asText();
        assertThat(uid).isNotBlank();
        List<JsonNode> panels = DeployFiles.panels(dashboard);
        assertThat(panels).hasSizeGreaterThanOrEqualTo(15);
        Set<Integer> ids = new HashSet<>();
        Set<String> variables = new HashSet<>();
        dashboard.path("templating").path("list").forEach(v -> {
            variables.add(v.path("name").asText());
            assertThat(v.path("datasource").path("uid").asText()).isEqualTo(uid);
        });
        for (JsonNode p : panels) {
            String title = p.path("title").asText();
            assertThat(ids.add(p.path("id").asInt())).as("unique id of %s", title).isTrue();
            assertThat(p.path("datasource").path("uid").asText()).as("datasource of %s", title).isEqualTo(uid);
            assertThat(p.path("targets")).as("queries of %s", title).isNotEmpty();
            for (JsonNode t : p.path("targets")) {
                assertThat(t.path("datasource").path("uid").asText()).as("datasource of %s", title).isEqualTo(uid);
                Matcher m = Pattern.compile("\\$(\\w+)").matcher(t.path("expr").asText());
                while (m.find()) {
                    assertThat(m.group(1)).as("variable in %s", title).matches(v -> v.startsWith("__") || variables.contains(v));
                }
            }
        }
        // The contract's panels are there.
        List<String> titles = panels.stream().map(p -> p.path("title").asText().toLowerCase()).toList();
        for (String expected : List.of("records in", "records out", "dead-letter", "consumer lag", "object rmse", "sum rmse",
                "update latency", "predict latency", "updates per second", "checkpoint size", "checkpoint time",
                "restore", "skipped", "heap", "gc")) {
            assertThat(titles).as("a panel about %s", expected).anyMatch(t -> t.contains(expected));
        }
    }

    @Test
    void alertRulesCoverTheContract() throws IOException {
        Map<String, String> exprByAlert = new HashMap<>();
        for (JsonNode group : DeployFiles.yaml(ALERTS).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String name = rule.path("alert").asText();
                assertThat(rule.path("labels").path("severity").asText()).as("severity of %s", name).isIn("critical", "warning");
                assertThat(rule.path("annotations").path("summary").asText()).as("summary of %s", name).isNotBlank();
                exprByAlert.put(name, rule.path("expr").asText());
            }
        }
        assertThat(exprByAlert).containsOnlyKeys("StreamfitDown", "StreamfitDeadLetterRateHigh",
                "StreamfitPrequentialErrorRising", "StreamfitConsumerLagGrowing", "StreamfitSkippedUpdates");
        assertThat(exprByAlert.get("StreamfitDown")).contains("up{job=\"" + APP_SERVICE + "\"}");
        assertThat(scrapeTargets()).containsKey(APP_SERVICE);
        assertThat(exprByAlert.get("StreamfitDeadLetterRateHigh")).contains("outcome=\"" + StreamfitMetrics.OUTCOME_DEAD_LETTER + "\"");
    }

    @Test
    void everyMetricNameInTheDashboardAndAlertsIsExported() throws IOException {
        Set<String> exported = exportedNames();
        List<DeployFiles.Query> queries = new ArrayList<>(DeployFiles.dashboardQueries());
        queries.addAll(DeployFiles.alertQueries());
        assertThat(queries).hasSizeGreaterThan(20);
        Set<String> unknown = new TreeSet<>();
        for (DeployFiles.Query q : queries) {
            Set<String> names = PromQl.metricNames(q.expr());
            assertThat(names).as("metrics of %s: %s", q.source(), q.expr()).isNotEmpty();
            for (String n : names) {
                boolean known = exported.contains(n) || PRODUCER_NAMES.contains(n) || n.equals("up")
                        || (!n.startsWith("streamfit_") && LIVE_ONLY_PREFIXES.stream().anyMatch(n::startsWith));
                if (!known) {
                    unknown.add(n + " (" + q.source() + ")");
                }
            }
        }
        assertThat(unknown).as("metric names the code does not export").isEmpty();
    }

    @Test
    void promQlNameExtractionSeesThroughFunctionsMatchersAndRanges() {
        assertThat(PromQl.metricNames("histogram_quantile(0.99, sum by (le) (rate(a_bucket{x=~\"b|c\",instance=~\"$instance\"}[$__rate_interval])))"))
                .containsExactly("a_bucket");
        assertThat(PromQl.metricNames("sum(rate(x_total{o=\"d\"}[5m])) / clamp_min(sum(rate(y_total[5m])), 1e-9) > 0.05"))
                .containsExactly("x_total", "y_total");
        assertThat(PromQl.metricNames("avg_over_time(m[10m]) > 1.5 * avg_over_time(m[1h] offset 1h) and deriv(max by (i) (n)[10m:1m]) > 0"))
                .containsExactly("m", "n");
        assertThat(PromQl.metricNames("up{job=\"streamfit\"} == 0")).containsExactly("up");
    }

    /** The exact names a streamfit registry exports, meters exercised once. */
    private static Set<String> exportedNames() {
        PrometheusMeterRegistry registry = Registries.prometheus();
        StreamfitMetrics metrics = new StreamfitMetrics(registry);
        metrics.recordTrained();
        metrics.recordUpdate(1_000_000);
        metrics.recordPredict(1_000_000);
        metrics.recordCheckpoint(1_000_000, 100);
        metrics.recordRestore(1_000_000);
        metrics.recordLabelDelay(1_000);
        // The topology registers the models' memory meters; here as StreamfitTopology.build does.
        metrics.watchModelMemory(() -> 0, 1, () -> 0, () -> 0, () -> 0);
        Set<String> names = new HashSet<>();
        registry.scrape().lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                .forEach(l -> names.add(l.split("[{ ]", 2)[0]));
        registry.close();
        assertThat(names).contains("streamfit_records_total", "streamfit_update_seconds_bucket");
        return names;
    }

    // ---- Kubernetes helpers ----------------------------------------------------------------------

    private static final long MIB = 1024L * 1024;
    private static final String SECRET_USER = "user-from-the-secret";
    private static final String SECRET_PASSWORD = "password-from-the-secret-3c9d";

    @TempDir
    Path tmp;

    private static JsonNode statefulSet() throws IOException {
        return DeployFiles.k8sObjects().get("StatefulSet").get(0);
    }

    private static JsonNode podSpec() throws IOException {
        return statefulSet().path("spec").path("template").path("spec");
    }

    private static JsonNode container() throws IOException {
        return podSpec().path("containers").get(0);
    }

    /** The ConfigMap's properties file, the one the container's --config names. */
    private static String configMapProperties() throws IOException {
        Path config = Path.of(option(texts(container().path("args")), "--config"));
        return DeployFiles.k8sObjects().get("ConfigMap").get(0).path("data").path(config.getFileName().toString()).asText();
    }

    /** Where the container mounts the Secret volume. */
    private static String secretMountPath() throws IOException {
        for (JsonNode v : podSpec().path("volumes")) {
            if (v.has("secret")) {
                return mount(container(), v.path("name").asText()).path("mountPath").asText();
            }
        }
        throw new AssertionError("no Secret volume");
    }

    /**
     * A directory laid out as Kubernetes mounts a Secret with keys username and password: the files
     * in a timestamped folder, {@code ..data} a link to it, and each key a link into {@code ..data}.
     */
    private Path secretDir() throws IOException {
        Path dir = tmp.resolve("secret");
        if (Files.exists(dir)) {
            return dir;
        }
        Path stamped = Files.createDirectories(dir.resolve("..2026_01_01_00_00_00.000000001"));
        Files.writeString(stamped.resolve("username"), SECRET_USER);
        Files.writeString(stamped.resolve("password"), SECRET_PASSWORD);
        Files.createSymbolicLink(dir.resolve("..data"), stamped.getFileName());
        for (String key : List.of("username", "password")) {
            Files.createSymbolicLink(dir.resolve(key), Path.of("..data", key));
        }
        return dir;
    }

    /** The app's configuration in the pod: the ConfigMap's file with the Secret mounted at {@code secretDir}, and the env. */
    private StreamfitConfig k8sConfig(Path secretDir) throws IOException {
        Map<String, String> props = new HashMap<>(DeployFiles.properties(
                configMapProperties().replace(secretMountPath(), secretDir.toString())));
        props.putAll(io.streamfit.app.config.ConfigLoader.envOverrides(k8sEnv(container())));
        return new StreamfitConfig(props);
    }

    /** The value of a JVM option in an options line: {@code -Xmx} gives {@code 1g} for {@code -Xmx1g}. */
    private static String jvmOption(String options, String prefix) {
        for (String o : options.trim().split("\\s+")) {
            if (o.startsWith(prefix)) {
                return o.substring(prefix.length());
            }
        }
        return null;
    }

    /** A JVM size ({@code 1g}, {@code 5632m}, {@code 512k}, bytes) in bytes. */
    private static long jvmBytes(String size) {
        assertThat(size).as("a size").isNotNull();
        char unit = Character.toLowerCase(size.charAt(size.length() - 1));
        int shift = switch (unit) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        return Long.parseLong(shift == 0 ? size : size.substring(0, size.length() - 1)) << shift;
    }

    /** A Kubernetes quantity in binary units ({@code 6Gi}, {@code 512Mi}) in bytes. */
    private static long quantity(String q) {
        Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi)?").matcher(q);
        assertThat(m.matches()).as("quantity %s", q).isTrue();
        int shift = m.group(2) == null ? 0 : switch (m.group(2)) {
            case "Ki" -> 10;
            case "Mi" -> 20;
            default -> 30;
        };
        return Long.parseLong(m.group(1)) << shift;
    }

    /** A container's env, the literal values (valueFrom entries are left out). */
    private static Map<String, String> k8sEnv(JsonNode container) {
        Map<String, String> out = new HashMap<>();
        container.path("env").forEach(e -> {
            if (e.has("value")) {
                out.put(e.path("name").asText(), e.path("value").asText());
            }
        });
        return out;
    }

    private static List<Map.Entry<String, JsonNode>> fields(JsonNode n) {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        n.fields().forEachRemaining(out::add);
        return out;
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** Job name to its single static target in prometheus.yml. */
    private static Map<String, String> scrapeTargets() throws IOException {
        Map<String, String> out = new HashMap<>();
        for (JsonNode job : DeployFiles.yaml(PROMETHEUS).path("scrape_configs")) {
            JsonNode targets = job.path("static_configs").get(0).path("targets");
            assertThat(targets).hasSize(1);
            out.put(job.path("job_name").asText(), targets.get(0).asText());
        }
        return out;
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<String> command(JsonNode service) {
        JsonNode c = service.path("command");
        return c.isArray() ? texts(c) : List.of(c.asText().split("\\s+"));
    }

    private static Map<String, Object> env(JsonNode service) {
        Map<String, Object> out = new HashMap<>();
        service.path("environment").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static Map<String, String> toStringMap(Map<String, Object> m) {
        Map<String, String> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }

    /** The value after {@code name} in an argument list, or null. */
    private static String option(List<String> args, String name) {
        int i = args.indexOf(name);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : null;
    }

    private static JsonNode mount(JsonNode container, String volumeName) {
        for (JsonNode m : container.path("volumeMounts")) {
            if (m.path("name").asText().equals(volumeName)) {
                return m;
            }
        }
        throw new AssertionError("no volumeMount named " + volumeName + " in " + container);
    }

    private static JsonNode volume(JsonNode pod, String name) {
        for (JsonNode v : pod.path("spec").path("volumes")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        throw new AssertionError("no volume named " + name);
    }
}
