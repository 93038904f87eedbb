#!/usr/bin/env bash
# Benchmark of `mer index` in one run (results: JSON lines on stdout, and
# OUT/index-bench.jsonl):
#  1. audio-seconds per CPU- and wall-second of `mer index` on real music
#     (Debian's wesnoth music, 41 tracks), one rank in-process and 2 and 3
#     ranks under mpirun, with the system-time share; beside it, on the same
#     files and with the exact same model (`mer export`), the Python peers
#     of scripts/bench/index.py: "strong" (in-process FFmpeg decode,
#     torchaudio log-mel, windows batched across tracks, decode overlapped
#     with the model) and "plain" (ffmpeg CLI per file, one pass per track),
#     and the ffmpeg CLI decode alone. Then the model's forward pass alone:
#     mer_model_bench (fused, as `mer index` runs it, and unfused) against
#     scripts/bench/model.py (PyTorch), same windows, batch and threads.
#     The last line holds the ratios.
#  2. coordinator (rank 0) peak RSS with 1 000 and 100 000 catalogue entries
#     (synthetic manifests; the entries name files that do not exist, so every
#     track fails at once in a worker and the run measures the coordinator's
#     scan/schedule/write path, not the model);
#  3. index writes/s and query latency p50/p99 on 1 000 000 synthetic records
#     (mer_index_bench).
#   scripts/bench/index.sh [OUT_DIR]   (default out/bench-index)
#   MER_BENCH_QUICK=1 scripts/bench/index.sh   part 1 only (a few minutes)
# Model: $MER_MODEL, else models/mer-4q-crnn.merm (the log-mel model the
# Python peers can run: the ensemble's descriptors have no Python peer),
# else a random test bundle (mer_make_test_bundle; timing only). BUILD_DIR:
# default build.
# Every Python peer runs with the environment mer gives itself
# (common/core/allocator.h: malloc tuning, OMP_WAIT_POLICY=PASSIVE,
# OPENBLAS_NUM_THREADS=1, GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mxfast=0) and
# OMP_NUM_THREADS = its torch threads.
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

model=${MER_MODEL:-models/mer-4q-crnn.merm}
if [[ ! -f "$model" ]]; then
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

# 1b/1c. mer index, one rank in-process (the laptop path), then 2 and 3
# ranks under mpirun (1 and 2 workers beside the coordinator), then one
# rank with --precision bfloat16 (scripts/bench/precision-4q.sh checks its
# labels against float32), fresh index each, and the strong Python peer with the exact model (`mer export`) on
# the same files: interleaved, MER_BENCH_REPEAT rounds (default 3), one row
# per run. The ratios take each configuration's best (least) wall and CPU
# time over the rounds: on a shared virtual machine one run can take a
# third longer than the next, never shorter than the work needs. The plain
# peer runs once (it is context, not a target).
threads=$(nproc)
repeat=${MER_BENCH_REPEAT:-3}
"$mer" export --model "$model" --out "$out/export" > /dev/null
peer_env=(env MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824
          OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mxfast=0
          OMP_NUM_THREADS=$threads)
