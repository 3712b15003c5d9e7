#!/usr/bin/env bash
# Cross-piece check of amortised separation (docs/RESULTS.md): for each piece of a set, train a
# piano model on the other pieces (or, with TRAIN=DIR, once on every piece of DIR), then separate
# the piece with the model's forward pass alone and with the default short NMF refinement;
# scored by the reference scorer.
#   bash scripts/nae_cross.sh [SET_DIR] [-- notewise nae train options...]
# Examples: bash scripts/nae_cross.sh ../shared/data/pieces -- --transpose 0
#           TRAIN=../shared/data/pieces bash scripts/nae_cross.sh /tmp/heldout
set -euo pipefail
set_dir=${1:-../shared/data/pieces}
shift || true
[ "${1:-}" = "--" ] && shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pieces=()
for p in "$set_dir"/*/; do [ -f "$p/mix.wav" ] && pieces+=("$(basename "$p")"); done
if [ -n "${TRAIN:-}" ]; then
  train=()
  for p in "$TRAIN"/*/; do
    [ -f "$p/mix.wav" ] && train+=(--audio "$p/mix.wav" --score "$p/score.csv")
  done
  build/notewise -q --force nae train "${train[@]}" --out "$work/model" "$@"
fi
for name in "${pieces[@]}"; do
  model="$work/model"
  if [ -z "${TRAIN:-}" ]; then
    model="$work/model-$name"
    train=()
    for other in "${pieces[@]}"; do
      [ "$other" = "$name" ] || train+=(--audio "$set_dir/$other/mix.wav" --score "$set_dir/$other/score.csv")
    done
    build/notewise -q --force nae train "${train[@]}" --out "$model" "$@"
  fi
  for n in 0 10; do
    build/notewise -q --force separate "$set_dir/$name/mix.wav" --score "$set_dir/$name/score.csv" \
      --model "$model" -n $n --no-report --out "$work/refine$n/$name"
  done
done
for n in 0 10; do
  echo "== model forward pass + $n NMF iterations"
  /usr/bin/python3 "$(dirname "$0")/../../shared/eval/score_sep.py" --set "$set_dir" "$work/refine$n" 2>/dev/null ||
    /usr/bin/python3 ../shared/eval/score_sep.py --set "$set_dir" "$work/refine$n"
done
