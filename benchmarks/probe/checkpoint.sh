#!/usr/bin/env bash
# Step and checkpoint-export cost of the regressor (see checkpoint/CheckpointProbe.java), for one
# or more builds of the model module in one JVM, interleaved:
#   benchmarks/probe/checkpoint.sh [CLASSES ...] [KxMxHxT ...] [--steps N]
# Without CLASSES it builds this tree's model module and measures it. Before/after a change:
#   git worktree add /tmp/base <commit> && (cd /tmp/base && mvn -B -q -pl model -DskipTests package)
#   benchmarks/probe/checkpoint.sh /tmp/base/model/target/classes model/target/classes
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CP_FILE="$ROOT/model/target/probe-classpath.txt"
BUILDS=()
for a in "$@"; do
  [[ -d "$a" ]] && BUILDS+=("$(cd "$a" && pwd)")
done
if [[ ${#BUILDS[@]} -eq 0 ]]; then
  (cd "$ROOT" && mvn -B -q -pl model -DskipTests package) >&2
  set -- "$ROOT/model/target/classes" "$@"
  BUILDS=("$ROOT/model/target/classes")
fi
if [[ ! -f "$CP_FILE" ]]; then
  (cd "$ROOT" && mvn -B -q -pl model dependency:build-classpath -Dmdep.includeScope=runtime \
      -Dmdep.outputFile="$CP_FILE") >&2
fi
OUT="$ROOT/benchmarks/target/probe-checkpoint"
rm -rf "$OUT" && mkdir -p "$OUT/main" "$OUT/runner"
javac -d "$OUT/main" "$ROOT/benchmarks/probe/checkpoint/CheckpointProbe.java"
# The runner uses only the model's public API; compiled against the last build, loaded with each.
javac -cp "${BUILDS[-1]}:$(cat "$CP_FILE")" -d "$OUT/runner" "$ROOT/benchmarks/probe/checkpoint/CheckpointRunner.java"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -Xmx1g -Dprobe.runner.dir="$OUT/runner" \
    -cp "$OUT/main:$(cat "$CP_FILE")" CheckpointProbe "$@"
