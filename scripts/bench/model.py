#!/usr/bin/python3
"""Peer of mer_model_bench: the same model (from `mer export`), the same
windows of the same log-mel, the same batch and threads, in PyTorch.

  model.py --export DIR --mel LOG_MEL.npy [--threads N] [--batch B] [--seconds S]

Prints one JSON object like mer_model_bench's.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import mer_model  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--export", required=True)
    ap.add_argument("--mel", required=True)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    model, meta = mer_model.load(a.export)
    frames, hop, spf = mer_model.window_plan(meta)
    x, _ = mer_model.windows(np.load(a.mel), frames, hop)
    batches = [x[i:i + a.batch] for i in range(0, len(x) - a.batch + 1, a.batch)]
    if not batches:
        raise SystemExit("model.py: fewer windows than one batch")
    with torch.inference_mode():
        for b in batches[:2]:
            mer_model.run_windows(model, b)
        done, t0, c0 = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - t0 < a.seconds:
            mer_model.run_windows(model, batches[done % len(batches)])
            done += 1
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n, hop_s = done * a.batch, hop * spf
    print(json.dumps({"what": "pytorch_model", "threads": torch.get_num_threads(), "batch": a.batch,
                      "windows": n, "wall_seconds": wall, "cpu_seconds": cpu,
                      "windows_per_cpu_second": n / cpu, "windows_per_wall_second": n / wall,
                      "audio_seconds_per_cpu_second": n * hop_s / cpu,
                      "audio_seconds_per_wall_second": n * hop_s / wall}))


if __name__ == "__main__":
    main()
