#!/usr/bin/env bash
# `mer features --descriptors` end to end: a C major and an A minor chord as
# MP3 files give the documented .npy + JSON pair, the right mode sign, and
# bad options exit 2 with one line on stderr.
#   features_descriptors_test.sh MER_BINARY
set -u
mer=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
chord() {  # name hz...
  local name=$1 expr="" f
  shift
  for f in "$@"; do expr+="${expr:++}0.2*sin(2*PI*$f*t)"; done
  ffmpeg -nostdin -v error -f lavfi -i "aevalsrc=$expr:s=44100:d=8" \
    -c:a libmp3lame -b:a 128k "$name.mp3" || exit 1
}
chord cmajor 261.63 329.63 392.00
chord aminor 220.00 261.63 329.63

failed=0
fail() { echo "FAIL $*"; failed=1; }
for c in cmajor aminor; do
  "$mer" features "$c.mp3" --out "$c.npy" --descriptors > out.txt 2> err.txt ||
    { fail "$c: exit $?: $(cat err.txt)"; continue; }
  [[ -s err.txt ]] && fail "$c: stderr: $(cat err.txt)"
  [[ -f $c.json ]] || fail "$c: no $c.json beside $c.npy"
done
# The files, read with the standard library only: the .npy header's shape
# against the JSON's rows, statistics names against values, the mode sign.
/usr/bin/python3 - <<'PY' || failed=1
import ast, json, struct, sys
ok = True
def check(cond, what):
    global ok
    if not cond:
        print("FAIL", what); ok = False
for name, sign in (("cmajor", 1), ("aminor", -1)):
    j = json.load(open(name + ".json"))
    raw = open(name + ".npy", "rb").read()
    check(raw[:6] == b"\x93NUMPY", name + ": not an .npy file")
    hlen = struct.unpack("<H", raw[8:10])[0]
    header = ast.literal_eval(raw[10:10 + hlen].decode())
    check(header["descr"] == "<f4", name + ": dtype " + header["descr"])
    shape = tuple(header["shape"])
    check(shape == tuple(j["shape"]),
          f"{name}: npy {shape} vs json {j['shape']}")
    check(shape[0] == len(j["rows"]) == 53, f"{name}: {shape[0]} rows, "
          f"{len(j['rows'])} names")
    check(len(raw) == 10 + hlen + 4 * shape[0] * shape[1], name + ": size")
    # 8 s at the default 16 kHz, hop 256: 1 + 128000 // 256 frames.
    check(shape[1] == 501, f"{name}: {shape[1]} frames")
    check(j["rows"][0] == "chroma_C" and j["rows"][-1] == "zcr",
          name + ": row names")
    s = j["statistics"]
    check(len(s["names"]) == len(s["values"]) == 2 * 53 + 4,
          name + ": statistics")
    st = dict(zip(s["names"], s["values"]))
    check(st["mode.track"] * sign > 0.02,
          f"{name}: mode.track {st['mode.track']}")
    check(all(v == v for v in s["values"]), name + ": NaN in statistics")
    check(j["descriptor_params"]["fmax"] == 7500, name + ": fmax")
    check(j["front_end"]["sample_rate"] == 16000, name + ": sample rate")
    print("ok  ", name, shape, "mode.track", round(st["mode.track"], 3))
sys.exit(0 if ok else 1)
PY

# Bad usage: exit 2, one line on stderr.
usage() {  # description args...
  local what=$1
  shift
  "$mer" features "$@" > /dev/null 2> err.txt
  local status=$?
  if [[ $status -ne 2 ]]; then
    fail "$what: exit $status, expected 2"
  elif [[ $(wc -l < err.txt) -ne 1 ]]; then
    fail "$what: $(wc -l < err.txt) lines on stderr"
  else
    echo "ok   $what: $(cat err.txt)"
  fi
}
usage "fmax without --descriptors" cmajor.mp3 --out x.npy --descriptor-fmax 5000
usage "fmax too low" cmajor.mp3 --out x.npy --descriptors --descriptor-fmax 100
usage "fmax not a number" cmajor.mp3 --out x.npy --descriptors \
  --descriptor-fmax abc
usage "value for a flag" cmajor.mp3 --out x.npy --descriptors=yes
usage "no --out" cmajor.mp3 --descriptors
# A missing file is a failure (1), not a usage error.
"$mer" features missing.mp3 --out x.npy --descriptors > /dev/null 2> err.txt
status=$?
[[ $status -eq 1 && $(wc -l < err.txt) -eq 1 ]] ||
  fail "missing file: exit $status, $(cat err.txt)"
"$mer" features --help | grep -q -- "--descriptors" || fail "--help"
exit $failed
