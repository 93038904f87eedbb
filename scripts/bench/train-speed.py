#!/usr/bin/env python3
"""PyTorch twin of mer's CRNN (same resolved config, read from a mer bundle's
manifest), trained on random batches with the same threads; prints the
segments/s table against mer's numbers (from `mer train --json`)."""
import argparse, json, struct, time

import torch
import torch.nn as nn
import torch.nn.functional as F


def manifest(path):
    with open(path, "rb") as f:
        head = f.read(40)
        assert head[:8] == b"MERMODEL", path
        m_size = struct.unpack("<Q", head[16:24])[0]
        return json.loads(f.read(m_size))


class Crnn(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.off, self.scale = c["input_offset"], c["input_scale"]
        blocks, cin = [], 1
        for ch, pf, pt in zip(c["channels"], c["freq_pools"], c["time_pools"]):
            blocks += [nn.Conv2d(cin, ch, 3, padding=1), nn.BatchNorm2d(ch), nn.ELU(),
                       nn.MaxPool2d((pf, pt)), nn.Dropout(c["cnn_dropout"])]
            cin = ch
        self.blocks = nn.Sequential(*blocks)
        self.gru = nn.GRU(cin, c["rnn_hidden"], c["rnn_layers"], batch_first=True,
                          dropout=c["rnn_dropout"] if c["rnn_layers"] > 1 else 0)
        self.drop = nn.Dropout(c["rnn_dropout"])
        self.q = nn.Linear(c["rnn_hidden"], c["num_quadrants"])
        self.va = nn.Linear(c["rnn_hidden"], 2)

    def forward(self, x):
        h = self.blocks(((x + self.off) * self.scale).unsqueeze(1))
        h, _ = self.gru(h.squeeze(2).transpose(1, 2))
        h = self.drop(h[:, -1])
        return self.q(h), torch.tanh(self.va(h))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--mer-one", required=True, help="mer train --json, 1 rank")
    ap.add_argument("--mer-two", required=True, help="mer train --json, 2 ranks")
    ap.add_argument("--mer-two-per-rank",
                    help="mer train --json, 2 ranks, --no-sync-batchnorm")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=40)
    a = ap.parse_args()
    c = manifest(a.bundle)["config"]
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Crnn(c).train()
    opt = torch.optim.AdamW(model.parameters(), 1e-3, weight_decay=1e-4)
    x = torch.randn(24, c["n_mels"], c["n_frames"]) * 20 - 50
    y = torch.randint(0, 4, (24,))
    va = torch.rand(24, 2) - 0.5
    for i in range(a.steps + 5):
        if i == 5:
            t0 = time.perf_counter()
        opt.zero_grad()
        q, v = model(x)
        (F.cross_entropy(q, y) + 0.5 * F.mse_loss(v, va)).backward()
        opt.step()
    torch_sps = a.steps * 24 / (time.perf_counter() - t0)
    one = json.loads(a.mer_one)["segments_per_second"]
    two = json.loads(a.mer_two)["segments_per_second"]
    print(f"training throughput, CRNN {c['channels']} GRU {c['rnn_hidden']}x{c['rnn_layers']}, "
          f"{c['n_mels']}x{c['n_frames']} crops, batch 24, {a.threads} thread(s)")
    print(f"| run                      | segments/s | ratio  | target |")
    print(f"|--------------------------|------------|--------|--------|")
    print(f"| PyTorch {torch.__version__:<16} | {torch_sps:10.1f} | 1.00x  |        |")
    print(f"| mer, 1 rank x 1 thread   | {one:10.1f} | {one / torch_sps:5.2f}x | >=1.0x |")
    print(f"| mer, 2 ranks x 1 thread  | {two:10.1f} | {two / one:5.2f}x | >=1.8x (vs 1 rank) |")
    if a.mer_two_per_rank:
        per_rank = json.loads(a.mer_two_per_rank)["segments_per_second"]
        print(f"| 2 ranks, per-rank BN     | {per_rank:10.1f} | {two / per_rank:5.2f}x | "
              f"synchronised BN (above) vs per-rank |")
    print("(mer's figure includes cropping and augmentation; PyTorch's reuses one batch)")


if __name__ == "__main__":
    main()
