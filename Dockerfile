# syntax=docker/dockerfile:1
# streamfit image. CPU (default):  docker build -t streamfit .
#                  GPU (CUDA 12):  docker build --build-arg VARIANT=gpu -t streamfit:gpu .
# Runs `streamfit run --config /etc/streamfit/streamfit.properties` as a non-root user; HTTP on 8080.
# The image has the service only (streams-app: run, export, backfill). The dev tools (demo, broker,
# produce, ...; the devtools module, with the embedded Kafka broker) are the target `devtools`:
#                  docker build --target devtools -t streamfit-devtools .
ARG VARIANT=cpu
# TensorFlow Java 1.1.0 is TensorFlow 2.18, built against CUDA 12.5 and cuDNN 9.
ARG CUDA_IMAGE=nvidia/cuda:12.5.1-cudnn-runtime-ubuntu22.04

# ---- build -------------------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
ARG VARIANT
# What `streamfit --version` prints as the commit: docker build --build-arg GIT_COMMIT=$(git rev-parse --short=12 HEAD)
ARG GIT_COMMIT=unknown
WORKDIR /src
# An explicit local repository: the cache layer below must land in the image layer, not in a volume.
ENV MAVEN_ARGS="-B -Dmaven.repo.local=/m2"
RUN case "$VARIANT" in cpu|gpu) ;; *) echo "VARIANT must be cpu or gpu, got '$VARIANT'" >&2; exit 1 ;; esac

# Dependency-cache layer: only the POMs and the Avro schemas (the schemas module generates its
# classes from them). It is rebuilt only when one of these changes, not on every source edit.
# Maven reads every module of the root POM, so all their POMs are here; -pl streams-app -am builds
# the service and what it needs (devkit too: the broker of streams-app's tests, test scope only).
COPY pom.xml ./
COPY schemas/pom.xml schemas/
COPY schemas/src/main/avro schemas/src/main/avro
COPY model/pom.xml model/
COPY devkit/pom.xml devkit/
COPY streams-app/pom.xml streams-app/
COPY devtools/pom.xml devtools/
COPY benchmarks/pom.xml benchmarks/
# The schema registry of the tests: a module only when tests run (profile registry-for-tests), so
# these -DskipTests builds never read it; its POM is here all the same, like every module's.
COPY test-registry/pom.xml test-registry/
RUN mvn $( [ "$VARIANT" = gpu ] && echo -Pgpu ) -q -pl streams-app -am -DskipTests package \
    && rm -rf schemas/target model/target devkit/target streams-app/target

COPY schemas schemas
COPY model model
COPY devkit devkit
COPY streams-app streams-app
RUN mvn $( [ "$VARIANT" = gpu ] && echo -Pgpu ) -Dstreamfit.git.commit="$GIT_COMMIT" -pl streams-app -am -DskipTests package \
    && mkdir -p /out \
    && cp streams-app/target/streamfit-app.jar /out/ \
    && cp -r streams-app/target/lib /out/lib

# ---- build of the dev tools (only for the target devtools) ------------------------------------
FROM build AS build-devtools
ARG VARIANT
ARG GIT_COMMIT=unknown
COPY devtools devtools
RUN mvn $( [ "$VARIANT" = gpu ] && echo -Pgpu ) -Dstreamfit.git.commit="$GIT_COMMIT" -pl devtools -am -DskipTests package \
    && mkdir -p /out-devtools \
    && cp devtools/target/streamfit-devtools.jar /out-devtools/ \
    && cp -r devtools/target/lib /out-devtools/lib

# ---- runtime bases -----------------------------------------------------------------------------
FROM eclipse-temurin:17-jre AS runtime-cpu

FROM ${CUDA_IMAGE} AS runtime-gpu
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# ---- dev tools: `streamfit produce` of the compose stack (docker build --target devtools) -------
# hadolint ignore=DL3006
FROM runtime-${VARIANT} AS devtools
COPY --from=build-devtools /out-devtools/lib /app/lib
COPY --from=build-devtools /out-devtools/streamfit-devtools.jar /app/streamfit-devtools.jar
ENV TF_CPP_MIN_LOG_LEVEL=2 \
    MALLOC_ARENA_MAX=2 \
    JAVA_OPTS="-XX:MaxRAMPercentage=75"
# The producer keeps no state, so an unnamed non-root user does.
USER 10001:10001
ENTRYPOINT ["sh", "-c", "exec java -XX:+ExitOnOutOfMemoryError $JAVA_OPTS -cp '/app/streamfit-devtools.jar:/app/lib/*' io.streamfit.devtools.DevCli \"$@\"", "streamfit"]
CMD ["--help"]

# ---- runtime (the default target: the last stage) ----------------------------------------------
# hadolint ignore=DL3006
FROM runtime-${VARIANT} AS runtime
# curl for the HEALTHCHECK, where the base image lacks it.
RUN if ! command -v curl >/dev/null 2>&1; then \
      apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
    && groupadd --system --gid 10001 streamfit \
    && useradd --system --uid 10001 --gid streamfit --home-dir /home/streamfit --create-home streamfit \
    && mkdir -p /var/lib/streamfit/state /etc/streamfit \
    && chown -R streamfit:streamfit /var/lib/streamfit

COPY --from=build /out/lib /app/lib
COPY --from=build /out/streamfit-app.jar /app/streamfit-app.jar
COPY deploy/config/streamfit.properties /etc/streamfit/streamfit.properties

# HTTP must listen on all interfaces in a container (the app's default is 127.0.0.1).
# STREAMFIT_STATE_DIR sets state.dir; mount a volume there so a restart restores from local disk.
# Besides the state directory the JVM writes only to /tmp: JavaCPP unpacks TensorFlow's native
# libraries there (cachedir, instead of ~/.javacpp), RocksDB its JNI library, the JVM its perf
# data; so the image runs with a read-only root file system and a writable /tmp (README, "The image").
ENV STREAMFIT_HTTP_HOST=0.0.0.0 \
    STREAMFIT_STATE_DIR=/var/lib/streamfit/state \
    TF_CPP_MIN_LOG_LEVEL=2 \
    MALLOC_ARENA_MAX=2 \
    JAVA_OPTS="-XX:MaxRAMPercentage=75 -Djava.io.tmpdir=/tmp -Dorg.bytedeco.javacpp.cachedir=/tmp/javacpp"

USER 10001:10001
WORKDIR /home/streamfit
EXPOSE 8080
# The first start loads TensorFlow and may restore models: give it time before counting failures.
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${STREAMFIT_HTTP_PORT:-8080}/health" >/dev/null || exit 1

# exec: java is PID 1's replacement and gets SIGTERM, so the app commits and closes cleanly.
# -XX:+ExitOnOutOfMemoryError, outside JAVA_OPTS so that overriding those keeps it: after an
# OutOfMemoryError the JVM exits and the orchestrator restarts it, instead of running on with a
# dead stream thread and a half-working process.
ENTRYPOINT ["sh", "-c", "exec java -XX:+ExitOnOutOfMemoryError $JAVA_OPTS -cp '/app/streamfit-app.jar:/app/lib/*' io.streamfit.app.cli.StreamfitCli \"$@\"", "streamfit"]
CMD ["run", "--config", "/etc/streamfit/streamfit.properties"]
