#!/usr/bin/python3
"""torchaudio's log-mel throughput on one thread for mer's presets (60 s of
noise each, best of 10), to compare with build/tests/unit/dsp/dsp_bench."""

import time

import torch
import torchaudio

PRESETS = [  # name, sample_rate, n_fft, hop, n_mels, fmax
    ("default", 16000, 512, 256, 96, 8000),
    ("librosa", 22050, 2048, 512, 128, 11025),
    ("paper2019", 44100, 256, 128, 96, 22050),
]

torch.set_num_threads(1)
for name, sr, n_fft, hop, n_mels, fmax in PRESETS:
    x = torch.rand(sr * 60) - 0.5
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels, f_min=0,
        f_max=fmax, norm="slaney", mel_scale="slaney", center=True,
        pad_mode="reflect", power=2.0)
    with torch.inference_mode():
        run = lambda: 10 * torch.log10(torch.clamp(mel(x), min=1e-10))
        run()
        best = 1e9
        for _ in range(10):
            t0 = time.perf_counter()
            s = run()
            best = min(best, time.perf_counter() - t0)
    print(f"torchaudio {name}: {s.shape[-1]} frames: {best * 1e3:.2f} ms "
          f"({best * 1e6 / s.shape[-1]:.3f} us/frame)")
