#!/usr/bin/env bash
# Throughput and latency of `mer serve` under closed-loop keep-alive clients
# (mer_serve_bench), in one run (results: a markdown table on stdout, JSON
# lines in OUT/serve-bench.jsonl):
#  1. POST /api/v1/search by mood, by V-A box (0.2 x 0.2), nearest to a point
#     and similar_to a random track, 64 clients, on a synthetic index of N
#     records made by mer_index_bench --ann (made once in --index, reused
#     when it holds N records and a fresh similarity graph);
#  2. POST /api/v1/by-example with a 30 s Ogg clip (cut from Debian's wesnoth
#     music with the ffmpeg CLI), 4 clients, on a real index (--real-index,
#     made by scripts/demo.sh) served with the shipped model: the model's id
#     must match the index's, which a synthetic index cannot.
# Load generator and server share the machine's cores, so the figures are a
# floor on what the server alone would do; each JSON line carries the CPU
# seconds of both.
#
#   scripts/bench/serve.sh [--n 1000000] [--seconds 10] [--clients 64]
#                          [--example-seconds 30] [--example-clients 4]
#                          [--index DIR] [--real-index DIR] [OUT_DIR]
#
# OUT_DIR: default out/bench-serve. --index: default OUT_DIR/index-N (1 M
# records take about 20 min of CPU to make, most of it the hnsw graph).
# --real-index: default out/demo/index; without it the by-example row is
# skipped. Environment: BUILD_DIR (default build), MER_MODEL (default
# models/mer-4q-crnn.merm, else the first models/*.merm), PORT (default: a
# free one), SERVE_THREADS (mer serve --threads, default 64).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=1000000 seconds=10 clients=64 example_seconds=30 example_clients=4
index="" real_index=out/demo/index out=out/bench-serve
while [[ $# -gt 0 ]]; do
  case $1 in
    --n) n=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --example-seconds) example_seconds=$2; shift 2 ;;
    --example-clients) example_clients=$2; shift 2 ;;
    --index) index=$2; shift 2 ;;
    --real-index) real_index=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "serve.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
