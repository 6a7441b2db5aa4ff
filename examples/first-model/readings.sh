#!/usr/bin/env bash
# Hourly electricity readings of the flats of two buildings, as streamfit's input records: one
# line per building and hour, `key|value` for `kcat -K '|'`. Every flat (object) has m = 4
# features: outside temperature (scaled), the hour of day as sine and cosine, and the flat's floor
# area (scaled). Its target is its own meter reading; sumTarget is the building's main meter.
# The usage rises with the cold and with the floor area, and peaks in the evening, plus noise:
# a small network learns it within a few hundred hours (ExampleConfigTest checks that it does).
#
#   examples/first-model/readings.sh [HOURS] [FIRST_HOUR] | kcat -b localhost:9092 -P -t meter-readings -K '|'
#
# Deterministic (a fixed seed), so two runs send the same readings. FIRST_HOUR lets a second run
# continue where the first stopped: timesteps must increase per series.
set -euo pipefail
HOURS="${1:-2000}"
FIRST="${2:-1}"
awk -v hours="$HOURS" -v first="$FIRST" 'BEGIN {
  srand(42)
  split("0.6 0.9 1.2 0.75 1.5", areaA, " ")        # building-a: 5 flats, floor area / 100 m2
  split("0.5 0.8 1.1", areaB, " ")                 # building-b: 3 flats
  pi = atan2(0, -1)
  for (t = first; t < first + hours; t++) {
    hour = t % 24
    temp = 10 + 6 * sin(2 * pi * t / (24 * 30)) + 3 * sin(2 * pi * (hour - 9) / 24) + rand() - 0.5
    s = sin(2 * pi * hour / 24); c = cos(2 * pi * hour / 24)
    line("building-a", t, temp, s, c, hour, areaA, 5)
    line("building-b", t, temp, s, c, hour, areaB, 3)
  }
}
function usage(temp, hour, area,   heat, evening) {
  heat = temp < 16 ? (16 - temp) / 10 : 0
  evening = exp(-((hour - 19) ^ 2) / 8)
  return area * (0.5 + 0.6 * heat + 0.8 * evening) + 0.05 * (rand() - 0.5)
}
function line(building, t, temp, s, c, hour, areas, k,   i, y, sum, objs) {
  sum = 0; objs = ""
  for (i = 1; i <= k; i++) {
    y = usage(temp, hour, areas[i])
    sum += y
    objs = objs sprintf("%s{\"id\":\"flat-%d\",\"features\":[%.3f,%.4f,%.4f,%.2f],\"target\":%.4f}",
                        (i > 1 ? "," : ""), i, temp / 10, s, c, areas[i], y)
  }
  printf "%s|{\"series\":\"%s\",\"timestep\":%d,\"objects\":[%s],\"sumTarget\":%.4f}\n", building, building, t, objs, sum
}'
