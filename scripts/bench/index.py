#!/usr/bin/env python3
"""Peer pipeline for scripts/bench/index.sh: the same work as `mer index`
per track in Python -- ffmpeg CLI decode (mono float32 at the model's rate),
torchaudio log-mel (the default front end: 16 kHz, n_fft 512, hop 256, 96
mels, Slaney), 4.096 s segments every 2.048 s, and a small PyTorch CRNN of
the same shape as the test bundle (4 conv blocks collapsing frequency, GRU,
heads) with random weights -- timed on the same files.

  index.py FILE...   prints one JSON line: tracks, audio_seconds, wall, cpu
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torchaudio

SR, N_FFT, HOP, N_MELS = 16000, 512, 256, 96
SEG, SEG_HOP = 256, 128  # frames


class Crnn(torch.nn.Module):
    def __init__(self, channels=(8, 16, 16, 16), pools=(2, 3, 4, 4), hidden=16):
        super().__init__()
        layers, c_in = [], 1
        for c, p in zip(channels, pools):
            layers += [torch.nn.Conv2d(c_in, c, 3, padding=1), torch.nn.BatchNorm2d(c),
                       torch.nn.ELU(), torch.nn.MaxPool2d((p, 2))]
            c_in = c
        self.conv = torch.nn.Sequential(*layers)
        self.gru = torch.nn.GRU(c_in, hidden, batch_first=True)
        self.embed = torch.nn.Linear(hidden, 16)
        self.quadrant = torch.nn.Linear(16, 4)
        self.va = torch.nn.Linear(16, 2)

    def forward(self, x):  # [B, mels, frames] dB
        x = ((x + 40) / 40).unsqueeze(1)
        x = self.conv(x).squeeze(2).transpose(1, 2)  # [B, T, C]
        h, _ = self.gru(x)
        e = torch.nn.functional.elu(self.embed(h[:, -1]))
        return torch.softmax(self.quadrant(e), 1), self.va(e), e


def decode(path):
    out = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path,
                          "-ac", "1", "-ar", str(SR), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype=np.float32)


def main():
    torch.manual_seed(1)
    model = Crnn().eval()
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS,
        norm="slaney", mel_scale="slaney", power=2.0)
    t0, c0 = time.time(), time.process_time()
    child0 = os.times()
    audio = 0.0
    with torch.no_grad():
        for path in sys.argv[1:]:
            pcm = torch.from_numpy(decode(path).copy())
            audio += len(pcm) / SR
            db = 10 * torch.log10(torch.clamp(mel(pcm), min=1e-10))
            n = db.shape[1]
            starts = range(0, max(1, n - SEG + 1), SEG_HOP) if n >= SEG else [0]
            segs = torch.stack([db[:, s:s + SEG] if n >= SEG else db.repeat(1, SEG // n + 1)[:, :SEG]
                                for s in starts])
            for b in range(0, len(segs), 64):
                model(segs[b:b + 64])
    child1 = os.times()
    wall = time.time() - t0
    cpu = (time.process_time() - c0) + (child1.children_user - child0.children_user) + \
          (child1.children_system - child0.children_system)
    print(json.dumps({"tracks": len(sys.argv) - 1, "audio_seconds": audio,
                      "wall_seconds": wall, "cpu_seconds": cpu,
                      "torch_threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