index=${index:-$out/index-$n}
build=${BUILD_DIR:-build}
mer=$build/cli/mer
bench=$build/service/mer_serve_bench
index_bench=$build/storage/mer_index_bench
threads=${SERVE_THREADS:-64}
model=${MER_MODEL:-models/mer-4q-crnn.merm}
[[ -f $model ]] || model=$(ls models/*.merm 2>/dev/null | head -n 1 || true)
[[ -x $mer && -x $bench && -x $index_bench ]] || scripts/build.sh >/dev/null
mkdir -p "$out"
results="$out/serve-bench.jsonl"
: > "$results"

# The servers this script started; stopped on any exit.
server_pid=""
stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

# The index is reused when `mer query --stats` finds N records and a fresh
# similarity graph (an interrupted build has fewer, or a stale graph).
index_complete() {
  [[ -f $1/CURRENT ]] && "$mer" query --index "$1" --stats --json 2>/dev/null |
    /usr/bin/python3 -c 'import json, sys; j = json.load(sys.stdin)
sys.exit(0 if j["tracks"] == int(sys.argv[1]) and j["ann_fresh"] else 1)' "$2"
}
if ! index_complete "$index" "$n"; then
  if [[ -e $index && ! -f $index/CURRENT ]]; then
    echo "serve.sh: $index exists and is not an index; choose another --index" >&2
    exit 1
  fi
  echo "serve.sh: making a synthetic index of $n records in $index (mer_index_bench --ann)" >&2
  rm -rf "$index"
  "$index_bench" --n "$n" --ann --dir "$index" --keep --queries 100 > "$out/index-bench.json"
  index_complete "$index" "$n" || { echo "serve.sh: $index is incomplete after mer_index_bench" >&2; exit 1; }
fi
# mer_index_bench names record i "trk%012zu" (SyntheticTrack), i in [0, N).
ids="$out/ids-$n.txt"
if [[ ! -s $ids ]]; then
  awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "trk%012d\n", i }' > "$ids.tmp"
  mv "$ids.tmp" "$ids"
fi
for id in "$(head -n 1 "$ids")" "$(tail -n 1 "$ids")"; do
  "$mer" query --index "$index" --track "$id" --json > /dev/null 2>&1 \
    || { echo "serve.sh: track $id is not in $index: the ids of mer_index_bench changed?" >&2; exit 1; }
done

# Starts mer serve on $1 (index) with the options after it; waits until
# /api/v1/stats answers.
port=${PORT:-$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
url=http://127.0.0.1:$port
start_server() {
  local dir=$1; shift
  "$mer" serve --index "$dir" --listen "127.0.0.1:$port" --threads "$threads" --quiet "$@" \
    > "$out/serve.log" 2>&1 &
  server_pid=$!
  local t0=$SECONDS
  until curl -sf -o /dev/null "$url/api/v1/stats"; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      wait "$server_pid" || true
      server_pid=""
      echo "serve.sh: mer serve --index $dir exited:" >&2; tail -n 20 "$out/serve.log" >&2; exit 1
    fi
    (( SECONDS - t0 < 600 )) || { echo "serve.sh: mer serve did not answer in 600 s" >&2; exit 1; }
    sleep 0.5
  done
  echo "serve.sh: mer serve --index $dir answered after $((SECONDS - t0)) s" >&2
}

# CPU seconds (user + system) used so far by process $1.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

# Runs mer_serve_bench with $1 = index label and the rest as its options;
# appends its line, with the CPU seconds of server and client, to $results.
run_bench() {
  local label=$1; shift
  local server0; server0=$(cpu_of "$server_pid")
  /usr/bin/time -f '%U %S' -o "$out/time.txt" "$bench" --url "$url" "$@" > "$out/run.json"
  local server1; server1=$(cpu_of "$server_pid")
  read -r usr sys < "$out/time.txt"
  /usr/bin/python3 - "$out/run.json" "$label" "$server0" "$server1" "$usr" "$sys" <<'PY' | tee -a "$results"
import json, sys
j = json.load(open(sys.argv[1]))
s0, s1, usr, sys_ = map(float, sys.argv[3:7])
print(json.dumps({"what": "mer_serve", "index": sys.argv[2], **j,
                  "server_cpu_s": round(s1 - s0, 2), "client_cpu_s": round(usr + sys_, 2)}))
PY
}

# 1. Search on the synthetic index.
start_server "$index"
tracks=$(curl -sf "$url/api/v1/stats" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["tracks"])')
for kind in mood box near similar; do
  run_bench "synthetic $tracks" --kind "$kind" --clients "$clients" --seconds "$seconds" --ids-file "$ids"
done
rss_synthetic=$(awk '/VmHWM/ { print $2 " " $3 }' "/proc/$server_pid/status")
stop_server

# 2. By-example on the real index with the shipped model.
rss_real=""
if [[ -f $real_index/CURRENT && -n $model ]]; then
  music=$(ls -d /usr/share/games/wesnoth/*/data/core/music | head -n 1)
  source=$(find "$music" -name '*.ogg' | sort | head -n 1)
  clip="$out/clip-30s.ogg"
  ffmpeg -nostdin -loglevel error -y -t 30 -i "$source" -vn -c:a libvorbis -q:a 4 "$clip"
  start_server "$real_index" --model "$model"
  tracks=$(curl -sf "$url/api/v1/stats" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["tracks"])')
  run_bench "real $tracks" --kind example --clients "$example_clients" \
    --seconds "$example_seconds" --body-file "$clip"
  rss_real=$(awk '/VmHWM/ { print $2 " " $3 }' "/proc/$server_pid/status")
  stop_server
else
  echo "serve.sh: no by-example row: no index in $real_index (scripts/demo.sh makes one) or no model" >&2
fi

# The table.
echo
echo "mer serve --threads $threads; mer_serve_bench on the same machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
echo
/usr/bin/python3 - "$results" <<'PY'
import json, sys
print("| kind | index (tracks) | clients | requests | req/s | p50 ms | p99 ms | errors |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for line in open(sys.argv[1]):
    j = json.loads(line)
    print(f"| {j['kind']} | {j['index']} | {j['clients']} | {j['requests']} | {j['rps']:.0f} | "
          f"{j['p50_ms']:.2f} | {j['p99_ms']:.2f} | {j['errors']} |")
PY
echo
echo "server peak RSS: ${rss_synthetic} (synthetic index)${rss_real:+, $rss_real (real index, with model)}; JSON lines: $results"
