#!/usr/bin/env bash
# Artist-grouped 10-fold CV macro-F1 on 4q-dev: cnn, rnn, crnn (defaults),
# the shipped settings ("best"), and a classic peer on the same folds
# (log-mel/MFCC statistics + RBF SVM, Debian's python3-sklearn).
#
#   scripts/bench/quality-4q.sh [DATA_DIR] [BUILD_DIR]
# Target: best >= peer + 0.05 macro-F1 (published reference: 0.764 on 900
# clips with hand-crafted features). Costs hours on 2 cores: FOLDS and
# EPOCHS shrink it.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${1:-$here/../shared/data/4q-dev}
build=${2:-$here/build}
mer=$build/cli/mer
work=${WORK:-/tmp/mer-quality-4q}
folds=${FOLDS:-10}
epochs=${EPOCHS:-15}
mkdir -p "$work"
if [ ! -f "$work/shards/dataset.json" ]; then
  "$mer" extract --data "$data/labels.csv" --out "$work/shards" --no-progress
fi
common=(--data "$work/shards" --folds "$folds" --val-fraction 0 --epochs "$epochs"
        --crops-per-track 2 --group-by artist --seed 1 --no-progress)
"$mer" train "${common[@]}" --compare cnn,rnn,crnn --metrics-dir "$work/compare" > "$work/compare.txt"
"$mer" train "${common[@]}" --arch crnn --channels 16,32,32,32 --rnn-hidden 32 \
  --lr 2e-3 --average-last 4 --metrics-dir "$work/best" > "$work/best.txt"
/usr/bin/python3 "$here/scripts/bench/quality-4q.py" --shards "$work/shards" \
  --folds-csv "$work/compare/folds.csv" --report "$work/compare/report.json" \
  --report "$work/best/report.json"
