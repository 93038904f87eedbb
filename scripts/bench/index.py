#!/usr/bin/python3
"""Peer pipelines for scripts/bench/index.sh: the work of `mer index` per
track, in Python, with the exact model `mer index` runs (from `mer export`,
rebuilt by scripts/python/mer_model.py), timed on the same files.

  index.py --export DIR [--mode strong|plain] [--threads N] [--batch B]
           [--records OUT.jsonl] FILE...

strong (default): in-process decode and resampling to the model's rate
  (torchaudio's FFmpeg StreamReader; torchaudio.load + resample where this
  torchaudio has no FFmpeg), torchaudio log-mel with the model's front-end
  parameters, mer's windows, and windows batched across tracks (B per
  forward pass, as mer does); the next track is decoded on a second thread
  while the model runs, and every track aggregated as mer aggregates it.
plain: the ffmpeg CLI per file (mono float32 at the model's rate through a
  pipe), the same log-mel and model, one forward pass per track.

Prints one JSON line: mode, tracks, audio_seconds, wall_seconds,
cpu_seconds (this process and its children), threads, decoder.
--records writes each track's quadrant, valence and arousal (after the
timing), so the run can be checked against the index mer wrote.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torchaudio

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import mer_model  # noqa: E402


class FrontEnd:
    """The model's front end in torchaudio (power mel, 10 log10)."""

    def __init__(self, fe):
        if fe.get("top_db", 0) or fe.get("win_length", 0) not in (0, fe["n_fft"]):
            raise SystemExit("index.py: front end %r is not modelled here" % fe)
        self.rate = fe["sample_rate"]
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=self.rate, n_fft=fe["n_fft"], hop_length=fe["hop_length"],
            f_min=fe["fmin"], f_max=fe["fmax"] or None, n_mels=fe["n_mels"],
            center=fe["center"], pad_mode=fe["pad_mode"], power=2.0,
            norm="slaney" if fe["mel_norm"] == "slaney" else None,
            mel_scale=fe["mel_scale"])

    def __call__(self, pcm):
        return 10 * torch.log10(torch.clamp(self.mel(pcm), min=1e-10))


def decoder_in_process(rate):
    try:
        from torchaudio.io import StreamReader

        def decode(path):
            s = StreamReader(path)
            s.add_audio_stream(frames_per_chunk=-1, filter_desc="aresample=%d,aformat="
                               "sample_fmts=flt:channel_layouts=mono" % rate)
            s.process_all_packets()
            (chunk,) = s.pop_chunks()
            return chunk[:, 0].contiguous()
        return decode, "torchaudio.io.StreamReader (FFmpeg)"
    except (ImportError, RuntimeError):
        def decode(path):
            pcm, sr = torchaudio.load(path)
            return torchaudio.functional.resample(pcm.mean(0), sr, rate)
        return decode, "torchaudio.load + resample"


def decode_cli(rate):
    def decode(path):
        out = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path,
                              "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"],
                             capture_output=True, check=True).stdout
        return torch.from_numpy(np.frombuffer(out, dtype=np.float32).copy())
    return decode, "ffmpeg CLI"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--export", required=True, help="folder written by `mer export`")
    ap.add_argument("--mode", choices=("strong", "plain"), default="strong")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: its default)")
    ap.add_argument("--batch", type=int, default=32, help="windows per forward pass (strong)")
    ap.add_argument("--records", help="write path, quadrant, valence, arousal per track")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    model, meta = mer_model.load(a.export)
    fe = meta["manifest"]["front_end"]
    front_end = FrontEnd(fe)
    frames, hop, _ = mer_model.window_plan(meta)
    decode, decoder = (decoder_in_process if a.mode == "strong" else decode_cli)(fe["sample_rate"])

    def features(path):  # decode + log-mel + windows of one track
        pcm = decode(path)
        x, starts = mer_model.windows(front_end(pcm).numpy(), frames, hop)
        return len(pcm) / fe["sample_rate"], x, starts

    t0, c0, k0 = time.time(), time.process_time(), os.times()
    audio, tracks = 0.0, []
    with torch.inference_mode():
        if a.mode == "plain":
            for path in a.files:
                seconds, x, starts = features(path)
                audio += seconds
                tracks.append(mer_model.aggregate(meta, *mer_model.run_windows(model, x), starts))
        else:
            # Windows of several tracks share a batch; a track is aggregated
            # once all its windows have run. The next track decodes on a
            # second thread while the model runs.
            pending = []  # (starts, n windows left to run, outputs so far)
            queue, rows = [], 0  # windows waiting for a full batch

            def run_batch(final=False):
                nonlocal queue, rows
                while rows >= a.batch or (final and rows > 0):
                    take, taken = [], 0
                    while queue and taken < a.batch:
                        owner, x = queue[0]
                        n = min(len(x), a.batch - taken)
                        take.append((owner, x[:n]))
                        taken += n
                        if n == len(x):
                            queue.pop(0)
                        else:
                            queue[0] = (owner, x[n:])
                    rows -= taken
                    probs, va, emb = mer_model.run_windows(
                        model, np.concatenate([x for _, x in take]))
                    at = 0
                    for owner, x in take:
                        owner["outputs"].append((probs[at:at + len(x)], va[at:at + len(x)],
                                                 emb[at:at + len(x)]))
                        owner["left"] -= len(x)
                        at += len(x)
                    while pending and pending[0]["left"] == 0:
                        t = pending.pop(0)
                        p, v, e = (np.concatenate(z) for z in zip(*t["outputs"]))
                        tracks.append(mer_model.aggregate(meta, p, v, e, t["starts"]))

            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                ahead = pool.submit(features, a.files[0])
                for i in range(len(a.files)):
                    seconds, x, starts = ahead.result()
                    if i + 1 < len(a.files):
                        ahead = pool.submit(features, a.files[i + 1])
                    audio += seconds
                    owner = {"starts": starts, "left": len(x), "outputs": []}
                    pending.append(owner)
                    queue.append((owner, x))
                    rows += len(x)
                    run_batch()
                run_batch(final=True)
    k1 = os.times()
    cpu = (time.process_time() - c0) + (k1.children_user - k0.children_user) + \
        (k1.children_system - k0.children_system)
    if len(tracks) != len(a.files):
        raise SystemExit("index.py: %d tracks aggregated of %d" % (len(tracks), len(a.files)))
    if a.records:
        with open(a.records, "w") as f:
            for path, t in zip(a.files, tracks):  # both in file order
                f.write(json.dumps({"path": path, "quadrant": t["quadrant"],
                                    "valence": t["valence"], "arousal": t["arousal"]}) + "\n")
    print(json.dumps({"mode": a.mode, "tracks": len(tracks), "audio_seconds": audio,
                      "wall_seconds": time.time() - t0, "cpu_seconds": cpu,
                      "threads": torch.get_num_threads(), "batch": a.batch,
                      "decoder": decoder}))


if __name__ == "__main__":
    main()
