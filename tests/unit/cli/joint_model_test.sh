#!/usr/bin/env bash
# The joint model, the mlp and their ensemble end to end, on real encoded
# files: `mer extract --descriptors` stores the 53 descriptor rows after each
# frame's log-mel; `mer train --descriptor-dim` trains a model with the
# descriptor branch, `--arch mlp` the classic one; their bundles carry the
# descriptor parameters, so `mer predict`, `mer eval` (from the shards and
# from the labels CSV, which recomputes the descriptors: both must agree)
# and `mer index` compute what they read; `mer train --fold-models` keeps
# each fold's model; `mer ensemble` combines them with
# a weight chosen on out-of-fold predictions, and its V-A is the weighted
# mean of its members'; a model without the branch trains on the same
# shards; bad combinations fail with one line.
#   joint_model_test.sh MER_BINARY
set -u
mer=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
failed=0
fail() { echo "FAIL $*"; failed=1; }

# 16 clips of 6 s in 4 classes (major or minor triad, fast or slow pulse),
# as MP3 and Ogg, and one file that is not audio.
mkdir audio
echo "path,quadrant,artist" > labels.csv
i=0
for q in Q1 Q2 Q3 Q4; do
  case $q in
    Q1) notes="261.63 329.63 392.00"; rate=6 ;;
    Q2) notes="261.63 311.13 369.99"; rate=7 ;;
    Q3) notes="220.00 261.63 329.63"; rate=1 ;;
    Q4) notes="261.63 329.63 392.00"; rate=1 ;;
  esac
  for k in 0 1 2 3; do
    expr=""
    for f in $notes; do
      f=$(awk -v f="$f" -v k="$k" 'BEGIN { print f * (1 + k / 12) }')
      expr+="${expr:++}0.15*sin(2*PI*$f*t)"
    done
    expr="($expr)*(0.6+0.4*sin(2*PI*$rate*t))"
    ext=$([ $((k % 2)) -eq 0 ] && echo mp3 || echo ogg)
    ffmpeg -nostdin -v error -f lavfi -i "aevalsrc=$expr:s=22050:d=6" \
      "audio/c$i.$ext" || exit 1
    echo "audio/c$i.$ext,$q,artist$((i / 2))" >> labels.csv
    i=$((i + 1))
  done
done
echo "not audio" > audio/broken.mp3
echo "audio/broken.mp3,Q1,artist99" >> labels.csv

"$mer" extract --data labels.csv --out shards --descriptors --no-progress \
  > extract.txt 2> extract.err || fail "extract --descriptors: exit $?: $(cat extract.err)"
grep -q broken.mp3 shards/failures.jsonl || fail "broken.mp3 not among the failures"
/usr/bin/python3 -c '
import json, sys
d = json.load(open("shards/dataset.json"))
sys.exit(0 if d["extracted"] == 16 and isinstance(d["descriptors"], dict) else 1)' ||
  fail "dataset.json: $(cat shards/dataset.json)"

small=(--channels 4,8,8,8 --rnn-hidden 8 --rnn-layers 1 --epochs 2 --batch-size 8
       --val-fraction 0 --threads 1 --no-progress)
# Each with a 2-fold CV first (out-of-fold predictions for the ensemble).
"$mer" train --data shards --descriptor-dim 4 "${small[@]}" --folds 2 \
  --metrics-dir joint.metrics --out joint.merm \
  > train.txt 2> train.err || fail "train --descriptor-dim: exit $?: $(tail -3 train.err)"
"$mer" train --data shards --arch mlp --descriptor-dim 8 --embedding-dim 8 \
  --epochs 2 --batch-size 8 --val-fraction 0 --threads 1 --no-progress \
  --folds 2 --metrics-dir plain.metrics --out plain.merm --fold-models folds \
  > plain.txt 2> plain.err || fail "train the mlp: $(tail -3 plain.err)"
# --fold-models keeps the model of each fold: on its held-out tracks it
# predicts what the CV scored (cv_predictions.csv).
/usr/bin/python3 - "$mer" <<'PY' || fail "--fold-models"
import csv, json, subprocess, sys
folds = {}
for r in csv.DictReader(open("plain.metrics/folds.csv")):
    folds.setdefault(int(r["fold"]), []).append(r["track_id"])
