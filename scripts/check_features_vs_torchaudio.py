#!/usr/bin/python3
"""Checks `mer features` against torchaudio on the same decoded audio.

For each FILE: runs `mer features FILE --save-audio PCM.npy --out MEL.npy`,
computes torchaudio's MelSpectrogram(norm="slaney", mel_scale="slaney",
center=True, pad_mode="reflect", power=2) + 10*log10(max(S, 1e-10)) on PCM.npy
with the same preset, and compares the bins above -100 dB:
99.9 % within 1e-3 dB and every bin within 0.01 dB.

The reference is torchaudio run in float64 (transform built under float64, so
its filterbank and window are double too): mer's STFT and mel projection run
in double. torchaudio's float32 path is printed beside it for information: on
bins 110+ dB under their frame's peak (MP3s low-passed below Nyquist) float32
rounding alone moves it by a few hundredths of a dB.

  check_features_vs_torchaudio.py --mer build/cli/mer [--preset P] FILE...
Exit status 0 when every file passes, 1 otherwise, 77 when torchaudio is
missing (the CTest wrapper reports that as a skip with the reason).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torchaudio
except ImportError as e:  # pragma: no cover
    print("SKIP: needs python3-numpy, python3-torch and python3-torchaudio (%s)" % e)
    sys.exit(77)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--mer", required=True, help="path of the mer binary")
    ap.add_argument("--preset", default="default")
    ap.add_argument("--duration", type=float, default=0, help="seconds per file (0 = all)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for f in args.files:
            mel_path, pcm_path = os.path.join(tmp, "mel.npy"), os.path.join(tmp, "pcm.npy")
            cmd = [args.mer, "features", f, "--out", mel_path, "--save-audio", pcm_path,
                   "--preset", args.preset, "--json", "--duration", str(args.duration)]
            info = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            fe = info["front_end"]
            ours = np.load(mel_path)
            pcm = torch.from_numpy(np.load(pcm_path))
            kwargs = dict(
                sample_rate=fe["sample_rate"], n_fft=fe["n_fft"],
                win_length=fe["win_length"] or fe["n_fft"], hop_length=fe["hop_length"],
                f_min=fe["fmin"], f_max=fe["fmax"] or fe["sample_rate"] / 2, n_mels=fe["n_mels"],
                norm="slaney" if fe["mel_norm"] == "slaney" else None, mel_scale=fe["mel_scale"],
                center=fe["center"], pad_mode=fe["pad_mode"], power=2.0)
            t = torchaudio.transforms.MelSpectrogram(**kwargs)
            with torch.no_grad():
                ref32 = (10.0 * torch.log10(torch.clamp(t(pcm), min=1e-10))).numpy()
                torch.set_default_dtype(torch.float64)
                t64 = type(t)(**kwargs)
                torch.set_default_dtype(torch.float32)
                ref = (10.0 * torch.log10(torch.clamp(t64(pcm.double()), min=1e-10))).numpy()
            if ref.shape != ours.shape:
                print("FAIL %s: shape %s, torchaudio %s" % (f, ours.shape, ref.shape))
                failed += 1
                continue
            mask = ref > -100.0
            diff = np.abs(ours - ref)[mask]
            within = float(np.mean(diff <= 1e-3)) if diff.size else 1.0
            worst = float(diff.max()) if diff.size else 0.0
            d32 = np.abs(ours - ref32)[mask]
            ok = within >= 0.999 and worst <= 0.01
            failed += not ok
            print("%s %s: %s bins (%d above -100 dB) vs torchaudio float64: %.4f %% within 1e-3 dB, "
                  "max |diff| %.5f dB; vs float32: %.4f %%, max %.5f dB"
                  % ("ok  " if ok else "FAIL", os.path.basename(f), "x".join(map(str, ours.shape)),
                     int(mask.sum()), 100 * within, worst, 100 * float(np.mean(d32 <= 1e-3)),
                     float(d32.max()) if d32.size else 0.0))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
