#!/usr/bin/env bash
# A/B of one module's jar in the end-to-end benchmark: streamfit (topology c) only, with the
# module's jar from before a change and from after it put first on the classpath, alternating
# before/after N times, so that a slow minute of the VM falls on both.
#
#   benchmarks/ab.sh BEFORE.jar AFTER.jar [N] [-- EndToEnd options]
#
# Build the benchmarks first (benchmarks/run.sh build) and copy the module's jar aside before and
# after the change, e.g. cp benchmarks/target/lib/streamfit-app-0.1.0-SNAPSHOT.jar /tmp/app-before.jar.
# AB_BEFORE_ARGS / AB_AFTER_ARGS add options to one side only: the same jar twice with
# AB_BEFORE_ARGS="--set max.task.idle.ms=0" compares a setting against its default.
# Default options: --records 60000 --partitions 6 --guarantees exactly_once_v2 --batch-timesteps 64
# --latency-seconds 0 --number-format short --output-objects per-object,per-timestep --rounds 3
# --warm-up-rounds 2. Prints per run the counted rounds' rates (layout/round: records/s) and, per
# drain in order (warm-up rounds first, layouts interleaved), the stream threads' CPU per record
# and the decode helper's.
set -euo pipefail
script=$(realpath "$0")
if [[ $# -lt 2 ]]; then
  sed -n '2,16p' "$script" | sed 's/^# \{0,1\}//'
  exit 64
fi
before=$(realpath "$1"); after=$(realpath "$2"); shift 2
cd "$(dirname "$script")"
n=2
if [[ $# -gt 0 && $1 != "--" ]]; then n=$1; shift; fi
[[ $# -gt 0 && $1 == "--" ]] && shift
args=("$@")
if [[ ${#args[@]} -eq 0 ]]; then
  args=(--records 60000 --partitions 6 --guarantees exactly_once_v2 --batch-timesteps 64 --latency-seconds 0
        --number-format short --output-objects per-object,per-timestep --rounds 3 --warm-up-rounds 2)
fi
[[ -f target/streamfit-benchmarks.jar ]] || { echo "benchmarks not built: run benchmarks/run.sh build" >&2; exit 1; }
for i in $(seq 1 "$n"); do
  for side in before after; do
    jar=$before; extra=${AB_BEFORE_ARGS:-}
    [[ $side == after ]] && { jar=$after; extra=${AB_AFTER_ARGS:-}; }
    # shellcheck disable=SC2086 # the side's options split on spaces, as typed
    out=$(TF_CPP_MIN_LOG_LEVEL=2 java -Xmx4g -cp "target/streamfit-benchmarks.jar:$jar:target/lib/*" \
      io.streamfit.bench.EndToEnd --topologies c "${args[@]}" $extra 2>&1)
    # The closing table's rows of c carry objects/s as their last field.
    echo "== $side, run $i: $(awk '$1 == "c" && $NF ~ /^[0-9]+$/ {print $5 "/" $6 ": " $(NF-1)}' <<<"$out" \
      | paste -sd ' ' -)"
    echo "   CPU us a record (stream + helper): $(grep -E '^ +stream thread: .*CPU [0-9.]+ us a record' <<<"$out" \
      | sed -E 's/.*; CPU ([0-9.]+) us a record(; decode helper CPU ([0-9.]+) us a record)?.*/\1+\3/' \
      | paste -sd ' ' -)"
  done
done