cv = {(int(r["fold"]), r["track_id"]): r for r in csv.DictReader(open("plain.metrics/cv_predictions.csv"))}
ok = sorted(folds) == [0, 1] and len(cv) == 16
for f, tracks in sorted(folds.items()):
    out = subprocess.run([sys.argv[1], "predict", "--model", "folds/mlp-fold%d.merm" % f, "--no-timeline"] + tracks,
                         capture_output=True, text=True)
    if out.returncode != 0:
        print("FAIL predict with folds/mlp-fold%d.merm: %s" % (f, out.stderr.strip())); sys.exit(1)
    for line in out.stdout.splitlines():
        p = json.loads(line)
        want = cv[(f, p["path"])]
        for k in ("valence", "arousal"):
            if abs(p[k] - float(want[k])) > 2e-4:
                print("FAIL fold %d %s %s: predict %s, CV %s" % (f, p["path"], k, p[k], want[k])); ok = False
sys.exit(0 if ok else 1)
PY
"$mer" train --data shards "${small[@]}" --out bands.merm \
  > bands.txt 2> bands.err || fail "train without the branch on descriptor shards: $(tail -3 bands.err)"
"$mer" predict --model bands.merm audio/c0.mp3 > bands-predict.txt 2>&1 ||
  fail "predict with the bands-only model: $(cat bands-predict.txt)"

# The ensemble of the joint model and the mlp, its weight chosen on the
# out-of-fold predictions.
"$mer" ensemble --out ens.merm --weight-grid 0.25,0.5,0.75 \
  --out-of-fold joint.metrics/cv_predictions.csv --out-of-fold plain.metrics/cv_predictions.csv \
  --json joint.merm plain.merm > ens.json 2> ens.err || fail "ensemble: $(cat ens.err)"
for m in joint plain ens; do
  "$mer" predict --model $m.merm audio/c3.ogg audio/c9.ogg > $m-pair.txt 2> err.txt ||
    fail "predict $m: $(cat err.txt)"
done

# The bundle names the descriptors; predict computes them.
"$mer" predict --model joint.merm audio/c0.mp3 audio/c5.ogg > predict.txt 2> predict.err ||
  fail "predict: exit $?: $(cat predict.err)"
for m in joint plain bands ens; do
  "$mer" export --model $m.merm --out $m-export > /dev/null 2>&1 ||
    fail "$m: export"
  "$mer" eval --model $m.merm --data shards --json > $m-shards.json 2> eval.err ||
    fail "$m: eval on the shards: $(cat eval.err)"
  "$mer" eval --model $m.merm --data labels.csv --json > $m-csv.json 2> eval.err ||
    fail "$m: eval on the labels CSV: $(cat eval.err)"
done
/usr/bin/python3 - <<'PY' || failed=1
import json
ok = True
def check(cond, what):
    global ok
    if not cond:
        print("FAIL", what); ok = False
lines = [json.loads(l) for l in open("predict.txt")]
check(len(lines) == 2, "predict: %d lines" % len(lines))
quadrant = {(True, True): "happy", (False, True): "tense", (False, False): "sad",
            (True, False): "calm"}
for p in lines:
    check(quadrant[(p["valence"] > 0, p["arousal"] > 0)] == p["quadrant"],
          "predict: V-A point outside the mood: %s" % p)
for m in ("joint", "plain", "ens"):
    s, c = json.load(open(m + "-shards.json")), json.load(open(m + "-csv.json"))
    check(s["tracks"] == 16 and c["tracks"] == 16,
          "%s eval: %s and %s tracks" % (m, s["tracks"], c["tracks"]))
    check(c["failed"] == 1, "%s eval on the CSV: %s failed, want broken.mp3" % (m, c["failed"]))
    # The descriptors computed from the CSV are the shards': same figures.
    for k in ("accuracy", "macro_f1"):
        check(abs(s[k] - c[k]) < 1e-9, "%s eval %s: shards %s, CSV %s" % (m, k, s[k], c[k]))
    check(s["va_mood_contradictions"] == 0, m + ": V-A/mood contradictions")
j = json.load(open("joint-export/model.json"))["manifest"]
check(isinstance(j.get("descriptors"), dict), "joint: no descriptors in the manifest")
check(j["config"]["descriptor_rows"] == 53 and j["config"]["descriptor_dim"] == 4,
      "joint: config %s" % j["config"])
j = json.load(open("bands-export/model.json"))["manifest"]
check("descriptors" not in j and "descriptor_dim" not in j["config"],
      "bands: the manifest names descriptors")
# The ensemble: weights from the grid, summing to 1; calibration fitted on
# the out-of-fold predictions; its V-A the weighted mean of its members'.
e = json.load(open("ens.json"))
w = e["weights"]
check(len(w) == 2 and w[0] in (0.25, 0.5, 0.75) and abs(sum(w) - 1) < 1e-6,
      "ensemble weights %s" % w)
check(e["calibration"]["fitted"] and len(e["cross_validation"]["macro_f1_per_fold"]) == 2,
      "ensemble: %s" % e)
