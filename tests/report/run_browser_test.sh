#!/usr/bin/env bash
# ctest: separates the shipped example, moves the output folder elsewhere (a report must not
# depend on where it was written or on the input staying in place), then drives headless
# Chromium over the moved report (browser_test.js); then a run on a wrong score, whose first
# screen must say "poor". The screenshot stays in the build tree:
# build/report_test/report.png.
#   run_browser_test.sh NOTEWISE SOURCE_DIR WORK_DIR
set -euo pipefail
notewise=$1 src=$2 work=$3
rm -rf "$work"
mkdir -p "$work/input"
cp "$src/examples/chopin_op64_1/mix.wav" "$src/examples/chopin_op64_1/score.mid" "$work/input/"
"$notewise" -q separate "$work/input/mix.wav" --score "$work/input/score.mid" -n 20 --out "$work/written"
mv "$work/written" "$work/moved"
rm -rf "$work/input"
node "$src/tests/report/browser_test.js" "$work/moved/report.html" "$work/report.png"
# A wrong score: the example's, 4 s late (the recording's notes are not where it says), used
# as given (--align=no; by default it would be aligned first): the first screen must say "poor".
mkdir -p "$work/wrong"
awk -F, 'NR == 1 { print; next } { OFS = ","; $1 = $1 + 4; print }' "$src/examples/chopin_op64_1/score.csv" > "$work/wrong/late.csv"
"$notewise" -q separate "$src/examples/chopin_op64_1/mix.wav" --score "$work/wrong/late.csv" --align=no -n 10 --out "$work/wrong/run" 2> /dev/null
node "$src/tests/report/browser_test.js" --verdict poor "$work/wrong/run/report.html" "$work/wrong.png"
