#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: builds with the gpu profile (TensorFlow's linux-x86_64-gpu
# natives), checks that TensorFlow ran the regressor's MatMuls on the GPU, and runs the JMH update
# step at 4096x64x512x1 and 32x16x64x1 (KxMxHxT) on the GPU and on the CPU, within 8 minutes.
#
#   benchmarks/gpu.sh             the real thing (needs nvidia-smi and a CUDA driver)
#   benchmarks/gpu.sh --cpu-only  dry run of every step without a GPU: CPU build, placement check
#                                 expecting the CPU, the same JMH runs on the CPU only
#   --no-build                    use the last build of benchmarks/run.sh (a machine without
#                                 Maven Central access: build there first, then copy the tree)
# Env: BENCH_THREADS (default 1) intra-op threads of both engines in the CPU run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CPU_ONLY=0
BUILD=1
for a in "$@"; do
  case "$a" in
    --cpu-only) CPU_ONLY=1 ;;
    --no-build) BUILD=0 ;;
    *) sed -n '2,12p' "$0" >&2; exit 64 ;;
  esac
done

BUDGET=480   # seconds for everything, build included
SECONDS=0
left() { echo $(( BUDGET - SECONDS )); }
# A timeout for the next step: what is left of the budget (divided by $1), never 0 (no limit).
limit() {
  local l=$(( (BUDGET - SECONDS) / ${1:-1} ))
  if (( l < 5 )); then echo "gpu.sh: the 8-minute budget is spent" >&2; exit 124; fi
  echo "$l"
}
step() { echo; echo "== $* ($(left) s left)"; }

# Short JMH settings: 2 x 1 s warm-up, 3 x 1 s measurement, one fork per case.
JMH=(-wi 2 -w 1s -i 3 -r 1s -f 1 -p shape=4096x64x512x1,32x16x64x1 -p "threads=${BENCH_THREADS:-1}")

if (( CPU_ONLY == 0 )); then
  step "GPU"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  export BENCH_MAVEN_ARGS="${BENCH_MAVEN_ARGS:-} -Pgpu"
fi

if (( BUILD == 1 )); then
  step "build"
  # Force a rebuild: the last build may hold the other profile's TensorFlow natives.
  rm -f "$HERE/target/.bench-built"
  timeout "$(limit)" "$HERE/run.sh" build
fi
export BENCH_SKIP_BUILD=1

step "placement"
if (( CPU_ONLY == 0 )); then
  timeout 60 "$HERE/run.sh" gpu-check --expect gpu
else
  timeout 60 "$HERE/run.sh" gpu-check --expect cpu
fi

if (( CPU_ONLY == 0 )); then
  step "JMH update step on the GPU (streamfit)"
  timeout "$(limit 2)" "$HERE/run.sh" step "${JMH[@]}" -p engine=tensorflow
fi

step "JMH update step on the CPU (streamfit and DJL/PyTorch)"
# Hidden from CUDA, the GPU build of TensorFlow runs on the CPU; PyTorch here is the CPU build anyway.
CUDA_VISIBLE_DEVICES="" timeout "$(limit)" "$HERE/run.sh" step "${JMH[@]}" -p engine=tensorflow,pytorch

echo; echo "gpu.sh done in ${SECONDS} s"
