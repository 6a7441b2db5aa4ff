#!/usr/bin/env bash
# Step and checkpoint-export cost of two builds of the model module in one JVM, interleaved (see
# ab/CheckpointAB.java); e.g. before/after a change:
#   git worktree add /tmp/base <commit> && (cd /tmp/base && mvn -B -q -pl model -DskipTests package)
#   benchmarks/probe/checkpoint-ab.sh /tmp/base/model/target/classes model/target/classes [KxMxHxT ...] [--steps N]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CP_FILE="$ROOT/model/target/probe-classpath.txt"
if [[ ! -f "$CP_FILE" ]]; then
  (cd "$ROOT" && mvn -B -q -pl model dependency:build-classpath -Dmdep.includeScope=runtime \
      -Dmdep.outputFile="$CP_FILE") >&2
fi
A="$(cd "$1" && pwd)"; B="$(cd "$2" && pwd)"; shift 2
OUT="$ROOT/benchmarks/target/probe-ab"
rm -rf "$OUT" && mkdir -p "$OUT/main" "$OUT/runner"
javac -d "$OUT/main" "$ROOT/benchmarks/probe/ab/CheckpointAB.java"
javac -cp "$B:$(cat "$CP_FILE")" -d "$OUT/runner" "$ROOT/benchmarks/probe/ab/CheckpointABRunner.java"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -Xmx1g -Dprobe.runner.dir="$OUT/runner" \
    -cp "$OUT/main:$(cat "$CP_FILE")" CheckpointAB "$A" "$B" "$@"
