#!/usr/bin/env bash
# Builds the benchmarks module (when sources changed) and runs one benchmark.
#
#   benchmarks/run.sh step [JMH options]   update step, streamfit (TF Java) vs DJL/PyTorch; e.g.
#                                          benchmarks/run.sh step -p shape=32x16x64x1 -wi 1 -i 3
#   benchmarks/run.sh profile [SHAPE ...] [--steps N] [--threads N]
#                                          where a streamfit step's time goes (wall medians, TF step stats by op)
#   benchmarks/run.sh e2e [options]        end-to-end drain rate (a, b, c) and latency; --help lists options
#   benchmarks/run.sh restore [options]    checkpoint bytes per commit, restore time of a ~1 MB model
#   benchmarks/run.sh backfill [options]  streamfit backfill of 100k and 1M one-hot instances: time, memory
#   benchmarks/run.sh gpu-check [--expect cpu|gpu]   which device TF ran the regressor's ops on
#   benchmarks/run.sh http [options]       GET /models pages with 300,000 models at -Xmx1g; /health latency
#                                          under slow and greedy clients; --help lists options
#   benchmarks/run.sh keys [options]       many series keys: the service's RSS/heap at 10k, 100k and 1M keys
#                                          (child JVM, -Xmx1g), a new key's set-up time, drain rate of 100k keys
#                                          vs 8, global-scope checkpoint size; ~13 min on 2 cores (--keys
#                                          10000,100000: ~6 min); --help lists options
#   benchmarks/run.sh decode [JMH options] decoding one input record (k=32, m=16) into the batch buffer:
#                                          streamfit's binder vs Jackson data binding, tree, direct
#   benchmarks/run.sh encode [JMH options] writing one input's outputs (k=32) as JSON: per-object vs per-timestep
#   benchmarks/run.sh build               only (re)build
#   benchmarks/run.sh smoke                every benchmark once, briefly (proves they run; numbers are noise)
#
# Env: BENCH_SKIP_BUILD=1 uses the last build; BENCH_MAVEN_ARGS adds Maven flags (e.g. -Pgpu);
#      BENCH_JAVA_OPTS sets the JVM flags of the e2e/gpu-check JVM (default -Xmx4g); in it,
#      -Dbench.broker.KEY=VALUE sets a key of the e2e's in-JVM broker (e.g. num.io.threads=2).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$HERE/target/streamfit-benchmarks.jar"
LIB="$HERE/target/lib"
STAMP="$HERE/target/.bench-built"

needs_build() {
  [[ -f "$JAR" && -d "$LIB" && -f "$STAMP" ]] || return 0
  [[ -n "$(find "$ROOT" -path "$ROOT/.git" -prune -o \( -name pom.xml -o -path '*/src/main/*' \) -type f \
      -newer "$STAMP" -print -quit 2>/dev/null)" ]]
}

if [[ "${BENCH_SKIP_BUILD:-}" != "1" ]] && needs_build; then
  echo "benchmarks: building ..." >&2
  # A profile switch (CPU/GPU TensorFlow natives) must not leave the other native jar behind.
  rm -rf "$LIB"
  (cd "$ROOT" && mvn -B -q -pl benchmarks -am -DskipTests ${BENCH_MAVEN_ARGS:-} package) >&2
  touch "$STAMP"
fi

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
CP="$JAR:$LIB/*"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
JOPTS=(${BENCH_JAVA_OPTS:--Xmx4g} -Dai.djl.offline=true)

cmd="${1:-}"
shift || true
case "$cmd" in
  build)     exit 0 ;;
  step)      exec "$JAVA" -Xmx1g -cp "$CP" io.streamfit.bench.StepBench "$@" ;;
  profile)   exec "$JAVA" -Xmx1g -cp "$CP" io.streamfit.bench.StepProfile "$@" ;;
  e2e)       exec "$JAVA" "${JOPTS[@]}" -cp "$CP" io.streamfit.bench.EndToEnd "$@" ;;
  restore)   exec "$JAVA" "${JOPTS[@]}" -cp "$CP" io.streamfit.bench.RestoreBench "$@" ;;
  backfill)  exec "$JAVA" "${JOPTS[@]}" -cp "$CP" io.streamfit.bench.BackfillBench "$@" ;;
  gpu-check) exec "$JAVA" "${JOPTS[@]}" -cp "$CP" io.streamfit.bench.GpuCheck "$@" ;;
  http)      exec "$JAVA" -Xmx1g -cp "$CP" io.streamfit.bench.HttpBench "$@" ;;
  decode)    exec "$JAVA" -Xmx1g -cp "$CP" org.openjdk.jmh.Main io.streamfit.bench.DecodeBenchmark "$@" ;;
  encode)    exec "$JAVA" -Xmx1g -cp "$CP" org.openjdk.jmh.Main io.streamfit.bench.EncodeBenchmark "$@" ;;
  keys)      exec "$JAVA" "${JOPTS[@]}" -cp "$CP" io.streamfit.bench.KeysBench "$@" ;;
  smoke)
    "$JAVA" -Xmx1g -cp "$CP" io.streamfit.bench.StepBench -p shape=32x16x64x1 -wi 1 -w 1s -i 2 -r 1s
    "$JAVA" "${JOPTS[@]}" -cp "$CP" io.streamfit.bench.EndToEnd --records 2000 --warm-up-rounds 0 --latency-seconds 5 --latency-warm-up-seconds 5 \
        --latency-warm-up-max-seconds 10 \
        --guarantees exactly_once_v2
    "$JAVA" -Xmx1g -cp "$CP" io.streamfit.bench.HttpBench --models 5000 --slow 10 --greedy 2 --probes 20
    "$JAVA" "${JOPTS[@]}" -cp "$CP" io.streamfit.bench.KeysBench --keys 200,500 --iterations 50 --own-graphs 1 \
        --drain-records 400 --drain-keys 200 --global-series 8,200
    "$JAVA" -Xmx1g -cp "$CP" org.openjdk.jmh.Main io.streamfit.bench.DecodeBenchmark -wi 1 -w 1s -i 1 -r 1s
    "$JAVA" -Xmx1g -cp "$CP" org.openjdk.jmh.Main io.streamfit.bench.EncodeBenchmark -wi 1 -w 1s -i 1 -r 1s
    "$JAVA" "${JOPTS[@]}" -cp "$CP" io.streamfit.bench.GpuCheck --expect cpu ;;
  *) sed -n '2,26p' "$0" >&2; exit 64 ;;
esac
