#!/usr/bin/env bash
# Fetches scikit-learn's digits data set (1797 8x8 images, 64 pixel values 0..16 and the digit per
# CSV row) from Debian's python3-sklearn package, without installing anything, and prints the path
# of digits.csv.gz. The data is not ours to commit: it is fetched into a cache.
#
#   examples/digits/fetch.sh [CACHE_DIR]     default: ${XDG_CACHE_HOME:-~/.cache}/streamfit/digits
set -euo pipefail

CACHE="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/streamfit/digits}"
CSV="$CACHE/digits.csv.gz"
if [[ -s "$CSV" ]]; then
  echo "$CSV"
  exit 0
fi
mkdir -p "$CACHE"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# apt-get download needs no root and installs nothing; it only needs the package lists.
(cd "$WORK" && apt-get download python3-sklearn >/dev/null 2>"$WORK/apt.log") || {
  echo "fetch.sh: 'apt-get download python3-sklearn' failed (no Debian package lists? try 'apt-get update'):" >&2
  cat "$WORK/apt.log" >&2
  exit 1
}
dpkg-deb -x "$WORK"/python3-sklearn_*.deb "$WORK/x"
FOUND="$(find "$WORK/x" -path '*sklearn/datasets/data/digits.csv.gz' -print -quit)"
if [[ -z "$FOUND" ]]; then
  echo "fetch.sh: digits.csv.gz not found in the python3-sklearn package" >&2
  exit 1
fi
cp "$FOUND" "$CSV.tmp" && mv "$CSV.tmp" "$CSV"
echo "$CSV"
