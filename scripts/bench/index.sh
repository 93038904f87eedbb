#!/usr/bin/env bash
# Benchmark of `mer index` in one run (results: JSON lines on stdout, and
# OUT/index-bench.jsonl):
#  1. tracks/s and audio-seconds per CPU- and wall-second of `mer index` on
#     real music (Debian's wesnoth music, 41 tracks), one rank in-process and
#     2 and 3 ranks under mpirun, with the system-time share, beside
#     the ffmpeg CLI decode-only rate on the same files and a peer Python
#     pipeline (ffmpeg + torchaudio log-mel + the same CRNN shape in PyTorch);
#  2. coordinator (rank 0) peak RSS with 1 000 and 100 000 catalogue entries
#     (synthetic manifests; the entries name files that do not exist, so every
#     track fails at once in a worker and the run measures the coordinator's
#     scan/schedule/write path, not the model);
#  3. index writes/s and query latency p50/p99 on 1 000 000 synthetic records
#     (mer_index_bench).
#   scripts/bench/index.sh [OUT_DIR]   (default out/bench-index)
#   MER_BENCH_QUICK=1 scripts/bench/index.sh   part 1 only (a few minutes)
# Model: $MER_MODEL, else models/*.merm, else a random test bundle
# (mer_make_test_bundle; timing only). BUILD_DIR: default build.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-out/bench-index}
build=${BUILD_DIR:-build}
mer=$build/cli/mer
mkdir -p "$out"
results="$out/index-bench.jsonl"
: > "$results"
emit() { echo "$1" | tee -a "$results"; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi=(mpirun --oversubscribe --bind-to none --mca btl self,vader --mca btl_vader_single_copy_mechanism none)

model=${MER_MODEL:-$(ls models/*.merm 2>/dev/null | head -n 1 || true)}
if [[ -z "$model" ]]; then
  model="$out/random.merm"
  "$build/tests/integration/mer_make_test_bundle" "$model" >/dev/null
fi
music=$(ls -d /usr/share/games/wesnoth/*/data/core/music | head -n 1)
mapfile -t files < <(find "$music" -name '*.ogg' | sort)

# /usr/bin/time: wall, user+sys CPU (children included), max RSS in KiB.
timed() { /usr/bin/time -f '%e %U %S %M' -o "$out/time.txt" "$@"; read -r wall usr sys rss < "$out/time.txt"; cpu=$(echo "$usr + $sys" | bc); }

# 1a. ffmpeg decode only.
timed sh -c 'for f in "$@"; do ffmpeg -nostdin -loglevel error -i "$f" -ac 1 -ar 16000 -f f32le - > /dev/null; done' _ "${files[@]}"
audio=$(for f in "${files[@]}"; do ffprobe -v error -show_entries format=duration -of csv=p=0 "$f"; done | paste -sd+ | bc)
emit "{\"what\":\"ffmpeg_decode\",\"tracks\":${#files[@]},\"audio_seconds\":$audio,\"wall_seconds\":$wall,\"cpu_seconds\":$cpu,\"tracks_per_second\":$(echo "scale=3; ${#files[@]} / $wall" | bc),\"audio_seconds_per_cpu_second\":$(echo "scale=2; $audio / $cpu" | bc)}"

# 1b. mer index: one rank in-process (the laptop path), then 2 and 3 ranks
# under mpirun (1 and 2 workers beside the coordinator), fresh index each.
for np in 1 2 3; do
  rm -rf "$out/idx-$np"
  launch=("${mpi[@]}" -np "$np")
  ((np == 1)) && launch=()
  timed "${launch[@]}" "$mer" index --catalogue "$music" --model "$model" \
      --index "$out/idx-$np" --no-progress --json > "$out/run.json"
  emit "$(/usr/bin/python3 - "$out/run.json" "$wall" "$cpu" "$np" "$sys" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); wall, cpu, np_, sys_s = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
a = j["audio_hours"] * 3600
print(json.dumps({"what": "mer_index", "ranks": np_, "workers": j.get("workers"), "tracks": j["indexed"],
                  "failed": j["failed"], "audio_seconds": a, "wall_seconds": wall, "cpu_seconds": cpu,
                  "system_share": round(sys_s / cpu, 3), "tracks_per_second": j["indexed"] / wall,
                  "audio_seconds_per_cpu_second": a / cpu, "audio_seconds_per_wall_second": a / wall}))
PY
)"
done

# 1c. Peer Python pipeline on the same files.
# mer tunes glibc's malloc for batch buffers (common/core/allocator.h); the
# peer gets the same settings through the environment, so the ratio is fair.
MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824 \
  /usr/bin/python3 scripts/bench/index.py "${files[@]}" > "$out/py.json"
emit "$(/usr/bin/python3 -c '
import json, sys; j = json.load(open(sys.argv[1]))
j.update(what="python_peer", tracks_per_second=j["tracks"] / j["wall_seconds"],
         audio_seconds_per_cpu_second=j["audio_seconds"] / j["cpu_seconds"]); print(json.dumps(j))' "$out/py.json")"

# MER_BENCH_QUICK=1: part 1 only.
[[ ${MER_BENCH_QUICK:-0} == 1 ]] && exit 0

# 2. Coordinator peak RSS vs catalogue size (rank 0 measured alone).
for n in 1000 100000; do
  manifest="$out/manifest-$n.csv"
  /usr/bin/python3 -c "
import sys
n = int(sys.argv[1])
with open(sys.argv[2], 'w') as f:
    f.write('track_id,path\n')
    for i in range(n): f.write('t%09d,/nonexistent/bench/%09d.mp3\n' % (i, i))" "$n" "$manifest"
  rm -rf "$out/idx-rss"
  "${mpi[@]}" -np 2 sh -c 'if [ "$OMPI_COMM_WORLD_RANK" = 0 ]; then exec /usr/bin/time -f "%M %e" -o "$0.rss" "$@"; else exec "$@"; fi' \
      "$out/coord" "$mer" index --catalogue "$manifest" --model "$model" --index "$out/idx-rss" \
      --no-progress --json --chunk 64 > "$out/run.json"
  read -r rss wall < "$out/coord.rss"
  emit "{\"what\":\"coordinator_peak_rss\",\"entries\":$n,\"max_rss_kib\":$rss,\"wall_seconds\":$wall}"
done

# 3. Index writes and queries on 1 000 000 synthetic records.
# The hnsw graph over 1 M vectors takes ~15 min on 2 cores: MER_BENCH_ANN=0
# skips it (then --similar latency is not measured).
ann=(--ann)
[[ ${MER_BENCH_ANN:-1} == 0 ]] && ann=()
"$build/storage/mer_index_bench" --n 1000000 "${ann[@]}" > "$out/index_bench.txt"
emit "$(/usr/bin/python3 -c '
import json, sys; t = open(sys.argv[1]).read(); j = json.loads(t[t.index("{"):])
j["what"] = "index_bench"; print(json.dumps(j))' "$out/index_bench.txt")"
