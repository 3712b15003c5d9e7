#!/usr/bin/env bash
# Throughput of `notewise batch` on 8 pieces (the Chopin example looped or cut to 13-39 s):
# 1 MPI rank against 2 (mpirun -np N), and --jobs 1 against --jobs 2 without MPI, one thread
# per rank or job (OMP_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1). The machine is shared, so the
# four settings run in turn, ROUNDS times, and each ratio is of medians from the same run.
#   bash bench/batch_scaling.sh [BUILD_DIR] [ROUNDS]      (default build, 3)
# Prints a Markdown table (docs/PERFORMANCE.md, "Corpora"). Needs a build with MPI for the
# mpirun rows (they are left out otherwise).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-$here/../build}" && pwd)"
rounds="${2:-3}"
nw="$build/notewise"
work="$(mktemp -d /tmp/notewise-batch-scaling.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$work"
/usr/bin/python3 "$here/batch_corpus.py" 26 13 39 20 26 16 33 23
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
mpirun=(mpirun)
[ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)
mpi=no
if command -v mpirun >/dev/null && ldd "$nw" | grep -q libmpi; then mpi=yes; fi

settings=("jobs 1" "jobs 2")
# Open MPI binds each rank to a core when it starts two or fewer; on a shared machine a bound
# process fares differently from an unbound one, so both are measured.
[ $mpi = yes ] && settings=("ranks 1" "ranks 2" "unbound 1" "unbound 2" "${settings[@]}")
: >times.txt
for r in $(seq "$rounds"); do
  for s in "${settings[@]}"; do
    set -- $s
    rm -rf out
    t0=$(date +%s.%N)
    if [ "$1" = ranks ]; then
      "${mpirun[@]}" --oversubscribe -np "$2" "$nw" -q batch manifest.csv --out out
    elif [ "$1" = unbound ]; then
      "${mpirun[@]}" --oversubscribe --bind-to none -np "$2" "$nw" -q batch manifest.csv --out out
    else
      "$nw" -q batch manifest.csv --out out --jobs "$2"
    fi
    t1=$(date +%s.%N)
    inner=$(/usr/bin/python3 -c "import json; j=json.load(open('out/summary.json')); assert all(r['status']=='done' for r in j['rows']); print(j['wall_seconds'], j['mean_handout_seconds'])")
    echo "$1 $2 $(/usr/bin/python3 -c "print($t1 - $t0)") $inner" >>times.txt
    echo "round $r: $s: $(tail -1 times.txt)" >&2
  done
done
/usr/bin/python3 - "$rounds" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open("times.txt")]
audio = 26 + 13 + 39 + 20 + 26 + 16 + 33 + 23
def med(kind, n, col):
    return st.median(float(r[col]) for r in rows if r[0] == kind and r[1] == n)
print(f"8 pieces, {audio} s of audio in all; median of {sys.argv[1]} rounds, run in turn.\n")
print("| setting | wall s (command) | wall s (batch's own) | pieces / min | speed-up over 1 | per round | mean handout ms |")
print("|---|---|---|---|---|---|---|")
for kind, label in (("ranks", "mpirun -np {}"), ("unbound", "mpirun --bind-to none -np {}"), ("jobs", "--jobs {}")):
    if not any(r[0] == kind for r in rows):
        continue
    base = med(kind, "1", 2)
    for n in ("1", "2"):
        w, inner, h = med(kind, n, 2), med(kind, n, 3), med(kind, n, 4)
        ho = f"{1000 * h:.1f}" if kind != "jobs" and n != "1" else "-"
        ratios = [float(a[2]) / float(b[2]) for a, b in zip([r for r in rows if r[0] == kind and r[1] == "1"], [r for r in rows if r[0] == kind and r[1] == n])]
        print(f"| {label.format(n)} | {w:.1f} | {inner:.1f} | {8 * 60 / w:.1f} | {base / w:.2f}x | {min(ratios):.2f}-{max(ratios):.2f}x | {ho} |")
PY
