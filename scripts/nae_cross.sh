#!/usr/bin/env bash
# Cross-piece check of amortised separation (docs/RESULTS.md): for each piece of a set, train a
# piano model on the other pieces, then separate the piece with the model's forward pass alone
# and with the default short NMF refinement; scored by the reference scorer.
#   bash scripts/nae_cross.sh [SET_DIR] [-- notewise nae train options...]
# Example: bash scripts/nae_cross.sh ../shared/data/pieces -- --transpose 0
set -euo pipefail
set_dir=${1:-../shared/data/pieces}
shift || true
[ "${1:-}" = "--" ] && shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pieces=()
for p in "$set_dir"/*/; do [ -f "$p/mix.wav" ] && pieces+=("$(basename "$p")"); done
for name in "${pieces[@]}"; do
  train=()
  for other in "${pieces[@]}"; do
    [ "$other" = "$name" ] || train+=(--audio "$set_dir/$other/mix.wav" --score "$set_dir/$other/score.csv")
  done
  start=$(date +%s.%N)
  build/notewise -q --force nae train "${train[@]}" --out "$work/model-$name" "$@"
  echo "trained for $name in $(echo "$(date +%s.%N) - $start" | bc) s" >&2
  for n in 0 10; do
    build/notewise -q --force separate "$set_dir/$name/mix.wav" --score "$set_dir/$name/score.csv" \
      --model "$work/model-$name" -n $n --no-report --out "$work/refine$n/$name"
  done
done
for n in 0 10; do
  echo "== model forward pass + $n NMF iterations"
  /usr/bin/python3 "$(dirname "$0")/../../shared/eval/score_sep.py" --set "$set_dir" "$work/refine$n" 2>/dev/null ||
    /usr/bin/python3 ../shared/eval/score_sep.py --set "$set_dir" "$work/refine$n"
done
