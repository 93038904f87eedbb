#!/usr/bin/env bash
# Trains the shipped 4Q emotion models on the 720 clips of
# ../shared/data/4q-dev (the 4Q dataset of Panda, Malheiro and Paiva,
# http://mir.dei.uc.pt): for each member, artist-grouped k-fold
# cross-validation of its settings first (the table in models/README.md),
# then one model on every clip; then their ensemble:
#   models/mer-4q-crnn.merm      the CRNN on the log-mel (learned features)
#   (WORK)/mer-4q-mlp.merm       the classic mlp on the band and descriptor
#                                statistics
#   models/mer-4q-ensemble.merm  both, the weight chosen on the out-of-fold
#                                predictions (the default model)
#
#   scripts/train-4q.sh [DATA_DIR] [BUILD_DIR]
#   scripts/train-4q.sh --print-settings [mlp]   (a member's model/training
#                        options only; scripts/bench/quality-4q.sh uses them)
#
# Environment: FOLDS (default 5), EPOCHS (default 10), THREADS (default 2),
# WORK (scratch folder for shards and reports, default /tmp/mer-train-4q),
# LEXICON (affective norms, default DATA_DIR/../lexicon/Ratings_Warriner_et_al.csv).
set -euo pipefail
epochs=${EPOCHS:-10}
# The shipped settings (chosen by artist-grouped CV: models/README.md).
settings=(--arch crnn --channels 32,64,64,64 --rnn-hidden 64 --rnn-layers 2
          --input-pool 2,2 --stats-dim 32 --crops-per-track 2 --epochs "$epochs"
          --lr 2e-3 --lr-schedule cosine --average-last 3)
# The classic member: no trunk, the band statistics and the 53 descriptors'
# statistics of each window, one hidden layer.
mlp_settings=(--arch mlp --stats-dim 32 --descriptor-dim 64 --embedding-dim 64
              --crops-per-track 4 --epochs 20 --lr 2e-3 --lr-schedule cosine
              --average-last 3)
# The crnn's weight in the ensemble is chosen among these on the dev folds;
# neither member goes below a quarter (the descriptors carry less across
# styles than learned features do).
weight_grid=0.25,0.375,0.5,0.625,0.75
if [ "${1:-}" = "--print-settings" ]; then
  if [ "${2:-}" = mlp ]; then echo "${mlp_settings[*]}"; else echo "${settings[*]}"; fi
  exit 0
fi
here=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-$here/../shared/data/4q-dev}
build=${2:-$here/build}
mer=$build/cli/mer
folds=${FOLDS:-5}
threads=${THREADS:-2}
work=${WORK:-/tmp/mer-train-4q}
mkdir -p "$work" "$here/models"

[ -x "$mer" ] || { echo "train-4q: build mer first ($mer not found)" >&2; exit 1; }
[ -f "$data/labels.csv" ] || { echo "train-4q: $data/labels.csv not found" >&2; exit 1; }

lexicon=${LEXICON:-$data/../lexicon/Ratings_Warriner_et_al.csv}
[ -f "$lexicon" ] || { echo "train-4q: lexicon $lexicon not found (set LEXICON)" >&2; exit 1; }

# 1. Log-mel shards (default preset: 16 kHz, 96 mels, 4.096 s windows) with
#    the 53 descriptors after the bands, and continuous V-A targets from the
#    clips' AllMusic mood words and the Warriner et al. (2013) norms.
if [ ! -f "$work/shards/dataset.json" ] || ! grep -q '"lexicon"' "$work/shards/dataset.json" ||
   ! grep -q '"descriptors": {' "$work/shards/dataset.json"; then
  rm -rf "$work/shards"
  "$mer" extract --data "$data/labels.csv" --lexicon "$lexicon" \
    --descriptors --out "$work/shards" --no-progress
fi

# 2. Cross-validation of the settings, then the final model on all clips
#    (mer train --folds K --out M does both; the report lands in
#    $work/cv.metrics and the final model's history in $work/cv.metrics/final).
"$mer" train --data "$work/shards" --folds "$folds" "${settings[@]}" \
  --val-fraction 0 --group-by artist --seed 1 \
  --threads "$threads" --metrics-dir "$work/cv.metrics" \
  --out "$here/models/mer-4q-crnn.merm" | tee "$work/cv.txt"

# 3. The same for the mlp (its out-of-fold predictions in
#    $work/mlp.metrics/cv_predictions.csv).
"$mer" train --data "$work/shards" --folds "$folds" "${mlp_settings[@]}" \
  --val-fraction 0 --group-by artist --seed 1 \
  --threads "$threads" --metrics-dir "$work/mlp.metrics" \
  --out "$work/mer-4q-mlp.merm" | tee "$work/mlp.txt"

# 4. The ensemble: the crnn's weight from the grid by the members' weighted
#    out-of-fold macro-F1, the calibration fitted on the weighted
#    out-of-fold V-A.
"$mer" ensemble --out "$here/models/mer-4q-ensemble.merm" \
  --weight-grid "$weight_grid" \
  --out-of-fold "$work/cv.metrics/cv_predictions.csv" \
  --out-of-fold "$work/mlp.metrics/cv_predictions.csv" \
  "$here/models/mer-4q-crnn.merm" "$work/mer-4q-mlp.merm" | tee "$work/ensemble.txt"

# 5. The shipped models scored on the development clips (a sanity check,
#    not a held-out score: these clips trained them).
for m in crnn ensemble; do
  "$mer" eval --model "$here/models/mer-4q-$m.merm" --data "$work/shards" --json \
    > "$work/eval-train-$m.json"
done
echo "train-4q: models/mer-4q-ensemble.merm (and its crnn member" \
  "models/mer-4q-crnn.merm); CV tables above; reports in $work"