j = json.load(open("ens-export/model.json"))["manifest"]
check(j["config"]["arch"] == "ensemble" and len(j["config"]["members"]) == 2 and
      isinstance(j.get("descriptors"), dict), "ensemble manifest: %s" % j["config"])
pairs = [[json.loads(l) for l in open(m + "-pair.txt")] for m in ("joint", "plain", "ens")]
for a, b, e in zip(*pairs):
    for k in ("valence", "arousal"):
        want = w[0] * a[k] + w[1] * b[k]
        check(abs(e[k] - want) < 2e-4, "ensemble %s = %s, members' weighted mean %s"
              % (k, e[k], want))
    check(quadrant[(e["valence"] > 0, e["arousal"] > 0)] == e["quadrant"],
          "ensemble: V-A point outside the mood: %s" % e)
raise SystemExit(0 if ok else 1)
PY

# The index job reads the bundle's descriptors too (here the ensemble's).
"$mer" index --catalogue audio --index idx --model ens.merm --no-progress \
  > index.txt 2> index.err
rc=$?
[[ $rc -eq 0 || $rc -eq 3 ]] || fail "index: exit $rc: $(tail -3 index.err)"
"$mer" query --index idx --stats --json > stats.json 2>&1 || fail "query --stats: $(cat stats.json)"
# Every quadrant's --box returns exactly its --mood's tracks (one emotion
# per track).
for q in "happy 0,1,0,1" "tense -1,0,0,1" "sad -1,0,-1,0" "calm 0,1,-1,0"; do
  set -- $q
  "$mer" query --index idx --mood "$1" --limit 100 --json > "mood-$1.json" 2>/dev/null
  "$mer" query --index idx --box "$2" --limit 100 --json > "box-$1.json" 2>/dev/null
done
/usr/bin/python3 - <<'PY' || failed=1
import json
ok = True
s = json.load(open("stats.json"))
want = json.load(open("ens-export/model.json"))["model_id"]
if (s["tracks"], s["failures"], s["model_id"]) != (16, 1, want):
    print("FAIL index stats: %s tracks, %s failures, model %s (want 16, 1, %s)"
          % (s["tracks"], s["failures"], s["model_id"], want)); ok = False
def ids(path):
    text = open(path).read().strip()
    if not text:
        return set()
    j = json.loads(text) if text.startswith("[") or text.startswith("{") and "\n" not in text else None
    rows = j if isinstance(j, list) else (j.get("tracks") or j.get("results") or []) if j else \
        [json.loads(l) for l in text.splitlines()]
    return {r["track_id"] for r in rows}
total = 0
for q in ("happy", "tense", "sad", "calm"):
    m, b = ids("mood-%s.json" % q), ids("box-%s.json" % q)
    total += len(m)
    if m != b:
        print("FAIL %s: --mood gives %s, --box %s" % (q, sorted(m), sorted(b))); ok = False
if total != 16:
    print("FAIL the moods hold %d tracks, want 16" % total); ok = False
raise SystemExit(0 if ok else 1)
PY

# Bad combinations: one line, non-zero exit.
"$mer" extract --data labels.csv --out plain-shards --no-progress > /dev/null 2>&1 ||
  true
"$mer" train --data plain-shards --descriptor-dim 4 "${small[@]}" --out x.merm \
  > /dev/null 2> err.txt && fail "train --descriptor-dim on shards without descriptors succeeded"
[[ $(wc -l < err.txt) -eq 1 ]] && grep -q -- "--descriptors" err.txt ||
  fail "train --descriptor-dim without descriptors: $(cat err.txt)"
"$mer" train --data shards --descriptor-dim -1 "${small[@]}" --out x.merm \
  > /dev/null 2> err.txt && fail "--descriptor-dim -1 accepted"
[[ $(wc -l < err.txt) -eq 1 ]] || fail "--descriptor-dim -1: $(cat err.txt)"
for args in "--out x.merm joint.merm" "--out x.merm --weights 1 joint.merm plain.merm" \
            "--out x.merm --weight-grid 0.5 joint.merm plain.merm" \
            "--out x.merm joint.merm missing.merm"; do
  # shellcheck disable=SC2086  # an option list
  "$mer" ensemble $args > /dev/null 2> err.txt && fail "ensemble $args succeeded"
  [[ $(wc -l < err.txt) -eq 1 ]] || fail "ensemble $args: $(cat err.txt)"
done
"$mer" extract --data labels.csv --out x --descriptor-fmax 6000 > /dev/null 2> err.txt &&
  fail "--descriptor-fmax without --descriptors accepted"
[[ $(wc -l < err.txt) -eq 1 ]] || fail "--descriptor-fmax alone: $(cat err.txt)"

[[ $failed -eq 0 ]] && echo "joint model: extract, train, predict, eval, index: ok"
exit $failed
