#!/usr/bin/env bash
# scikit-learn's digits through streamfit, end to end, and the held-out accuracy it reaches:
#   1. fetches the data (fetch.sh: Debian's python3-sklearn package, nothing installed, nothing committed);
#   2. shuffles the 1797 images with a fixed seed and splits 80/20 (the file's own order puts
#      other writers in its last fifth, so an unshuffled split would test on unseen handwriting);
#   3. produces the 80% as labelled records to an in-JVM Kafka broker;
#   4. `streamfit backfill --epochs 5` trains softmax regression (model.kind=classifier, no hidden
#      layer, Adam) on them, shuffle buffer on;
#   5. starts the service, streams the other 20% through it without labels, and scores its
#      object-predictions against the held-out labels.
# Steps 2-5 are DigitsIT (streams-app/src/test/java/io/streamfit/app/it/DigitsIT.java), which also
# asserts the result (held-out accuracy >= 95%). It runs them twice: with the pixels standardized
# before they are produced, and with the raw pixels and features.scaling=standard (>= 95.4%).
# The summary lines are printed at the end.
#
#   examples/digits/run.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CSV="$("$ROOT/examples/digits/fetch.sh")"
cd "$ROOT"
mvn -B -q -pl streams-app -am verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
    -Dit.test=DigitsIT -Dfailsafe.failIfNoSpecifiedTests=false -Dstreamfit.digits.csv="$CSV"
cat streams-app/target/digits-result.txt streams-app/target/digits-scaled-result.txt
