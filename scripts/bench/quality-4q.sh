#!/usr/bin/env bash
# Repeated artist-grouped CV on 4q-dev (FOLDS folds x each seed of SEEDS) of
# the shipped models (their settings read from scripts/train-4q.sh: the
# crnn, the mlp and their ensemble, its weight chosen per fold on the other
# folds), paired on the same folds against two classic peers: an RBF SVM
# on log-mel/MFCC statistics and one on the hand-crafted descriptor
# statistics of `mer features
# --descriptors` (scripts/bench/quality-4q.py, Debian's python3-sklearn).
# Prints macro-F1, the paired differences, valence/arousal Pearson r against
# the lexicon targets and the cross-fitted ECE, with the targets.
#
#   scripts/bench/quality-4q.sh [DATA_DIR] [BUILD_DIR]
#
# Environment: FOLDS (default 5), SEEDS (default "1 2 3"), EPOCHS (default:
# the shipped setting), THREADS (default 2), COMPARE (e.g. cnn,rnn,crnn: add
# those architectures' rows with the shipped widths; off by default),
# VARIANTS (";"-separated LABEL=OPTIONS: a row per variant, the shipped
# settings plus OPTIONS on the same folds, e.g. "joint=--descriptor-dim 32";
# LABEL:=OPTIONS trains OPTIONS alone instead, e.g. "mlp:=--arch mlp
# --descriptor-dim 64 --epochs 10"; the shards hold the descriptors, so any
# variant may read them),
# ENSEMBLES (space-separated A+B of run labels, "shipped", "mlp" or a
# VARIANTS label: a row for each pair's ensemble, its weight chosen on the
# other folds), SHIPPED (0: only the VARIANTS' rows, without the crnn, the
# mlp and their ensemble), LEXICON, WORK (scratch, default
# /tmp/mer-quality-4q; runs already there are reused, delete it to start
# over).
# Cost on 2 cores: about 10-25 minutes per seed for the crnn, 4 for the mlp,
# 10 once for the descriptor statistics of the 720 clips (the SVM peer).
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
if [ ! -f "$work/shards/dataset.json" ] ||
   ! grep -q '"descriptors": {' "$work/shards/dataset.json"; then
  "$mer" extract --data "$data/labels.csv" --lexicon "$lexicon" \
    --descriptors --out "$work/shards" --no-progress
fi
best=$(bash "$here/scripts/train-4q.sh" --print-settings)
if [ -n "${EPOCHS:-}" ]; then
  best=$(sed "s/--epochs [0-9]*/--epochs $EPOCHS/" <<< "$best")
fi
runs=()
# SHIPPED=0 leaves the shipped settings' rows out (variants only).
[ "${SHIPPED:-1}" = 0 ] && shipped_seeds= || shipped_seeds=$seeds
for seed in $shipped_seeds; do
  dir=$work/seed-$seed
  runs+=(--run "shipped=$dir")
  [ -f "$dir/report.json" ] && continue
  echo "quality-4q: seed $seed, $folds folds: $best" >&2
  compare=()
  [ -n "${COMPARE:-}" ] && compare=(--compare "$COMPARE")
  # shellcheck disable=SC2086  # $best is a list of options
  "$mer" train --data "$work/shards" --folds "$folds" $best "${compare[@]}" \
    --val-fraction 0 --group-by artist --seed "$seed" --threads "$threads" \
    --no-progress --metrics-dir "$dir" > "$dir.txt"
done
# The shipped ensemble's classic member, and the ensemble itself, unless
# SHIPPED=0.
variants_text=${VARIANTS:-}
ensembles_text=${ENSEMBLES:-}
if [ "${SHIPPED:-1}" != 0 ]; then
  variants_text="mlp:=$(bash "$here/scripts/train-4q.sh" --print-settings mlp);$variants_text"
  ensembles_text="shipped+mlp $ensembles_text"
fi
IFS=';' read -r -a variants <<< "$variants_text"
for variant in "${variants[@]}"; do
  [ -n "$variant" ] || continue
  label=${variant%%=*}
  extra=${variant#*=}
  settings=$best
  if [ "${label%:}" != "$label" ]; then  # LABEL:=OPTIONS
    label=${label%:}
    settings=
  fi
  for seed in $seeds; do
    dir=$work/$label-seed-$seed
    runs+=(--run "$label=$dir")
    [ -f "$dir/report.json" ] && continue
    echo "quality-4q: $label, seed $seed, $folds folds: $settings $extra" >&2
    # shellcheck disable=SC2086  # option lists
    "$mer" train --data "$work/shards" --folds "$folds" $settings $extra \
      --val-fraction 0 --group-by artist --seed "$seed" --threads "$threads" \
      --no-progress --metrics-dir "$dir" > "$dir.txt"
  done
done
ensembles=()
for e in $ensembles_text; do ensembles+=(--ensemble "$e"); done
/usr/bin/python3 "$here/scripts/bench/quality-4q.py" --shards "$work/shards" \
  --mer "$mer" --cache "$work/descriptor-stats.json" --jobs "$threads" \
  --json "$work/quality.json" "${runs[@]}" "${ensembles[@]}"
