#!/usr/bin/env bash
# What writing fresh memory costs on this machine: writes MB megabytes of zeros to a file in DIR
# with dd, deletes it, and does that ROUNDS times, printing each write's wall and system time.
# On a VM whose host takes back the memory the guest frees (a virtio balloon with free page
# reporting), the first write into memory the guest has not touched lately costs several times
# the next ones: a broker that writes every byte it receives pays that per byte
# (docs/performance.md, seventh pass).
#
#   benchmarks/vm_memory.sh [MB] [DIR] [ROUNDS]     defaults: 2000 /tmp 4 (DIR=/dev/shm: tmpfs)
set -euo pipefail
mb=${1:-2000}; dir=${2:-/tmp}; rounds=${3:-4}
file="$dir/streamfit-vm-memory.$$"
trap 'rm -f "$file"' EXIT
for i in $(seq 1 "$rounds"); do
  /usr/bin/time -f "write $i: ${mb} MB to $dir in %e s wall, %S s system" \
    dd if=/dev/zero of="$file" bs=1M count="$mb" status=none
  rm -f "$file"
done
