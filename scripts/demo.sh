#!/usr/bin/env bash
# The main job on a real catalogue, from a fresh Debian machine: installs
# what is missing (including Debian's wesnoth-1.16-music, 41 Ogg Vorbis
# tracks), builds mer, indexes the catalogue with the shipped model under
# mpirun (local ranks: one coordinator + workers), then prints the
# per-quadrant statistics and answers a few queries.
#   scripts/demo.sh [OUT_DIR]     (default OUT_DIR: ./out/demo)
# Model: $MER_MODEL, else models/mer-4q-ensemble.merm (the default model),
# else the first models/*.merm of the checkout.
# Ranks: $MER_RANKS (default 3: rank 0 coordinates, 2 workers).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/demo}
scripts/install-deps.sh --music
mkdir -p "$out"
scripts/build.sh > "$out/build.log" 2>&1 || { tail -n 40 "$out/build.log"; exit 1; }
mer=${BUILD_DIR:-build}/cli/mer
music=$(ls -d /usr/share/games/wesnoth/*/data/core/music | head -n 1)
default_model=models/mer-4q-ensemble.merm
[ -f "$default_model" ] || default_model=$(ls models/*.merm 2>/dev/null | head -n 1 || true)
model=${MER_MODEL:-$default_model}
if [[ -z "$model" || ! -f "$model" ]]; then
  echo "demo: no model: set MER_MODEL or put a bundle in models/*.merm (mer train --help)" >&2
  exit 1
fi
ranks=${MER_RANKS:-3}
mkdir -p "$out"
index="$out/index"
echo "demo: catalogue $music: $(find "$music" -name '*.ogg' | wc -l) tracks; model $model"

# mpirun as root needs these (containers); harmless otherwise.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun -np "$ranks" --oversubscribe --bind-to none \
  "$mer" index --catalogue "$music" --model "$model" --index "$index"

echo; echo "demo: mer query --stats"
"$mer" query --index "$index" --stats
for mood in happy tense sad calm; do
  echo; echo "demo: the 3 most $mood tracks (mer query --mood $mood --limit 3)"
  "$mer" query --index "$index" --mood "$mood" --limit 3
done
echo; echo "demo: 5 tracks nearest to valence 0.5, arousal 0.5 (mer query --near 0.5,0.5 --k 5)"
"$mer" query --index "$index" --near 0.5,0.5 --k 5
# (No `| head` on mer's output: under pipefail its SIGPIPE would end the demo.)
"$mer" query --index "$index" --box -1,1,-1,1 --json > "$out/box.jsonl"
first=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["track_id"])' "$out/box.jsonl")
echo; echo "demo: tracks that feel like $first (mer query --similar ... --k 5)"
"$mer" query --index "$index" --similar "$first" --k 5
echo; echo "demo: its timeline (mer query --track ...)"
"$mer" query --index "$index" --track "$first" > "$out/track.txt"
head -n 16 "$out/track.txt"
echo; echo "demo: a playlist from sad to happy (mer query --arc 'sad;happy' --count 6)"
"$mer" query --index "$index" --arc 'sad;happy' --count 6
echo; echo "demo: the index is in $index; try: $mer query --index $index --help"
echo "demo: to search it in a browser, run"
echo "    $mer serve --index $index --model $model"
echo "  and open http://127.0.0.1:8080/"
