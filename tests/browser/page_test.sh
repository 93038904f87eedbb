#!/usr/bin/env bash
# CTest `browser_page`: the web page in a real headless Chromium against the
# real `mer serve` on an index the real `mer index` made of files encoded by
# the ffmpeg CLI. Screenshots land in OUT_DIR (page.png, track.png).
#
#   tests/browser/page_test.sh MER MAKE_BUNDLE NODE_MODULES OUT_DIR
#
# Skips (exit 77, saying why) only when Chromium or puppeteer-core is not
# installed (scripts/install-deps.sh --browser installs both); under CI
# (CI=true) their absence is a failure instead.
set -euo pipefail
mer=$1 make_bundle=$2 node_modules=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}

skip() {
  echo "browser_page: SKIP: $1 (scripts/install-deps.sh --browser installs it)"
  if [[ "${CI:-}" == "true" ]]; then exit 1; fi
  exit 77
}
[[ -x "$chromium" ]] || skip "no Chromium at $chromium"
command -v node >/dev/null || skip "no node"
[[ -f "$node_modules/puppeteer-core/package.json" ]] || skip "no puppeteer-core in $node_modules"
command -v ffmpeg >/dev/null || skip "no ffmpeg CLI"

mkdir -p "${MER_TEST_TMPDIR:-/tmp}"
tmp=$(mktemp -d "${MER_TEST_TMPDIR:-/tmp}/mer-browser-XXXXXX")
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/cat" "$out"

# Twelve clips of tones over noise, in several codecs, one name with a space.
i=0
for name in a.ogg b.mp3 c.flac d.wav "sub/e f.ogg" g.m4a h.mp3 i.ogg j.flac k.ogg l.mp3 m.ogg; do
  mkdir -p "$(dirname "$tmp/cat/$name")"
  ffmpeg -nostdin -loglevel error -y \
    -f lavfi -i "sine=frequency=$((150 + 70 * i)):duration=$((10 + i % 5))" \
    -f lavfi -i "anoisesrc=color=pink:amplitude=0.$((1 + i % 4)):seed=$i:duration=$((10 + i % 5))" \
    -filter_complex amix=inputs=2 "$tmp/cat/$name"
  i=$((i + 1))
done
"$make_bundle" "$tmp/model.merm" > /dev/null
"$mer" index --catalogue "$tmp/cat" --model "$tmp/model.merm" --index "$tmp/index" \
  --no-progress --decode-threads 1 --model-threads 1 > "$tmp/index.log" 2>&1 ||
  { cat "$tmp/index.log"; exit 1; }

"$mer" serve --index "$tmp/index" --model "$tmp/model.merm" --listen 127.0.0.1:0 \
  --quiet 2> "$tmp/serve.log" &
server=$!
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/serve.log")
  [[ -n "$port" ]] && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/serve.log"; exit 1; }
  sleep 0.1
done
[[ -n "$port" ]] || { echo "browser_page: mer serve did not start"; cat "$tmp/serve.log"; exit 1; }

CHROMIUM=$chromium NODE_PATH=$node_modules \
  node "$here/page_test.js" "http://127.0.0.1:$port" "$tmp/cat/c.flac" "$out"
echo "browser_page: screenshots in $out"