# A peer's row: the whole process (interpreter, imports and model load
# included, as mer's rows include its start-up), the figure the ratios use;
# and "inside_*": the script's own clock from its first file to its last.
peer() {  # peer MODE ROUND
  timed "${peer_env[@]}" /usr/bin/python3 scripts/bench/index.py --export "$out/export" --mode "$1" \
      --threads "$threads" --batch 32 --records "$out/peer-$1.jsonl" "${files[@]}" > "$out/py.json"
  emit "$(/usr/bin/python3 -c '
import json, sys; j = json.load(open(sys.argv[1]))
j["inside_wall_seconds"], j["inside_cpu_seconds"] = j.pop("wall_seconds"), j.pop("cpu_seconds")
wall, cpu, sys_s = (float(x) for x in sys.argv[3:6])
j.update(what="python_peer", round=int(sys.argv[2]), wall_seconds=wall, cpu_seconds=cpu,
         system_share=round(sys_s / cpu, 3), tracks_per_second=j["tracks"] / wall,
         audio_seconds_per_cpu_second=j["audio_seconds"] / cpu,
         audio_seconds_per_wall_second=j["audio_seconds"] / wall); print(json.dumps(j))' \
      "$out/py.json" "$2" "$wall" "$cpu" "$sys")"
}
for round in $(seq 1 "$repeat"); do
  # "1b": one rank with --precision bfloat16 (the conv layers in bfloat16).
  for np in 1 2 3 1b; do
    rm -rf "$out/idx-$np"
    launch=("${mpi[@]}" -np "${np%b}")
    [[ ${np%b} == 1 ]] && launch=()
    precision=float32
    [[ $np == *b ]] && precision=bfloat16
    timed "${launch[@]}" "$mer" index --catalogue "$music" --model "$model" \
        --index "$out/idx-$np" --no-progress --json --precision "$precision" > "$out/run.json"
    emit "$(/usr/bin/python3 - "$out/run.json" "$wall" "$cpu" "${np%b}" "$sys" "$round" "$precision" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); wall, cpu, np_, sys_s = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
a = j["audio_hours"] * 3600
print(json.dumps({"what": "mer_index", "ranks": np_, "precision": sys.argv[7], "round": int(sys.argv[6]), "workers": j.get("workers"),
                  "tracks": j["indexed"], "failed": j["failed"], "audio_seconds": a, "wall_seconds": wall,
                  "cpu_seconds": cpu, "system_seconds": sys_s, "system_share": round(sys_s / cpu, 3),
                  "tracks_per_second": j["indexed"] / wall,
                  "audio_seconds_per_cpu_second": a / cpu, "audio_seconds_per_wall_second": a / wall}))
PY
)"
  done
  peer strong "$round"
done
peer plain 1

# 1d. The model's forward pass alone: 1 thread and all cores.
"$mer" features "${files[0]}" --out "$out/mel.npy" > /dev/null
for t in 1 "$threads"; do
  for variant in "" --no-fuse "--precision bfloat16"; do
    emit "$("$build/cli/mer_model_bench" --model "$model" --mel "$out/mel.npy" --threads "$t" \
        --batch 32 --seconds 8 $variant)"
  done
  emit "$("${peer_env[@]}" OMP_NUM_THREADS=$t /usr/bin/python3 scripts/bench/model.py \
      --export "$out/export" --mel "$out/mel.npy" --threads "$t" --batch 32 --seconds 8)"
done

# 1e. Ratios (mer over peer), and whether the peer labelled the tracks as
# the index did.
emit "$(/usr/bin/python3 - "$results" "$out/idx-1" "$mer" "$out/peer-strong.jsonl" "$out/idx-1b" <<'PY'
import json, os, subprocess, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def best(runs):  # least wall and least CPU time over the rounds
    b = dict(min(runs, key=lambda r: r["cpu_seconds"]))
    b["wall_seconds"] = min(r["wall_seconds"] for r in runs)
    b["audio_seconds_per_cpu_second"] = b["audio_seconds"] / b["cpu_seconds"]
    b["audio_seconds_per_wall_second"] = b["audio_seconds"] / b["wall_seconds"]
    return b
mer = {n: best([r for r in rows if r["what"] == "mer_index" and r["ranks"] == n
                 and r["precision"] == "float32"]) for n in (1, 2, 3)}
