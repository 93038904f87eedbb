#!/usr/bin/env python3
"""Repeated artist-grouped CV on 4q-dev: mer's rows against two classic peers
on the very same folds.

Peers (scikit-learn RBF SVMs, standardised inputs, C=10):
  * log-mel/MFCC statistics: every band's mean, spread and mean |delta| of the
    log-mel in mer's shards and of its first 20 MFCCs;
  * descriptor statistics: the track statistics of `mer features
    --descriptors` (chroma, key and mode, tonal centroid, harmonic change,
    dissonance, onsets, tempo, pulse clarity, loudness, spectral shape and
    contrast, MFCCs, ZCR), computed once per clip and cached.

For every seed the script reads the folds mer used (folds.csv) and mer's
per-fold figures (report.json of `mer train --folds`), fits the peers on
each training side and scores them on the test side, then prints mean +-
spread over all folds x seeds of macro-F1, paired differences and t against
each peer, valence and arousal Pearson r (mer, lexicon targets) and the
cross-fitted expected calibration error (mer), with the issue's targets.
"""
import argparse
import concurrent.futures as cf
import csv
import glob
import hashlib
import json
import math
import os
import struct
import subprocess
import tempfile

import numpy as np
from scipy.fft import dct
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def read_shards(folder, targets=None):
    """track_id -> (log-mel [n_mels, n_frames], path). Descriptor rows after
    the bands (`mer extract --descriptors`) are left out. `targets`, a dict,
    receives track_id -> (valence, arousal) labels where the shard has them."""
    tracks = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.mershard"))):
        with open(path, "rb") as f:
            head = f.read(64)
            assert head[:8] == b"MERSHRD1", path
            data_off, _, n_rows = struct.unpack("<QQI", head[8:28])
            idx_off, idx_bytes = struct.unpack("<QQ", head[32:48])
            f.seek(idx_off)
            index = json.loads(f.read(idx_bytes))
        n_mels = n_rows - index.get("descriptor_rows", 0)
        data = np.memmap(path, dtype="<f4", mode="r", offset=data_off,
                         shape=((idx_off - data_off) // 4,))
        for t in index["tracks"]:
            n = t["n_frames"]
            if targets is not None and t.get("valence") is not None:
                targets[t["track_id"]] = (t["valence"], t["arousal"])
            rows = np.asarray(data[t["offset"]: t["offset"] + n_rows * n])
            tracks[t["track_id"]] = (rows.reshape(n_rows, n)[:n_mels], t["path"])
    return tracks


def logmel_stats(mel):
    mfcc = dct(mel, type=2, axis=0, norm="ortho")[:20]
    out = []
    for m in (mel, mfcc):
        d = (np.abs(np.diff(m, axis=1)).mean(axis=1) if m.shape[1] > 1
             else np.zeros(m.shape[0]))
        out += [m.mean(axis=1), m.std(axis=1), d]
    return np.concatenate(out)


def descriptor_stats(mer, paths, cache, jobs):
    """path -> track-statistics vector of `mer features --descriptors`."""
    have = json.load(open(cache)) if os.path.exists(cache) else {}
    todo = [p for p in paths if p not in have]
    if todo:
        print(f"quality-4q: descriptors of {len(todo)} clips "
              f"({jobs} at a time)...", flush=True)
    tmp = tempfile.mkdtemp(prefix="mer-quality-desc-")

    def one(i_path):
        i, path = i_path
        out = os.path.join(tmp, f"{i}.npy")
        r = subprocess.run([mer, "features", path, "--out", out,
                            "--descriptors", "--json"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{path}: {r.stderr.strip()}")
        j = json.loads(r.stdout)
        os.remove(out)
        return path, j["statistics"]["values"], j["statistics"]["names"]

    names = None
    with cf.ThreadPoolExecutor(jobs) as ex:
        for path, values, names in ex.map(one, enumerate(todo)):
            have[path] = values
    if todo:
        with open(cache, "w") as f:
            json.dump(have, f)
    return {p: np.asarray(have[p], dtype=np.float64) for p in paths}


def svm_fold_f1(X, y, fold):
    f1 = []
    for f in range(fold.max() + 1):
        clf = make_pipeline(StandardScaler(), SVC(C=10, gamma="scale"))
        clf.fit(X[fold != f], y[fold != f])
        f1.append(f1_score(y[fold == f], clf.predict(X[fold == f]),
                           average="macro"))
    return f1


SIGNS = np.array([(1, 1), (-1, 1), (-1, -1), (1, -1)])  # happy tense sad calm


def mood_of(v, a):
    return np.where(v > 0, np.where(a > 0, 0, 3), np.where(a > 0, 1, 2))


def fit_scale(x, sign):
    """The k maximising sum log sigmoid(k * sign * x), k in [0.1, 100] (as
    mer's FitVaCalibration)."""
    grid = np.exp(np.linspace(np.log(0.1), np.log(100), 400))
    ll = [-np.logaddexp(0, -k * sign * x).sum() for k in grid]
    return grid[int(np.argmax(ll))]


def read_oof(run):
    """track_id -> (fold, quadrant, valence, arousal): the out-of-fold
    predictions of a `mer train --folds` run (its first architecture)."""
    rows, arch = {}, None
    for r in csv.DictReader(open(os.path.join(run, "cv_predictions.csv"))):
        arch = arch or r["arch"]
        if r["arch"] == arch:
            rows[r["track_id"]] = (int(r["fold"]), int(r["quadrant"]),
                                   float(r["valence"]), float(r["arousal"]))
    return rows


def ensemble_folds(oofs, targets, grid):
    """Two runs' out-of-fold V-A averaged with weight w on the first: for
    each outer fold, w is chosen from `grid` by macro-F1 on the other folds
    (never on the fold scored), then the fold is scored with it. Returns
    per-fold macro-F1, V and A Pearson r, chosen weights, and the ECE of
    calibration scales fitted on the other folds."""
    ids = sorted(set(oofs[0]) & set(oofs[1]))
    assert all(oofs[0][i][0] == oofs[1][i][0] for i in ids), "other folds"
    fold = np.array([oofs[0][i][0] for i in ids])
    y = np.array([oofs[0][i][1] for i in ids])
    va = [np.array([[o[i][2], o[i][3]] for i in ids]) for o in oofs]
    tva = np.array([targets.get(i, (np.nan, np.nan)) for i in ids])
    f1s, vr, ar, ws, conf, correct = [], [], [], [], [], []
    for f in range(fold.max() + 1):
        inner = fold != f
        def score(w, mask):
            p = w * va[0][mask] + (1 - w) * va[1][mask]
            return f1_score(y[mask], mood_of(p[:, 0], p[:, 1]), average="macro")
        w = max(grid, key=lambda w: score(w, inner))
        ws.append(w)
        p = w * va[0] + (1 - w) * va[1]
        f1s.append(score(w, ~inner))
        ok = ~inner & ~np.isnan(tva[:, 0])
        vr.append(np.corrcoef(p[ok, 0], tva[ok, 0])[0, 1])
        ar.append(np.corrcoef(p[ok, 1], tva[ok, 1])[0, 1])
        kv = fit_scale(p[inner, 0], SIGNS[y[inner], 0])
        ka = fit_scale(p[inner, 1], SIGNS[y[inner], 1])
        m = mood_of(p[~inner, 0], p[~inner, 1])
        pv = 1 / (1 + np.exp(-kv * SIGNS[m, 0] * p[~inner, 0]))
        pa = 1 / (1 + np.exp(-ka * SIGNS[m, 1] * p[~inner, 1]))
        conf += list(pv * pa)
        correct += list(m == y[~inner])
    conf, correct = np.array(conf), np.array(correct)
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = sum(abs(correct[bins == b].mean() - conf[bins == b].mean()) *
              (bins == b).sum() for b in range(10) if (bins == b).any()) / len(conf)
    return f1s, vr, ar, ws, ece


def paired_t(a, b):
    d = np.asarray(a) - np.asarray(b)
    sd = d.std(ddof=1)
    if sd == 0:
        return (float("inf") if d.mean() else 0.0), len(d) - 1
    return d.mean() / (sd / math.sqrt(len(d))), len(d) - 1


def fmt(v):
    return f"{np.mean(v):.3f} +- {np.std(v, ddof=1):.3f}" if len(v) > 1 else (
        f"{v[0]:.3f}" if v else "-")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shards", required=True)
    ap.add_argument("--run", action="append", required=True,
                    help="a `mer train --folds` metrics dir (one per "
                    "seed); LABEL=DIR names a variant's rows apart")
    ap.add_argument("--mer", required=True, help="the mer binary")
    ap.add_argument("--cache", required=True,
                    help="JSON cache of the descriptor statistics")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", help="also write the table as JSON here")
    ap.add_argument("--ensemble", action="append", default=[],
                    help="A+B: a row for the ensemble of the runs labelled A "
                    "and B (LABEL=DIR), their out-of-fold V-A averaged with a "
                    "weight chosen on the other folds from --weight-grid")
    ap.add_argument("--weight-grid", default="0.25,0.375,0.5,0.625,0.75",
                    help="the weights on A an ensemble row chooses from")
    a = ap.parse_args()
    targets = {}
    shards = read_shards(a.shards, targets)
    ids = sorted(shards)
    desc = descriptor_stats(a.mer, [shards[i][1] for i in ids], a.cache,
                            a.jobs)
    X = {"log-mel": {i: logmel_stats(shards[i][0]) for i in ids},
         "descriptor": {i: desc[shards[i][1]] for i in ids}}
    # name -> {"f1": {fold key: F1}, "valence_r": [...], ...}; a fold key
    # is (digest of the fold assignment, fold), so rows pair on equal folds
    # and the peers are fitted once per assignment.
    rows = {}
    assignments = set()
    labelled = {}  # (label, digest) -> run folder
    for run in a.run:
        label = ""
        if "=" in run:  # LABEL=DIR: a variant's rows, named apart
            label, run = run.split("=", 1)
            label = f" [{label}]"
        text = open(os.path.join(run, "folds.csv")).read()
        digest = hashlib.sha1(text.encode()).hexdigest()[:12]
        folds = list(csv.DictReader(text.splitlines()))
        tid = [r["track_id"] for r in folds]
        y = np.array([int(r["quadrant"]) for r in folds])
        fold = np.array([int(r["fold"]) for r in folds])
        if digest not in assignments:
            assignments.add(digest)
            for peer, feats in X.items():
                Xp = np.stack([feats[t] for t in tid])
                r = rows.setdefault(f"svm peer ({peer} stats)", {"f1": {}})
                for f, v in enumerate(svm_fold_f1(Xp, y, fold)):
                    r["f1"][(digest, f)] = v
        labelled[(label.strip(" []"), digest)] = run
        rep = json.load(open(os.path.join(run, "report.json")))
        for row in rep["cv"]["rows"]:
            r = rows.setdefault(f"mer {row['arch']}{label}", {
                "f1": {}, "valence_r": [], "arousal_r": [], "ece": []})
            for f in row["folds"]:
                r["f1"][(digest, f["fold"])] = f["macro_f1"]
                for axis in ("valence", "arousal"):
                    if axis in f and f[axis].get("pearson") is not None:
                        r[f"{axis}_r"].append(f[axis]["pearson"])
            if "calibration" in row:
                r["ece"].append(row["calibration"]["ece"])
    grid = [float(w) for w in a.weight_grid.split(",")]
    for spec in a.ensemble:
        first, second = spec.split("+")
        for digest in sorted(assignments):
            if (first, digest) not in labelled or (second, digest) not in labelled:
                continue
            oofs = [read_oof(labelled[(l, digest)]) for l in (first, second)]
            f1s, vr, ar, ws, ece = ensemble_folds(oofs, targets, grid)
            r = rows.setdefault(f"mer ensemble [{spec}]", {
                "f1": {}, "valence_r": [], "arousal_r": [], "ece": [],
                "weights": []})
            for f, v in enumerate(f1s):
                r["f1"][(digest, f)] = v
            r["valence_r"] += vr
            r["arousal_r"] += ar
            r["ece"].append(ece)
            r["weights"] += ws
            print(f"ensemble {spec}: weights on {first} chosen per fold on "
                  f"the other folds: {ws}")
    peers = [n for n in rows if n.startswith("svm peer")]
    print(f"artist-grouped CV on 4q-dev: {len(assignments)} fold "
          f"assignment(s) (seeds); every row is paired with the peers on "
          f"the folds it ran; mean +- spread over its folds")
    print("| model                          | folds | macro-F1        | "
          "vs log-mel SVM      | vs descriptor SVM   | valence r       "
          "| arousal r       | ECE             |")
    print("|" + "|".join(["-" * 32, "-" * 7, "-" * 17] + ["-" * 21] * 2 +
                         ["-" * 17] * 3) + "|")
    out = {}
    for name, r in rows.items():
        keys = sorted(r["f1"])
        f1 = [r["f1"][k] for k in keys]
        cmp = []
        for peer in peers:
            if name in peers:
                cmp.append("")
                continue
            other = [rows[peer]["f1"][k] for k in keys]
            t, dof = paired_t(f1, other)
            cmp.append(f"{np.mean(f1) - np.mean(other):+.3f} (t={t:.2f})")
        print(f"| {name:<30} | {len(f1):>5} | {fmt(f1):<15} | {cmp[0]:<19} | "
              f"{cmp[1]:<19} | {fmt(r.get('valence_r', [])):<15} | "
              f"{fmt(r.get('arousal_r', [])):<15} | "
              f"{fmt(r.get('ece', [])):<15} |")
        out[name] = {k: ([float(x) for x in v] if isinstance(v, list) else
                         {f"{d}/{f}": float(x) for (d, f), x in v.items()})
                     for k, v in r.items()}
    print("targets: macro-F1 >= log-mel SVM + 0.06 and >= descriptor SVM "
          "+ 0.02; valence r >= 0.70, arousal r >= 0.85; ECE <= 0.05")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
