#!/usr/bin/python3
"""CTest `model_export`: `mer export` writes a model that plain PyTorch
rebuilds (scripts/python/mer_model.py) and runs to `mer predict`'s figures.

  export_test.py MER MAKE_BUNDLE SOURCE_DIR

For the shipped model and a random model of every architecture and head
(BatchNorm statistics randomised): `mer export`, then on two clips (one
real track, or a synthetic one without the wesnoth music, and one clip
shorter than a window) `mer predict` against mer_model.predict_track() on the
log-mel of `mer features`: quadrant equal; valence, arousal, their spread,
the quadrant probabilities and every timeline point within 1e-4 (mer prints
4 decimals, so up to 5e-5 of that is its rounding). Also: torch.load gives
exactly the tensors model.json lists, and bad command lines fail with one
line. Skips (exit 77, saying why) without torch; under CI=true that is a
failure instead.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

TOL = 1e-4


def skip(why):
    print("model_export: SKIP: %s (scripts/install-deps.sh --peers installs it)" % why)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)


try:
    import numpy as np
    import torch
except ImportError as e:
    skip("no %s for python3" % e.name)

mer, make_bundle, source = sys.argv[1:4]
sys.path.insert(0, os.path.join(source, "scripts", "python"))
import mer_model  # noqa: E402

torch.set_num_threads(1)
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)


def ffmpeg(out, *lavfi):
    r = run("ffmpeg", "-nostdin", "-loglevel", "error", "-y", *lavfi, out)
    if r.returncode != 0:
        skip("the ffmpeg CLI could not encode a clip: " + r.stderr.strip())


tmp = tempfile.mkdtemp(prefix="mer-export-", dir=os.environ.get("MER_TEST_TMPDIR"))
os.makedirs(tmp, exist_ok=True)

# Clips: the first 45 s of a real track (a synthetic one without the music)
# and 3 s, shorter than one 4.096 s window (mer repeats it).
clips = []  # (path, seconds of it that features and predict read)
music = sorted(glob.glob("/usr/share/games/wesnoth/*/data/core/music/*.ogg"))
if music:
    clips.append((music[0], 45))
else:
    print("model_export: no wesnoth music (install-deps.sh --music); a synthetic clip instead")
    path = os.path.join(tmp, "tones.ogg")
    ffmpeg(path, "-f", "lavfi", "-i", "sine=frequency=220:duration=45",
           "-f", "lavfi", "-i", "anoisesrc=d=45:c=pink:a=0.1",
           "-filter_complex", "amix=inputs=2,volume=2", "-ar", "44100")
    clips.append((path, 45))
short = os.path.join(tmp, "short.mp3")
ffmpeg(short, "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
       "-f", "lavfi", "-i", "anoisesrc=d=3:c=white:a=0.05",
       "-filter_complex", "amix=inputs=2", "-ar", "22050")
clips.append((short, 45))

# Models: the shipped one, and random ones covering every branch of the
# Python rebuild.
models = []
shipped = sorted(glob.glob(os.path.join(source, "models", "*.merm")))
models += [("shipped " + os.path.basename(m), m) for m in shipped]
configs = {
    "crnn-batchnorm-softmax-tags": {"input_norm": "batchnorm", "quadrant_head": "softmax",
                                    "num_tags": 5, "rnn_layers": 2},
    "cnn-stats": {"arch": "cnn", "channels": [8, 8, 8, 8, 8], "stats_dim": 8},
    "rnn": {"arch": "rnn", "rnn_layers": 2, "embedding_dim": 0},
    "pcrnn-pooled": {"arch": "pcrnn", "channels": [8, 8, 8, 8], "input_freq_pool": 2,
                     "input_time_pool": 2, "stats_dim": 8},
    "attn-lstm": {"arch": "attn-lstm", "channels": [8, 8]},
    "attn-lstm-no-conv": {"arch": "attn-lstm", "attn_conv_front": False, "channels": []},
    "crnn-descriptors": {"stats_dim": 8, "descriptor_rows": 53, "descriptor_dim": 8},
    "mlp-descriptors": {"arch": "mlp", "stats_dim": 8, "descriptor_rows": 53,
                        "descriptor_dim": 8, "embedding_dim": 8},
    "ensemble": {"arch": "ensemble", "member_weights": [0.7, 0.3], "members": [
        {"channels": [8, 16, 16, 16], "rnn_hidden": 16, "rnn_layers": 1,
         "descriptor_rows": 53, "descriptor_dim": 8},
        {"arch": "mlp", "stats_dim": 8, "embedding_dim": 8}]},
}
for i, (name, cfg) in enumerate(configs.items()):
    path = os.path.join(tmp, name + ".merm")
    r = run(make_bundle, path, 10 + i, json.dumps(cfg))
    check(r.returncode == 0, "make bundle %s: %s" % (name, r.stderr.strip()))
    if r.returncode == 0:
        models.append((name, path))

# Log-mel of each clip (every model here uses the default front end), and
# the log-mel with the default descriptors after the bands (the input of a
# model with a descriptor branch).
mels, joint = [], []
for i, (clip, seconds) in enumerate(clips):
    npy = os.path.join(tmp, "clip%d.npy" % i)
    r = run(mer, "features", clip, "--out", npy, "--duration", seconds)
    check(r.returncode == 0, "mer features %s: %s" % (clip, r.stderr.strip()))
    mels.append(np.load(npy) if r.returncode == 0 else None)
    dnpy = os.path.join(tmp, "clip%d-descriptors.npy" % i)
    r = run(mer, "features", clip, "--out", dnpy, "--duration", seconds, "--descriptors")
    check(r.returncode == 0, "mer features --descriptors %s: %s" % (clip, r.stderr.strip()))
    joint.append(np.concatenate([mels[-1], np.load(dnpy)])
                 if r.returncode == 0 and mels[-1] is not None else None)

compared = 0
for name, bundle in models:
    out = os.path.join(tmp, "export-" + name.replace(" ", "_"))
    r = run(mer, "export", "--model", bundle, "--out", out, "--json")
    check(r.returncode == 0, "mer export %s: %s" % (name, r.stderr.strip()))
    if r.returncode != 0:
        continue
    summary = json.loads(r.stdout)
    meta = json.load(open(os.path.join(out, "model.json")))
    state = torch.load(os.path.join(out, "weights.pt"))
    check(isinstance(state, dict) and all(torch.is_tensor(t) for t in state.values()),
          "%s: weights.pt is not a dict of tensors" % name)
    listed = {s["name"]: s["shape"] for s in meta["state"]}
    check({k: list(v.shape) for k, v in state.items()} == listed,
          "%s: weights.pt and model.json's state list differ" % name)
    check(summary["tensors"] == len(state) and summary["model_id"] == meta["model_id"],
          "%s: the --json summary disagrees with the files" % name)
    model, meta = mer_model.load(out)
    r = run(mer, "predict", "--model", bundle, "--threads", 1, "--max-seconds", 45,
            *(clip for clip, _ in clips))
    check(r.returncode == 0, "mer predict %s: %s" % (name, r.stderr.strip()))
    if r.returncode != 0:
        continue
    cfg = meta["manifest"]["config"]
    reads_descriptors = cfg.get("descriptor_rows", 0) > 0 or any(
        m.get("descriptor_rows", 0) > 0 for m in cfg.get("members", []))
    inputs = joint if reads_descriptors else mels
    for (clip, _), mel, line in zip(clips, inputs, r.stdout.splitlines()):
        if mel is None:
            continue
        ref = json.loads(line)
        got = mer_model.predict_track(model, meta, mel)
        what = "%s on %s" % (name, os.path.basename(clip))
        check(got["quadrant"] == ref["quadrant"],
              "%s: quadrant %s, mer says %s" % (what, got["quadrant"], ref["quadrant"]))
        check(got["segments"] == ref["segments"] == len(ref["timeline"]),
              "%s: %d windows, mer says %d" % (what, got["segments"], ref["segments"]))
        pairs = [(k, got[k], ref[k]) for k in ("valence", "arousal", "valence_std", "arousal_std")]
        pairs += [("p(%s)" % k, got["probabilities"][k], v) for k, v in ref["probabilities"].items()]
        for i, (a, b) in enumerate(zip(got["timeline"], ref["timeline"])):
            pairs += [("timeline[%d][%d]" % (i, j), a[j], b[j]) for j in range(3)]
        worst = max(pairs, key=lambda p: abs(p[1] - p[2]))
        check(abs(worst[1] - worst[2]) <= TOL,
              "%s: %s = %.6f, mer says %.6f" % (what, worst[0], worst[1], worst[2]))
        print("%-30s %-16s %3d windows, %3d values, worst |diff| %.1e (%s)"
              % (name, os.path.basename(clip), ref["segments"], len(pairs),
                 abs(worst[1] - worst[2]), worst[0]))
        compared += 1

# Bad command lines: one line on stderr, exit 2 (usage) or 1 (the work).
for args, code in ((["export", "--out", tmp], 2), (["export", "--model", models[0][1]], 2),
                   (["export", "--model", os.path.join(tmp, "missing.merm"), "--out", tmp], 1),
                   (["export", "--model", short, "--out", tmp], 1)):
    r = run(mer, *args)
    check(r.returncode == code and len(r.stderr.strip().splitlines()) == 1,
          "mer %s: exit %d, want %d, stderr %r" % (" ".join(args), r.returncode, code, r.stderr))

check(compared == len(models) * len(clips), "compared %d model x clip pairs, want %d"
      % (compared, len(models) * len(clips)))
if failures:
    print("model_export: %d failure(s)" % len(failures))
    sys.exit(1)
subprocess.run(["rm", "-rf", tmp])
print("model_export: %d models x %d clips equal `mer predict` within %g" %
      (len(models), len(clips), TOL))
