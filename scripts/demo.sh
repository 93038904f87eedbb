#!/usr/bin/env bash
# The main job on a real default catalogue, from a fresh Debian machine:
# installs what is missing (including Debian's wesnoth-1.16-music, 41 Ogg
# Vorbis tracks), builds mer, then probes the catalogue and computes log-mel
# features of a few tracks.
#   scripts/demo.sh [OUT_DIR]     (default OUT_DIR: ./out/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/demo}
scripts/install-deps.sh --music
scripts/build.sh >/dev/null
mer=${BUILD_DIR:-build}/cli/mer
music=$(ls -d /usr/share/games/wesnoth/*/data/core/music | head -n 1)
mkdir -p "$out"

mapfile -t tracks < <(find "$music" -name '*.ogg' | sort)
echo "demo: catalogue $music: ${#tracks[@]} tracks"
echo "demo: mer probe (first 3 of ${#tracks[@]}):"
"$mer" probe "${tracks[@]}" > "$out/probe.jsonl"
head -n 3 "$out/probe.jsonl"
/usr/bin/python3 - "$out/probe.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in rows if "error" not in r]
print("demo: %d tracks probed, %d failed, %.1f minutes of audio"
      % (len(rows), len(rows) - len(ok), sum(r["duration"] for r in ok) / 60))
PY
for t in "${tracks[@]:0:3}"; do
  name=$(basename "$t" .ogg)
  "$mer" features "$t" --out "$out/$name.npy"
done
echo "demo: wrote probe.jsonl and log-mel .npy files to $out/"
