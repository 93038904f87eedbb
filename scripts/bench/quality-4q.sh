#!/usr/bin/env bash
# Repeated artist-grouped CV on 4q-dev (FOLDS folds x each seed of SEEDS) of
# the shipped settings (read from scripts/train-4q.sh), paired on the same
# folds against two classic peers: an RBF SVM on log-mel/MFCC statistics and
# one on the hand-crafted descriptor statistics of `mer features
# --descriptors` (scripts/bench/quality-4q.py, Debian's python3-sklearn).
# Prints macro-F1, the paired differences, valence/arousal Pearson r against
# the lexicon targets and the cross-fitted ECE, with the targets.
#
#   scripts/bench/quality-4q.sh [DATA_DIR] [BUILD_DIR]
#
# Environment: FOLDS (default 5), SEEDS (default "1 2 3"), EPOCHS (default:
# the shipped setting), THREADS (default 2), COMPARE (e.g. cnn,rnn,crnn: add
# those architectures' rows with the shipped widths; off by default),
# LEXICON, WORK (scratch, default /tmp/mer-quality-4q; runs already there
# are reused, delete it to start over).
# Cost on 2 cores: about 25 minutes per seed for the shipped settings, a few
# minutes once for the descriptors of the 720 clips.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${1:-$here/../shared/data/4q-dev}
build=${2:-$here/build}
mer=$build/cli/mer
work=${WORK:-/tmp/mer-quality-4q}
folds=${FOLDS:-5}
seeds=${SEEDS:-1 2 3}
threads=${THREADS:-2}
lexicon=${LEXICON:-$data/../lexicon/Ratings_Warriner_et_al.csv}
[ -x "$mer" ] || { echo "quality-4q: build mer first ($mer not found)" >&2; exit 1; }
[ -f "$lexicon" ] || { echo "quality-4q: lexicon $lexicon not found (set LEXICON)" >&2; exit 1; }
mkdir -p "$work"
if [ ! -f "$work/shards/dataset.json" ]; then
  "$mer" extract --data "$data/labels.csv" --lexicon "$lexicon" \
    --out "$work/shards" --no-progress
fi
best=$(bash "$here/scripts/train-4q.sh" --print-settings)
if [ -n "${EPOCHS:-}" ]; then
  best=$(sed "s/--epochs [0-9]*/--epochs $EPOCHS/" <<< "$best")
fi
runs=()
for seed in $seeds; do
  dir=$work/seed-$seed
  runs+=(--run "$dir")
  [ -f "$dir/report.json" ] && continue
  echo "quality-4q: seed $seed, $folds folds: $best" >&2
  compare=()
  [ -n "${COMPARE:-}" ] && compare=(--compare "$COMPARE")
  # shellcheck disable=SC2086  # $best is a list of options
  "$mer" train --data "$work/shards" --folds "$folds" $best "${compare[@]}" \
    --val-fraction 0 --group-by artist --seed "$seed" --threads "$threads" \
    --no-progress --metrics-dir "$dir" > "$dir.txt"
done
/usr/bin/python3 "$here/scripts/bench/quality-4q.py" --shards "$work/shards" \
  --mer "$mer" --cache "$work/descriptor-stats.json" --jobs "$threads" \
  --json "$work/quality.json" "${runs[@]}"
