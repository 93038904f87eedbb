#!/usr/bin/env python3
"""Classic peer on mer's folds: per-clip log-mel and MFCC statistics (mean,
std, mean absolute delta) + RBF SVM (scikit-learn), artist-grouped folds read
from mer's folds.csv; prints its per-fold macro-F1 next to mer's CV rows
(report.json of `mer train --folds`) with paired t-tests."""
import argparse, glob, json, math, os, struct

import numpy as np
from scipy.fft import dct
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def read_shards(folder):
    tracks = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.mershard"))):
        with open(path, "rb") as f:
            head = f.read(64)
            assert head[:8] == b"MERSHRD1", path
            data_off, _, n_mels = struct.unpack("<QQI", head[8:28])
            idx_off, idx_bytes = struct.unpack("<QQ", head[32:48])
            f.seek(idx_off)
            index = json.loads(f.read(idx_bytes))
        data = np.memmap(path, dtype="<f4", mode="r", offset=data_off)
        for t in index["tracks"]:
            n = t["n_frames"]
            mel = np.asarray(data[t["offset"]: t["offset"] + n_mels * n]).reshape(n_mels, n)
            tracks[t["track_id"]] = mel
    return tracks


def features(mel):
    mfcc = dct(mel, type=2, axis=0, norm="ortho")[:20]
    out = []
    for m in (mel, mfcc):
        d = np.abs(np.diff(m, axis=1)).mean(axis=1) if m.shape[1] > 1 else np.zeros(m.shape[0])
        out += [m.mean(axis=1), m.std(axis=1), d]
    return np.concatenate(out)


def paired_t(a, b):
    d = np.asarray(a) - np.asarray(b)
    n = len(d)
    sd = d.std(ddof=1)
    if sd == 0:
        return float("inf") if d.mean() else 0.0, n - 1
    return d.mean() / (sd / math.sqrt(n)), n - 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shards", required=True)
    ap.add_argument("--folds-csv", required=True)
    ap.add_argument("--report", action="append", default=[])
    a = ap.parse_args()
    mels = read_shards(a.shards)
    import csv
    rows = list(csv.DictReader(open(a.folds_csv)))
    X = np.stack([features(mels[r["track_id"]]) for r in rows])
    y = np.array([int(r["quadrant"]) for r in rows])
    fold = np.array([int(r["fold"]) for r in rows])
    k = fold.max() + 1
    peer = []
    for f in range(k):
        clf = make_pipeline(StandardScaler(), SVC(C=10, gamma="scale"))
        clf.fit(X[fold != f], y[fold != f])
        peer.append(f1_score(y[fold == f], clf.predict(X[fold == f]), average="macro"))
    table = [("svm peer (log-mel/MFCC stats)", peer)]
    for path in a.report:
        rep = json.load(open(path))
        for row in rep["cv"]["rows"]:
            name = row["arch"] + (" (shipped settings)" if "best" in path else "")
            table.append((name, [f["macro_f1"] for f in row["folds"]]))
    print(f"{k}-fold artist-grouped CV on 4q-dev, macro-F1 per fold, same folds for every row")
    print("| model                          | macro-F1 mean +- std | vs peer (paired t)   |")
    print("|--------------------------------|----------------------|----------------------|")
    for name, v in table:
        cmp = ""
        if name != table[0][0] and len(v) == len(peer):
            t, dof = paired_t(v, peer)
            cmp = f"{np.mean(v) - np.mean(peer):+.3f}, t={t:.2f} (dof {dof})"
        print(f"| {name:<30} | {np.mean(v):.3f} +- {np.std(v, ddof=1):.3f}       | {cmp:<20} |")


if __name__ == "__main__":
    main()
