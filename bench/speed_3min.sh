#!/bin/bash
# The "3 minutes at 44.1 kHz" table of docs/PERFORMANCE.md (issue #38): `notewise separate` with
# its defaults on the Chopin example looped to 3 minutes at 44.1 kHz stereo
# (bench/loop_example.py), per stage in CPU seconds (report.json "timings_cpu_s": user + system
# of every thread, what a shared machine's load does not inflate), against a baseline binary
# measured in the same run, alternating, and the numpy reference pipeline at the same 50
# iterations (bench/numpy_reference.py).
#   bash bench/speed_3min.sh
#   BIN=build/notewise BASE=build-base/build/notewise (main's, with the CPU timings: see
#   docs/PERFORMANCE.md) WORK=/tmp/notewise-speed RUNS=3 THREADS=1 (--threads; 1: CPU time is the
#   work itself, no waiting threads) MINUTES=3 REPORT=0|1 NUMPY=1 (0: skip the reference, 50 s)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${BIN:-$here/../build/notewise}")
BASE=${BASE:+$(realpath "$BASE")}
WORK=${WORK:-/tmp/notewise-speed}
RUNS=${RUNS:-3}
THREADS=${THREADS:-1}
M=${MINUTES:-3}
report=(--no-report)
[ "${REPORT:-0}" = 1 ] && report=()
mkdir -p "$WORK"
cd "$WORK"
[ -f "m$M.wav" ] || /usr/bin/python3 "$here/loop_example.py" "$M"
bins=("$BIN")
[ -n "$BASE" ] && bins=("$BASE" "$BIN")
for ((r = 1; r <= RUNS; r++)); do
  for b in "${bins[@]}"; do
    tag=$([ "$b" = "$BIN" ] && echo this || echo base)
    /usr/bin/time -f "%U %S %e" -o "time_${tag}_$r.txt" "$b" --threads "$THREADS" --force separate "m$M.wav" \
      --score "m$M.csv" --out "out_$tag" "${report[@]}" -q --format float32 2>/dev/null
    cp "out_$tag/report.json" "report_${tag}_$r.json"
  done
done
/usr/bin/python3 - "$RUNS" "${BASE:+base}" <<'PY'
import json, sys, statistics as st
runs, tags = int(sys.argv[1]), (["base"] if sys.argv[2:] and sys.argv[2] else []) + ["this"]
keys = ["load", "decompose", "resynthesise", "write", "quality", "report", "total"]
res = {}
for t in tags:
    rows = []
    for r in range(1, runs + 1):
        d = json.load(open(f"report_{t}_{r}.json"))
        cpu = d.get("timings_cpu_s", {})
        u, s, e = map(float, open(f"time_{t}_{r}.txt").read().split()[-3:])
        rows.append({**{k: cpu.get(k) for k in keys}, "process": u + s, "wall": e})
    res[t] = {k: (min(x[k] for x in rows) if all(x[k] is not None for x in rows) else None) for k in rows[0]}
print("CPU seconds, minimum of", runs, "runs; 'process' = user + sys of the whole command (/usr/bin/time)")
print("| stage | " + " | ".join(tags) + (" | this / base |" if len(tags) == 2 else " |"))
print("|---|" + "---|" * (len(tags) + (len(tags) == 2)))
for k in keys + ["process", "wall"]:
    vals = [res[t][k] for t in tags]
    if all(v is None for v in vals): continue
    cells = ["-" if v is None else f"{v:.2f}" for v in vals]
    ratio = f" | {vals[1] / vals[0]:.2f}x" if len(tags) == 2 and None not in vals and vals[0] > 0 else (" | -" if len(tags) == 2 else "")
    print(f"| {k} | " + " | ".join(cells) + ratio + " |")
PY
if [ "${NUMPY:-1}" = 1 ]; then
  R=$(/usr/bin/python3 -c "import json; print(json.load(open('report_this_1.json'))['nmf']['templates'])")
  OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS /usr/bin/python3 "$here/numpy_reference.py" "m$M.wav" --rank "$R" | tee numpy.txt
fi
