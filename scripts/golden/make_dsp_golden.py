#!/usr/bin/python3
"""Writes the reference files that tests/unit/dsp checks mer_dsp against.

The peer implementation is torchaudio (0.13, Debian's python3-torchaudio):
torchaudio.functional.melscale_fbanks for the filterbanks and
torchaudio.transforms.MelSpectrogram for log-mel spectrograms. Everything is
computed in float64 and stored as little-endian float32, so the files hold the
exact answer rounded once; the script also prints how far torchaudio's own
float32 path is from it, for scale.

Run from anywhere:  /usr/bin/python3 scripts/golden/make_dsp_golden.py
Needs the ffmpeg CLI and ../shared/data/4q-dev (relative to the repository).

Files written to tests/data/dsp/:
  clip_16k.f32            3 s of MT0000004637.mp3 from 5 s, mono 16 kHz PCM
  clip_22k.f32            1 s of the same, mono 22050 Hz PCM
  logmel_<case>.f32       log-mel dB, row-major [n_mels][n_frames]
  fbank_<case>.sparse     mel filterbank [n_mels][n_fft/2+1], sparse:
                            int32 n_mels, int32 n_freqs, then per filter
                            int32 start, int32 count, float32 weights[count]
                            (every weight outside [start, start+count) is 0)
  manifest.json           parameters (FrontEndParams JSON keys) and shapes
"""

import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch
import torchaudio

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(REPO, "tests", "data", "dsp")
SOURCE_MP3 = os.path.join(REPO, "..", "shared", "data", "4q-dev", "audio",
                          "MT0000004637.mp3")


def params(**kw):
    """Full FrontEndParams JSON (no digest) with the given overrides."""
    p = dict(sample_rate=16000, n_fft=512, win_length=0, hop_length=256,
             n_mels=96, fmin=0.0, fmax=0.0, mel_scale="slaney",
             mel_norm="slaney", center=True, pad_mode="reflect", top_db=0.0,
             segment_seconds=4.096, segment_hop_seconds=2.048)
    p.update(kw)
    return p


# Cases: each one filterbank and (where a clip is named) one log-mel.
CASES = {
    # The `default` preset.
    "default": (params(fmax=8000.0), "clip_16k.f32"),
    # The `librosa` preset: librosa.feature.melspectrogram's defaults.
    "librosa": (params(sample_rate=22050, n_fft=2048, hop_length=512,
                       n_mels=128, fmax=11025.0, segment_seconds=3.0,
                       segment_hop_seconds=1.5), "clip_22k.f32"),
    # HTK scale, no norm, a window shorter than the frame, zero padding.
    "htk": (params(win_length=400, hop_length=320, n_mels=40, fmin=20.0,
                   fmax=7600.0, mel_scale="htk", mel_norm="none",
                   pad_mode="constant"), "clip_16k.f32"),
}

CLIPS = {
    "clip_16k.f32": (16000, 3.0),
    "clip_22k.f32": (22050, 1.0),
}


def decode(sample_rate, seconds):
    cmd = ["ffmpeg", "-v", "error", "-ss", "5", "-t", str(seconds), "-i",
           SOURCE_MP3, "-ac", "1", "-ar", str(sample_rate), "-f", "f32le", "-"]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype="<f4").copy()


def fbank(p, dtype):
    torch.set_default_dtype(dtype)
    try:
        fb = torchaudio.functional.melscale_fbanks(
            n_freqs=p["n_fft"] // 2 + 1, f_min=p["fmin"],
            f_max=p["fmax"] or p["sample_rate"] / 2, n_mels=p["n_mels"],
            sample_rate=p["sample_rate"],
            norm=None if p["mel_norm"] == "none" else p["mel_norm"],
            mel_scale=p["mel_scale"])
    finally:
        torch.set_default_dtype(torch.float32)
    return fb.T.contiguous().numpy()  # torchaudio: [n_freqs, n_mels]


def write_sparse(path, fb):
    with open(path, "wb") as f:
        f.write(struct.pack("<ii", *fb.shape))
        for row in fb:
            nz = np.nonzero(row)[0]
            start, count = (int(nz[0]), int(nz[-1] - nz[0] + 1)) if len(nz) \
                else (0, 0)
            f.write(struct.pack("<ii", start, count))
            f.write(row[start:start + count].astype("<f4").tobytes())


def log_mel(p, pcm, dtype):
    # Built under the default dtype so its filterbank and window are computed
    # in `dtype` (.to(dtype) alone would only widen float32 weights).
    torch.set_default_dtype(dtype)
    t = torchaudio.transforms.MelSpectrogram(
        sample_rate=p["sample_rate"], n_fft=p["n_fft"],
        win_length=p["win_length"] or None, hop_length=p["hop_length"],
        f_min=p["fmin"], f_max=p["fmax"] or None, n_mels=p["n_mels"],
        window_fn=torch.hann_window, power=2.0, center=p["center"],
        pad_mode=p["pad_mode"],
        norm=None if p["mel_norm"] == "none" else p["mel_norm"],
        mel_scale=p["mel_scale"]).to(dtype)
    torch.set_default_dtype(torch.float32)
    s = t(torch.from_numpy(pcm).to(dtype))
    return (10.0 * torch.log10(torch.clamp(s, min=1e-10))).numpy()


def main():
    os.makedirs(OUT, exist_ok=True)
    pcm = {}
    for name, (sr, seconds) in CLIPS.items():
        pcm[name] = decode(sr, seconds)
        pcm[name].astype("<f4").tofile(os.path.join(OUT, name))
    manifest = {"source": "../shared/data/4q-dev/audio/MT0000004637.mp3",
                "clips": {}, "cases": {}}
    for name, (sr, seconds) in CLIPS.items():
        manifest["clips"][name] = {"sample_rate": sr, "start_seconds": 5,
                                   "samples": int(pcm[name].size)}
    for case, (p, clip) in CASES.items():
        fb = fbank(p, torch.float64)
        fb32 = fbank(p, torch.float32)
        write_sparse(os.path.join(OUT, f"fbank_{case}.sparse"), fb)
        entry = {"params": p, "fbank": f"fbank_{case}.sparse",
                 "fbank_shape": list(fb.shape),
                 "fbank_torch_f32_max_rel_diff":
                     float(np.abs(fb32 - fb).max() / np.abs(fb).max())}
        lm = log_mel(p, pcm[clip], torch.float64)
        lm32 = log_mel(p, pcm[clip], torch.float32)
        lm.astype("<f4").tofile(os.path.join(OUT, f"logmel_{case}.f32"))
        live = lm > -100.0
        entry.update({"clip": clip, "logmel": f"logmel_{case}.f32",
                      "logmel_shape": list(lm.shape),
                      "logmel_torch_f32_max_abs_diff_db":
                          float(np.abs(lm32 - lm)[live].max())})
        manifest["cases"][case] = entry
        print(case, json.dumps({k: v for k, v in entry.items()
                                if k != "params"}), file=sys.stderr)
    manifest["tools"] = {"torch": torch.__version__,
                         "torchaudio": torchaudio.__version__,
                         "numpy": np.__version__}
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
