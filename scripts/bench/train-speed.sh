#!/usr/bin/env bash
# Training throughput (segments/s) of mer's CRNN vs the same architecture in
# Debian's PyTorch (python3-torch) with the same threads, data-parallel
# scaling (2 ranks x 1 thread vs 1 rank x 1 thread), and the cost of
# synchronised BatchNorm (2 ranks, the default, vs --no-sync-batchnorm).
# Ratios come from one run.
#
#   scripts/bench/train-speed.sh [DATA_DIR] [BUILD_DIR]
# Targets: mer / PyTorch >= 1.0x; 2 ranks / 1 rank >= 1.8x.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${1:-$here/../shared/data/4q-dev}
build=${2:-$here/build}
mer=$build/cli/mer
work=${WORK:-/tmp/mer-train-speed}
tracks=${TRACKS:-240}
mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if [ ! -f "$work/shards/dataset.json" ]; then
  head -n $((tracks + 1)) "$data/labels.csv" | sed "s#^\([^,]*\)#$data/\1#;1s#^$data/##" > "$work/labels.csv"
  "$mer" extract --data "$work/labels.csv" --out "$work/shards" --no-progress
fi
common=(--data "$work/shards" --epochs 1 --crops-per-track 1 --val-fraction 0
        --batch-size 24 --channels 16,32,32,32 --rnn-hidden 32 --no-progress --json)
one=$("$mer" train "${common[@]}" --threads 1 --out "$work/one.merm" --checkpoint-dir "$work/ck1")
two=$(mpirun -np 2 --oversubscribe --bind-to none "$mer" train "${common[@]}" --threads 1 \
      --out "$work/two.merm" --checkpoint-dir "$work/ck2" | tail -1)
per_rank=$(mpirun -np 2 --oversubscribe --bind-to none "$mer" train "${common[@]}" --threads 1 \
      --no-sync-batchnorm --out "$work/two-per-rank.merm" --checkpoint-dir "$work/ck3" | tail -1)
# The peer gets the allocator settings mer sets for itself
# (common/core/allocator.h): glibc's defaults cost PyTorch as much.
MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824 \
/usr/bin/python3 "$here/scripts/bench/train-speed.py" --bundle "$work/one.merm" \
  --mer-one "$one" --mer-two "$two" --mer-two-per-rank "$per_rank" --threads 1
