#!/usr/bin/env bash
# Trains the shipped 4Q emotion model (models/mer-4q-crnn.merm) on the 720
# clips of ../shared/data/4q-dev (the 4Q dataset of Panda, Malheiro and
# Paiva, http://mir.dei.uc.pt): artist-grouped k-fold cross-validation of
# the chosen settings first (the table in models/README.md), then one model
# on every clip.
#
#   scripts/train-4q.sh [DATA_DIR] [BUILD_DIR]
#   scripts/train-4q.sh --print-settings    (the model/training options only;
#                                            scripts/bench/quality-4q.sh uses them)
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
if [ "${1:-}" = "--print-settings" ]; then
  echo "${settings[*]}"
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

# 1. Log-mel shards (default preset: 16 kHz, 96 mels, 4.096 s windows), with
#    continuous V-A targets from the clips' AllMusic mood words and the
#    Warriner et al. (2013) norms.
if [ ! -f "$work/shards/dataset.json" ] || ! grep -q '"lexicon"' "$work/shards/dataset.json"; then
  rm -rf "$work/shards"
  "$mer" extract --data "$data/labels.csv" --lexicon "$lexicon" \
    --out "$work/shards" --no-progress
fi

# 2. Cross-validation of the settings, then the final model on all clips
#    (mer train --folds K --out M does both; the report lands in
#    $work/cv.metrics and the final model's history in $work/cv.metrics/final).
"$mer" train --data "$work/shards" --folds "$folds" "${settings[@]}" \
  --val-fraction 0 --group-by artist --seed 1 \
  --threads "$threads" --metrics-dir "$work/cv.metrics" \
  --out "$here/models/mer-4q-crnn.merm" | tee "$work/cv.txt"

# 3. The shipped model scored on the development clips (a sanity check,
#    not a held-out score: these clips trained it).
"$mer" eval --model "$here/models/mer-4q-crnn.merm" --data "$work/shards" --json \
  > "$work/eval-train.json"
echo "train-4q: model models/mer-4q-crnn.merm; CV table above; reports in $work"
