#!/usr/bin/env bash
# Which model is least harmful for a label whose instrument is unknown (docs/RESULTS.md, "Unknown
# instrument names"): every label of Bach10 01-05 and of the piano pieces given one family with
# --instrument LABEL=FAMILY (plus options), scored by scripts/eval_set.py (mean SDR per set).
#   bash scripts/eval_unknown_names.sh [BACH10_DIR] [PIECES_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bach10=${1:-../shared/data/bach10}
pieces=${2:-../shared/data/pieces}
inst() { for l in $1; do printf -- "--instrument %s=%s " "$l" "$2"; done; }
run() {  # NAME FAMILY [options...]
  local name=$1 fam=$2
  shift 2
  b=$(/usr/bin/python3 scripts/eval_set.py "$bach10" --score score_aligned.csv --pieces 01,02,03,04,05 -- \
      $(inst "violin clarinet saxophone bassoon" "$fam") "$@" | tail -1)
  p=$(/usr/bin/python3 scripts/eval_set.py "$pieces" -- $(inst "left right" "$fam") "$@" | tail -1)
  echo "$name | Bach10 01-05: $b | piano pieces: $p"
}
run "piano (the old fallback)" piano
run "piano, per label" piano --timbre per-label
run "sustained" strings
run "sustained, shared" strings --timbre shared
run "piano band, per label, no onsets, alpha 1" piano --timbre per-label --no-onsets --alpha 1
run "piano band, per label, no onsets, alpha 2 (the neutral model)" piano --timbre per-label --no-onsets
