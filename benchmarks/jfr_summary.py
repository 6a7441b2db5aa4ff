#!/usr/bin/env python3
"""Where the stream thread's time goes, from a JFR recording of `benchmarks/run.sh e2e`.

Usage: benchmarks/jfr_summary.py RECORDING.jfr [THREAD_SUBSTRING] [--within REGEX ...]

Reads the execution samples (Java code) and native-method samples (TensorFlow, RocksDB and
socket calls are native) of the threads whose name contains THREAD_SUBSTRING (default
"StreamThread"), puts each sample in the first category whose pattern matches a frame, walking
from the top of the stack down, and prints the share of samples per category and the top frames.
With --within, also the share of samples that have a frame matching each REGEX anywhere on the
stack (time spent in that method and everything it calls), e.g.
--within 'PartitionGroup\.readyToProcess' 'String\.format' 'RecordAccumulator\.append'.
"""
import collections
import re
import subprocess
import sys

# The frame nearest the top of the stack that matches decides; within one frame, the first pattern.
CATEGORIES = [
    ("waiting in poll / network select", r"sun\.nio\.ch\.|org\.apache\.kafka\.common\.network\."),
    ("tensorflow session run (predict + train)", r"org\.tensorflow\.(Session|internal\.c_api)"),
    ("tensorflow feeds / fetches (tensors, ndarray)", r"org\.tensorflow\.(ndarray|types|RawTensor|Tensor|internal\.buffer)"),
    ("model state export (checkpoint bytes)", r"io\.streamfit\.model\.(GraphCheckpoint|SharedWeightRegressor\.exportState)"),
    ("streamfit JSON decode", r"io\.streamfit\.schemas\.(Json\.parse|JsonCursor|TimestepJson|TimestepFastJson|ShortDecimal|TimestepSerde)"),
    ("streamfit output encode (JSON/Avro)", r"io\.streamfit\.schemas\.|org\.apache\.avro\."),
    ("state store (RocksDB, cache, changelog)", r"org\.rocksdb\.|org\.apache\.kafka\.streams\.state\."),
    ("other streamfit (processor, metrics)", r"io\.streamfit\."),
    ("kafka producer / transactions", r"org\.apache\.kafka\.clients\.producer\.|org\.apache\.kafka\.streams\.processor\.internals\.(RecordCollector|StreamsProducer)"),
    ("kafka consumer / poll", r"org\.apache\.kafka\.clients\.consumer\."),
    ("kafka streams runtime", r"org\.apache\.kafka\."),
]


def samples(path, thread):
    out = subprocess.run(["jfr", "print", "--stack-depth", "256", "--events", "jdk.ExecutionSample,jdk.NativeMethodSample", path],
                         check=True, capture_output=True, text=True).stdout
    for event in re.split(r"\njdk\.(?:ExecutionSample|NativeMethodSample) \{", out)[1:]:
        m = re.search(r'(?:sampledThread|eventThread) = "([^"]*)"', event)
        # The stream thread's producer has a network thread named after it
        # ("kafka-producer-network-thread | <app>-StreamThread-1-producer"): not the stream thread.
        if not m or thread not in m.group(1) or "producer-network-thread" in m.group(1):
            continue
        frames = re.findall(r"^\s+([\w$.<>]+\(.*?\))\s+line:", event, re.M)
        yield frames


def main():
    args = sys.argv[1:]
    within = []
    if "--within" in args:
        at = args.index("--within")
        within = args[at + 1:]
        args = args[:at]
    if not args:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    thread = args[1] if len(args) > 1 else "StreamThread"
    by_category = collections.Counter()
    top = collections.Counter()
    inside = collections.Counter()
    n = 0
    for frames in samples(args[0], thread):
        n += 1
        for pattern in within:
            if any(re.search(pattern, f) for f in frames):
                inside[pattern] += 1
        category = "other"
        for f in frames:
            hit = next((name for name, pattern in CATEGORIES if re.match(pattern, f)), None)
            if hit:
                category = hit
                break
        by_category[category] += 1
        if frames:
            top[frames[0]] += 1
    if n == 0:
        print("no samples of threads matching '%s'" % thread)
        sys.exit(1)
    print("%d samples of threads matching '%s'" % (n, thread))
    for name, c in by_category.most_common():
        print("%5.1f%%  %s" % (100.0 * c / n, name))
    print("\ntop frames:")
    for f, c in top.most_common(12):
        print("%5.1f%%  %s" % (100.0 * c / n, f))
    if within:
        print("\nsamples with a matching frame anywhere on the stack:")
        for pattern in within:
            print("%5.1f%%  %s" % (100.0 * inside[pattern] / n, pattern))


if __name__ == "__main__":
    main()
