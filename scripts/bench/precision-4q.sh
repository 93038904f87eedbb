#!/usr/bin/env bash
# What `--precision bfloat16` (the conv layers in bfloat16) does to the
# labels, against float32, with the same model on the same tracks:
#  1. the 720 4q-dev clips (`mer eval` with the lexicon V-A targets): macro-F1,
#     ECE and V-A Pearson r of each precision, and per track the largest V and
#     A difference and how many moods changed;
#  2. music the model never saw (Debian's wesnoth Oggs, `mer predict`): the
#     same per-track differences.
# The issue's bound: macro-F1 within 0.005, V-A within 0.01 of float32.
# Prints one JSON line per part and a verdict line; exit 1 past the bound.
#   scripts/bench/precision-4q.sh [OUT_DIR]   (default out/bench-precision)
# MER_MODEL (default models/mer-4q-crnn.merm), DATA (default
# ../shared/data/4q-dev), LEXICON, BUILD_DIR (default build).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
out=${1:-out/bench-precision}
mer=${BUILD_DIR:-build}/cli/mer
model=${MER_MODEL:-models/mer-4q-crnn.merm}
data=${DATA:-$here/../shared/data/4q-dev}
lexicon=${LEXICON:-$data/../lexicon/Ratings_Warriner_et_al.csv}
mkdir -p "$out"
[[ -x $mer ]] || { echo "precision-4q: build mer first ($mer not found)" >&2; exit 2; }

for p in float32 bfloat16; do
  "$mer" eval --model "$model" --data "$data/labels.csv" --lexicon "$lexicon" \
      --precision "$p" --predictions "$out/dev-$p.csv" --json --no-progress > "$out/dev-$p.json"
done
music=$(ls -d /usr/share/games/wesnoth/*/data/core/music 2>/dev/null | head -n 1 || true)
if [[ -n $music ]]; then
  mapfile -t files < <(find "$music" -name '*.ogg' | sort)
  for p in float32 bfloat16; do
    "$mer" predict --model "$model" --precision "$p" --no-timeline "${files[@]}" > "$out/other-$p.jsonl"
  done
else
  echo "precision-4q: no wesnoth music (apt install wesnoth-music); part 2 skipped" >&2
fi

/usr/bin/python3 - "$out" <<'PY'
import csv, json, os, sys
out = sys.argv[1]
def diffs(a, b):  # {id: (valence, arousal, mood)} twice
    dv = [abs(a[k][0] - b[k][0]) for k in a]
    da = [abs(a[k][1] - b[k][1]) for k in a]
    return {"tracks": len(a), "max_valence_difference": max(dv), "max_arousal_difference": max(da),
            "mean_valence_difference": sum(dv) / len(dv), "mean_arousal_difference": sum(da) / len(da),
            "moods_changed": sum(1 for k in a if a[k][2] != b[k][2])}
dev = {}
for p in ("float32", "bfloat16"):
    j = json.load(open(os.path.join(out, "dev-%s.json" % p)))
    rows = {r["track_id"]: (float(r["valence"]), float(r["arousal"]), r["predicted"])
            for r in csv.DictReader(open(os.path.join(out, "dev-%s.csv" % p)))}
    dev[p] = (j, rows)
f, b = dev["float32"][0], dev["bfloat16"][0]
part1 = {"what": "4q_dev", **diffs(dev["float32"][1], dev["bfloat16"][1])}
for k in ("macro_f1", "ece"):
    part1[k] = {"float32": f[k], "bfloat16": b[k], "difference": b[k] - f[k]}
for k in ("valence", "arousal"):
    if isinstance(f.get(k), dict) and "pearson" in f[k]:
        part1[k + "_pearson_r"] = {"float32": f[k]["pearson"], "bfloat16": b[k]["pearson"],
                                   "difference": b[k]["pearson"] - f[k]["pearson"]}
print(json.dumps(part1))
worst = max(part1["max_valence_difference"], part1["max_arousal_difference"])
if os.path.exists(os.path.join(out, "other-float32.jsonl")):
    other = {}
    for p in ("float32", "bfloat16"):
        other[p] = {}
        for l in open(os.path.join(out, "other-%s.jsonl" % p)):
            r = json.loads(l)
            if "error" not in r:
                other[p][os.path.basename(r["path"])] = (r["valence"], r["arousal"], r["quadrant"])
    part2 = {"what": "wesnoth", **diffs(other["float32"], other["bfloat16"])}
    print(json.dumps(part2))
    worst = max(worst, part2["max_valence_difference"], part2["max_arousal_difference"])
ok = abs(part1["macro_f1"]["difference"]) <= 0.005 and worst <= 0.01
print(json.dumps({"what": "verdict", "macro_f1_difference": part1["macro_f1"]["difference"],
                  "max_va_difference": worst, "within_bounds": ok}))
sys.exit(0 if ok else 1)
PY
