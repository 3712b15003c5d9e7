#!/bin/bash
# The memory/time-vs-length table of docs/PERFORMANCE.md (issue 17): `notewise separate` with
# its defaults and --no-report (stems streamed to their files) on the Chopin example looped to
# 1, 5, 10, 30 and 60 minutes at 44.1 kHz stereo (bench/loop_example.py), peak RSS and wall time
# from /usr/bin/time -v. Not part of ctest: the 60-minute run takes several minutes.
#   bash bench/long_run.sh [MINUTES...]        (default: 1 5 10 30 60)
#   REPORT=1 bash bench/long_run.sh ...         the same with the report (no --no-report)
#   BIN=build/notewise  WORK=/tmp/notewise-long  BASE=/path/to/other/notewise (optional: the
#   5-minute stems of BASE, e.g. a build of the whole-signal path, compared sample by sample)
#   SPECTROGRAM=memory|disk|auto (default auto: V on disk above 512 MB, from about 24 minutes)
# With a 5-minute run in the list, its stems with V in memory (what auto chooses there) are
# compared with a run of the same piece with --spectrogram disk (the segment-wise NMF).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${BIN:-$here/../build/notewise}")
WORK=${WORK:-/tmp/notewise-long}
mins=("$@")
report=(--no-report)
[ "${REPORT:-0}" = 1 ] && report=()
mode=(--spectrogram "${SPECTROGRAM:-auto}")
[ ${#mins[@]} -eq 0 ] && mins=(1 5 10 30 60)
mkdir -p "$WORK"
cd "$WORK"
for m in "${mins[@]}"; do [ -f "m$m.wav" ] || /usr/bin/python3 "$here/loop_example.py" "$m"; done
echo "| length | peak RSS | estimate | seconds | seconds per minute |"
echo "|---|---|---|---|---|"
for m in "${mins[@]}"; do
  # The estimate of the mode the run takes (auto: disk once V exceeds 512 MB; with --max-memory
  # 1K auto would always choose disk).
  em=${SPECTROGRAM:-auto}
  if [ "$em" = auto ]; then em=memory; [ "$m" -ge 25 ] && em=disk; fi
  est=$("$BIN" separate "m$m.wav" --score "m$m.csv" --out "est$m" "${report[@]}" --spectrogram "$em" --max-memory 1K 2>&1 | sed -n 's/.*needs about \([0-9.]* [kMG]B\).*/\1/p' || true)
  /usr/bin/time -v "$BIN" --force separate "m$m.wav" --score "m$m.csv" --out "out$m" "${report[@]}" "${mode[@]}" -q --format float32 2> "time$m.log"
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "time$m.log")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "time$m.log")
  /usr/bin/python3 - "$m" "$rss" "$wall" "$est" <<'PY'
import sys
m, rss, wall, est = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = 0.0
for part in wall.split(':'): s = 60 * s + float(part)
mb = rss * 1024 / 1e6
print(f"| {m:g} min | {mb/1000:.2f} GB | {est or '-'} | {s:.1f} | {s/m:.1f} |" if mb >= 1000 else
      f"| {m:g} min | {mb:.0f} MB | {est or '-'} | {s:.1f} | {s/m:.1f} |")
PY
done
if [ -n "${BASE:-}" ] && [ -f m5.wav ]; then
  "$BASE" --force separate m5.wav --score m5.csv --out base5 --no-report -q --format float32
  /usr/bin/python3 - <<'PY'
import numpy as np, soundfile as sf
for f in ("left.wav", "right.wav"):
    a, _ = sf.read("base5/" + f, dtype="float32"); b, _ = sf.read("out5/" + f, dtype="float32")
    print(f"5 min {f}: max |this - BASE| = {np.abs(a - b).max():.3g} (peak {np.abs(a).max():.2f}, {a.shape[0]} frames)")
PY
fi
if [ -d out5 ] && [ "${SPECTROGRAM:-auto}" != disk ]; then
  /usr/bin/time -v "$BIN" --force separate m5.wav --score m5.csv --out disk5 "${report[@]}" -q --format float32 \
    --spectrogram disk 2> time5disk.log
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' time5disk.log)
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' time5disk.log)
  echo "5 min with --spectrogram disk: peak RSS $((rss / 1024)) MiB, wall $wall"
  /usr/bin/python3 - <<'PY'
import numpy as np, soundfile as sf
for f in ("left.wav", "right.wav"):
    a, _ = sf.read("out5/" + f, dtype="float32"); b, _ = sf.read("disk5/" + f, dtype="float32")
    print(f"5 min {f}: max |disk - memory| = {np.abs(a - b).max():.3g} (peak {np.abs(a).max():.2f}, {a.shape[0]} frames)")
PY
fi