bf16 = best([r for r in rows if r["what"] == "mer_index" and r["precision"] == "bfloat16"])
peer = {m: best([r for r in rows if r["what"] == "python_peer" and r["mode"] == m]) for m in ("strong", "plain")}
fwd = [r for r in rows if r["what"] in ("mer_model", "pytorch_model")]
def per(r, k): return r["audio_seconds_per_%s_second" % k]
out = {"what": "ratios",
       "mer_over_strong_peer_per_cpu_second": per(mer[1], "cpu") / per(peer["strong"], "cpu"),
       "mer_over_strong_peer_per_wall_second": per(mer[1], "wall") / per(peer["strong"], "wall"),
       "mer_over_strong_peer_inside_per_cpu_second":
           per(mer[1], "cpu") / (peer["strong"]["audio_seconds"] / min(
               r["inside_cpu_seconds"] for r in rows if r.get("mode") == "strong")),
       "mer_over_strong_peer_inside_per_wall_second":
           per(mer[1], "wall") / (peer["strong"]["audio_seconds"] / min(
               r["inside_wall_seconds"] for r in rows if r.get("mode") == "strong")),
       "mer_bfloat16_over_strong_peer_per_cpu_second": per(bf16, "cpu") / per(peer["strong"], "cpu"),
       "mer_bfloat16_over_strong_peer_per_wall_second": per(bf16, "wall") / per(peer["strong"], "wall"),
       "mer_over_plain_peer_per_cpu_second": per(mer[1], "cpu") / per(peer["plain"], "cpu"),
       "np1_wall_over_np2_wall": mer[1]["wall_seconds"] / mer[2]["wall_seconds"],
       "np3_wall_over_np2_wall": mer[3]["wall_seconds"] / mer[2]["wall_seconds"],
       "mer_system_share_np1": mer[1]["system_share"],
       "best_of_rounds": max(r["round"] for r in rows if r["what"] == "mer_index"),
       "mer_np1_audio_seconds_per_cpu_second": per(mer[1], "cpu"),
       "mer_np1_audio_seconds_per_wall_second": per(mer[1], "wall"),
       "mer_np1_bfloat16_audio_seconds_per_cpu_second": per(bf16, "cpu"),
       "mer_np1_bfloat16_audio_seconds_per_wall_second": per(bf16, "wall"),
       "strong_peer_audio_seconds_per_cpu_second": per(peer["strong"], "cpu"),
       "strong_peer_audio_seconds_per_wall_second": per(peer["strong"], "wall")}
for t in sorted({r["threads"] for r in fwd}):
    m = [r for r in fwd if r["what"] == "mer_model" and r["threads"] == t]
    py = [r for r in fwd if r["what"] == "pytorch_model" and r["threads"] == t][0]
    for r in m:
        kind = ("unfused" if not r["fuse"] else
                "fused_bfloat16" if r.get("precision") == "bfloat16" else "fused")
        key = "model_forward_%s_over_pytorch_%d_threads" % (kind, t)
        out[key + "_per_cpu_second"] = per(r, "cpu") / per(py, "cpu")
        out[key + "_per_wall_second"] = per(r, "wall") / per(py, "wall")
def records(idx):
    q = subprocess.run([sys.argv[3], "query", "--index", idx, "--box", "-1,1,-1,1", "--json",
                        "--limit", "100000"], capture_output=True, text=True).stdout
    return {json.loads(l)["track_id"]: json.loads(l) for l in q.splitlines()}
f32, b16 = records(sys.argv[2]), records(sys.argv[5])
index = {k: r["mood"] for k, r in f32.items()}
out["bfloat16_same_mood_as_float32"] = "%d of %d" % (
    sum(1 for k, r in f32.items() if k in b16 and b16[k]["mood"] == r["mood"]), len(f32))
out["bfloat16_max_va_difference"] = max(
    max(abs(b16[k]["valence"] - r["valence"]), abs(b16[k]["arousal"] - r["arousal"]))
    for k, r in f32.items() if k in b16)
recs = [json.loads(l) for l in open(sys.argv[4])]
same = sum(1 for r in recs if index.get(os.path.basename(r["path"])) == r["quadrant"])
out["strong_peer_same_mood_as_index"] = "%d of %d" % (same, len(recs))
print(json.dumps(out))
PY
)"

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
