#!/usr/bin/env bash
# Separates every piece of a set with the given extra options and scores the stems with the
# reference scorer (mir_eval BSS Eval v3 + SI-SDR).
#   bash scripts/eval_pieces.sh [SET_DIR] [-- notewise separate options...]
# Example: bash scripts/eval_pieces.sh ../shared/data/pieces -- --alpha 1
set -euo pipefail
set_dir=${1:-../shared/data/pieces}
shift || true
[ "${1:-}" = "--" ] && shift
out=$(mktemp -d)
for piece in "$set_dir"/*/; do
  name=$(basename "$piece")
  [ -f "$piece/mix.wav" ] || continue
  build/notewise -q --force separate "$piece/mix.wav" --score "$piece/score.csv" --out "$out/$name" "$@"
done
/usr/bin/python3 "$(dirname "$0")/../../shared/eval/score_sep.py" --set "$set_dir" "$out" 2>/dev/null ||
  /usr/bin/python3 ../shared/eval/score_sep.py --set "$set_dir" "$out"
rm -rf "$out"
