#!/usr/bin/env bash
# Step and checkpoint-export cost of the regressor (see CheckpointProbe.java). Builds only the
# model module, then runs the probe from source:
#   benchmarks/probe/checkpoint.sh [KxMxHxT ...] [--steps N]
# PROBE_MODEL_CLASSES=DIR runs it against another build of the model module's classes (e.g. an
# older commit's, for a before/after comparison) and skips the build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CP_FILE="$ROOT/model/target/probe-classpath.txt"
if [[ -z "${PROBE_MODEL_CLASSES:-}" || ! -f "$CP_FILE" ]]; then
  (cd "$ROOT" && mvn -B -q -pl model -DskipTests package \
      && mvn -B -q -pl model dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$CP_FILE") >&2
fi
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -Xmx1g \
    -cp "${PROBE_MODEL_CLASSES:-$ROOT/model/target/classes}:$(cat "$CP_FILE")" \
    "$ROOT/benchmarks/probe/CheckpointProbe.java" "$@"
