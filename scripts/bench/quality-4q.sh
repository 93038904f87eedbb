#!/usr/bin/env bash
# Artist-grouped k-fold CV macro-F1 on 4q-dev: cnn, rnn, crnn (default
# widths), the shipped settings ("best", read from scripts/train-4q.sh), and
# a classic peer on the same folds (log-mel/MFCC statistics + RBF SVM,
# Debian's python3-sklearn), with paired t-tests against the peer.
#
#   scripts/bench/quality-4q.sh [DATA_DIR] [BUILD_DIR]
#
# Environment: FOLDS (default 10), EPOCHS (default 15), THREADS (default 2),
# COMPARE_ARGS (extra options of the cnn/rnn/crnn rows, default
# "--input-pool 2,2": every row reads the same 48-band, 32 ms input, which
# makes the default-width models affordable on a CPU), WORK (scratch).
# Target: best >= peer + 0.05 macro-F1 (published reference: 0.764 on 900
# clips with hand-crafted features). The default-width rows cost about
# 5 hours each at 10 folds on 2 cores; FOLDS=5 EPOCHS=5 gives a first look.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${1:-$here/../shared/data/4q-dev}
build=${2:-$here/build}
mer=$build/cli/mer
work=${WORK:-/tmp/mer-quality-4q}
folds=${FOLDS:-10}
epochs=${EPOCHS:-15}
threads=${THREADS:-2}
read -r -a compare_args <<< "${COMPARE_ARGS---input-pool 2,2}"
[ -x "$mer" ] || { echo "quality-4q: build mer first ($mer not found)" >&2; exit 1; }
mkdir -p "$work"
if [ ! -f "$work/shards/dataset.json" ]; then
  "$mer" extract --data "$data/labels.csv" --out "$work/shards" --no-progress
fi
# The shipped model's settings, minus what this script sets itself.
best=$(bash "$here/scripts/train-4q.sh" --print-settings | sed 's/--epochs [0-9]*//')
common=(--data "$work/shards" --folds "$folds" --val-fraction 0 --epochs "$epochs"
        --group-by artist --seed 1 --threads "$threads" --no-progress)
echo "quality-4q: $folds folds, $epochs epochs; compare rows: ${compare_args[*]:-(no extra options)}" >&2
"$mer" train "${common[@]}" --crops-per-track 2 "${compare_args[@]}" \
  --compare cnn,rnn,crnn --metrics-dir "$work/compare" > "$work/compare.txt"
# shellcheck disable=SC2086  # $best is a list of options
"$mer" train "${common[@]}" $best --metrics-dir "$work/best" > "$work/best.txt"
cat "$work/compare.txt" "$work/best.txt"
/usr/bin/python3 "$here/scripts/bench/quality-4q.py" --shards "$work/shards" \
  --folds-csv "$work/compare/folds.csv" --report "$work/compare/report.json" \
  --report "$work/best/report.json"
