"""A mer emotion model in plain PyTorch, from the files `mer export` writes.

    mer export --model models/mer-4q-crnn.merm --out exported/
    mer features song.mp3 --out song.npy

    import numpy as np, mer_model
    model, meta = mer_model.load("exported")          # eval mode, CPU
    out = model(torch.from_numpy(windows))            # [B, n_mels, frames] dB
    track = mer_model.predict_track(model, meta, np.load("song.npy"))
    track["quadrant"], track["valence"], track["arousal"]

The network is rebuilt from model.json's config with the same module names
as mer's C++ models (common/nn/architectures.h), so weights.pt loads with
load_state_dict(strict=True). predict_track() windows a log-mel spectrogram
and aggregates the windows as `mer predict` does (common/nn/track_windows.cc,
track_aggregator.cc, track_inference.cc), so its figures equal mer's.
Needs torch (Debian: python3-torch) and numpy; nothing of mer.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

EXPORT_FORMAT = "mer-export"
EXPORT_VERSION = 1
QUADRANTS = ("happy", "tense", "sad", "calm")


class ConvBlock(nn.Module):
    """conv3x3 (same padding) -> BatchNorm2d -> ELU -> max-pool -> dropout."""

    def __init__(self, c_in, c_out, pool_f, pool_t, dropout):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.bn = nn.BatchNorm2d(c_out)
        self.pool = (pool_f, pool_t)
        self.dropout = dropout

    def forward(self, x):
        x = F.elu(self.bn(self.conv(x)))
        if self.pool[0] > 1 or self.pool[1] > 1:
            x = F.max_pool2d(x, self.pool)
        return F.dropout(x, self.dropout, self.training) if self.dropout > 0 else x


def _conv_stack(c):
    blocks, c_in = [], 1
    for ch, pf, pt in zip(c["channels"], c["freq_pools"], c["time_pools"]):
        blocks.append(ConvBlock(c_in, ch, pf, pt, c["cnn_dropout"]))
        c_in = ch
    return nn.Sequential(*blocks)


def _row_statistics(x):
    """Per row of [B, R, T]: mean, standard deviation, mean |frame-to-frame
    change|, as [B, 3R]."""
    return torch.cat([x.mean(2), x.std(2, unbiased=False),
                      (x[:, :, 1:] - x[:, :, :-1]).abs().mean(2)], 1)


def _frames_for_rnn(x, pool):  # [B, M, T] -> [B, T / pool, M]
    h = F.avg_pool1d(x, pool) if pool > 1 else x
    return h.transpose(1, 2).contiguous()


def _rnn(kind, c, input_size):
    return kind(input_size, c["rnn_hidden"], num_layers=c["rnn_layers"],
                batch_first=True,
                dropout=c["rnn_dropout"] if c["rnn_layers"] > 1 else 0.0)


class MerModel(nn.Module):
    """Any of mer's architectures (cnn, rnn, crnn, pcrnn, attn-lstm, mlp) with its
    input normalisation, statistics branch and heads. forward() takes
    [B, n_mels, frames] log-mel in dB and returns a dict with "embedding",
    "quadrant_logits" and "va" (and "tag_logits" with a tag head)."""

    def __init__(self, config):
        super().__init__()
        c = self.config = config
        arch = c["arch"]
        if arch == "ensemble":
            # Trained models on the same windows, averaged (`mer ensemble`).
            for i, m in enumerate(c["members"]):
                setattr(self, "member%d" % i, MerModel(m))
            return
        trunk_mels = c["n_mels"] // c["input_freq_pool"]
        if c["input_norm"] == "batchnorm":
            self.input_bn = nn.BatchNorm1d(c["n_mels"])
        if arch == "cnn":
            self.blocks = _conv_stack(c)
            trunk_dim = c["channels"][-1]
        elif arch == "crnn":
            self.blocks = _conv_stack(c)
            self.gru = _rnn(nn.GRU, c, c["channels"][-1])
            trunk_dim = c["rnn_hidden"]
        elif arch == "pcrnn":
            self.blocks = _conv_stack(c)
            self.gru = _rnn(nn.GRU, c, trunk_mels)
            trunk_dim = c["channels"][-1] + c["rnn_hidden"]
        elif arch == "rnn":
            self.gru = _rnn(nn.GRU, c, trunk_mels)
            trunk_dim = c["rnn_hidden"]
        elif arch == "attn-lstm":
            input_size = trunk_mels
            if c["channels"]:
                self.blocks = _conv_stack(c)
                rows = trunk_mels
                for f in c["freq_pools"]:
                    rows //= f
                input_size = c["channels"][-1] * rows
            self.lstm = _rnn(nn.LSTM, c, input_size)
            self.att_hidden = nn.Linear(c["rnn_hidden"], c["attention_dim"])
            self.att_score = nn.Linear(c["attention_dim"], 1)
            trunk_dim = c["rnn_hidden"]
        elif arch == "mlp":
            trunk_dim = 0  # the statistics branches alone
        else:
            raise ValueError("unknown mer architecture %r" % arch)
        if c["stats_dim"] > 0:
            self.stats_bn = nn.BatchNorm1d(3 * c["n_mels"])
            self.stats_fc = nn.Linear(3 * c["n_mels"], c["stats_dim"])
            trunk_dim += c["stats_dim"]
        if c.get("descriptor_dim", 0) > 0:
            rows = 3 * c["descriptor_rows"]
            self.descriptor_bn = nn.BatchNorm1d(rows)
            self.descriptor_fc = nn.Linear(rows, c["descriptor_dim"])
            trunk_dim += c["descriptor_dim"]
        embedding_dim = trunk_dim
        if c["embedding_dim"] > 0:
            self.embed = nn.Linear(trunk_dim, c["embedding_dim"])
            embedding_dim = c["embedding_dim"]
        if c["quadrant_head"] == "va":
            self.quadrant_scale = nn.Parameter(torch.full((2,), math.log(2.0)))
        else:
            self.quadrant_head = nn.Linear(embedding_dim, c["num_quadrants"])
        self.va_head = nn.Linear(embedding_dim, 2)
        if c["num_tags"] > 0:
            self.tag_head = nn.Linear(embedding_dim, c["num_tags"])

    def _dropout(self, x):
        p = self.config["rnn_dropout"]
        return F.dropout(x, p, self.training) if p > 0 else x

    def trunk(self, x):  # normalised [B, M, T] -> [B, trunk_dim]
        c, arch = self.config, self.config["arch"]
        if arch == "cnn":
            return self.blocks(x.unsqueeze(1)).amax((2, 3))
        if arch == "mlp":
            return x.new_empty((x.shape[0], 0))
        if arch == "crnn":
            h = self.blocks(x.unsqueeze(1)).squeeze(2).transpose(1, 2)
            return self._dropout(self.gru(h)[0][:, -1])
        if arch == "pcrnn":
            cnn = self.blocks(x.unsqueeze(1)).amax((2, 3))
            rnn = self.gru(_frames_for_rnn(x, c["rnn_time_pool"]))[0][:, -1]
            return torch.cat([cnn, self._dropout(rnn)], 1)
        if arch == "rnn":
            h = self.gru(_frames_for_rnn(x, c["rnn_time_pool"]))[0][:, -1]
            return self._dropout(h)
        # attn-lstm
        if hasattr(self, "blocks"):
            seq = self.blocks(x.unsqueeze(1)).permute(0, 3, 1, 2).flatten(2)
        else:
            seq = _frames_for_rnn(x, c["rnn_time_pool"])
        out = self.lstm(seq)[0]
        weights = torch.softmax(self.att_score(torch.tanh(self.att_hidden(out))), 1)
        return self._dropout((out * weights).sum(1))

    def forward(self, x):
        """x: [B, n_mels, T] log-mel in dB; with a descriptor branch
        [B, n_mels + descriptor_rows, T], the descriptors (`mer features
        --descriptors`) after the bands."""
        c = self.config
        if c["arch"] == "ensemble":
            return self._ensemble(x)
        mel = x[:, :c["n_mels"]]
        if hasattr(self, "input_bn"):
            h = self.input_bn(mel)
        else:
            h = (mel + c["input_offset"]) * c["input_scale"]
        stats = None
        if hasattr(self, "stats_fc"):
            stats = F.elu(self.stats_fc(self.stats_bn(_row_statistics(h))))
        descriptors = None
        if hasattr(self, "descriptor_fc"):
            d = _row_statistics(x[:, c["n_mels"]:])
            descriptors = F.elu(self.descriptor_fc(self.descriptor_bn(d)))
        if c["arch"] != "mlp" and (c["input_freq_pool"] > 1 or c["input_time_pool"] > 1):
            h = F.avg_pool2d(h.unsqueeze(1),
                             (c["input_freq_pool"], c["input_time_pool"])).squeeze(1)
        h = self.trunk(h)
        if stats is not None:
            h = torch.cat([h, stats], 1)
        if descriptors is not None:
            h = torch.cat([h, descriptors], 1)
        if hasattr(self, "embed"):
            h = F.elu(self.embed(h))
        z = self.va_head(h)
        out = {"embedding": h, "va": torch.tanh(z)}
        if hasattr(self, "quadrant_head"):
            out["quadrant_logits"] = self.quadrant_head(h)
        else:
            # log P(sign) per axis; quadrant logits are sums of two: happy
            # (+,+), tense (-,+), sad (-,-), calm (+,-).
            s = z * self.quadrant_scale.exp()
            pos, neg = F.logsigmoid(s), F.logsigmoid(-s)
            v_pos, a_pos, v_neg, a_neg = pos[:, 0], pos[:, 1], neg[:, 0], neg[:, 1]
            out["quadrant_logits"] = torch.stack(
                [v_pos + a_pos, v_neg + a_pos, v_neg + a_neg, v_pos + a_neg], 1)
        if hasattr(self, "tag_head"):
            out["tag_logits"] = self.tag_head(h)
        return out


    def _ensemble(self, x):
        """Members' V-A and quadrant probabilities averaged with the weights,
        embeddings side by side; each member reads its prefix of the rows."""
        c = self.config
        va, probs, embeddings = 0, 0, []
        for i, (m, w) in enumerate(zip(c["members"], c["member_weights"])):
            rows = m["n_mels"] + m.get("descriptor_rows", 0)
            o = getattr(self, "member%d" % i)(x[:, :rows])
            va = va + w * o["va"]
            probs = probs + w * torch.softmax(o["quadrant_logits"], 1)
            embeddings.append(o["embedding"])
        return {"embedding": torch.cat(embeddings, 1), "va": va,
                "quadrant_logits": probs.clamp_min(1e-12).log()}


def load(export_dir):
    """(model in eval mode on the CPU, model.json as a dict) from the folder
    `mer export` wrote."""
    with open(os.path.join(export_dir, "model.json")) as f:
        meta = json.load(f)
    if meta.get("format") != EXPORT_FORMAT or meta.get("format_version") != EXPORT_VERSION:
        raise ValueError("%s: not a mer export of format version %d"
                         % (export_dir, EXPORT_VERSION))
    model = MerModel(meta["manifest"]["config"])
    state = torch.load(os.path.join(export_dir, "weights.pt"))
    model.load_state_dict(state, strict=True)
    return model.eval(), meta


def window_plan(meta):
    """(frames, hop_frames, seconds_per_frame) of the model's windows."""
    fe = meta["manifest"]["front_end"]
    hop_frames = int(round(fe["segment_hop_seconds"] * fe["sample_rate"] / fe["hop_length"]))
    return (meta["manifest"]["config"]["n_frames"], max(1, hop_frames),
            fe["hop_length"] / fe["sample_rate"])


def window_starts(n_frames, frames, hop):
    if n_frames <= 0:
        return []
    if n_frames <= frames:
        return [0]
    return list(range(0, n_frames - frames + 1, hop))


def windows(log_mel, frames, hop):
    """[n_windows, n_mels, frames] float32 and the start frames, from a
    [n_mels, n_frames] log-mel; a track shorter than one window repeats."""
    n_mels, n = log_mel.shape
    starts = window_starts(n, frames, hop)
    out = np.empty((len(starts), n_mels, frames), dtype=np.float32)
    for i, s in enumerate(starts):
        if s + frames <= n:
            out[i] = log_mel[:, s:s + frames]
        else:
            out[i] = log_mel[:, (s + np.arange(frames)) % n]
    return out, starts


def quadrant_probs(valence, arousal, calibration):
    """happy, tense, sad, calm probabilities of a V-A point (va head)."""
    v = 1 / (1 + math.exp(-calibration["valence_scale"] * valence))
    a = 1 / (1 + math.exp(-calibration["arousal_scale"] * arousal))
    return [v * a, (1 - v) * a, (1 - v) * (1 - a), v * (1 - a)]


def quadrant_of(valence, arousal):
    if arousal >= 0:
        return "happy" if valence >= 0 else "tense"
    return "calm" if valence >= 0 else "sad"


def aggregate(meta, probs, va, embeddings, starts):
    """The track's record from its windows' outputs, as mer aggregates them."""
    manifest = meta["manifest"]
    _, _, spf = window_plan(meta)
    va = np.asarray(va, dtype=np.float64)
    valence, arousal = float(va[:, 0].mean()), float(va[:, 1].mean())
    mean_probs = np.asarray(probs, dtype=np.float64).mean(0)
    labels = manifest.get("label_names", list(QUADRANTS))
    if manifest["config"]["quadrant_head"] == "va":
        mean_probs = quadrant_probs(valence, arousal, manifest["calibration"])
        quadrant = quadrant_of(valence, arousal)
    else:
        quadrant = labels[int(np.argmax(mean_probs))]
    emb = np.asarray(embeddings, dtype=np.float64).mean(0)
    norm = np.linalg.norm(emb)
    return {
        "quadrant": quadrant,
        "probabilities": dict(zip(labels, (float(p) for p in mean_probs))),
        "valence": valence, "arousal": arousal,
        "valence_std": float(va[:, 0].std()), "arousal_std": float(va[:, 1].std()),
        "segments": len(starts),
        "timeline": [[s * spf, float(v), float(a)] for s, (v, a) in zip(starts, va)],
        "embedding": emb / norm if norm > 0 else emb,
    }


@torch.no_grad()
def run_windows(model, x):
    """(quadrant probabilities, V-A, embeddings) as NumPy arrays for one
    forward pass over windows `x` ([B, n_mels, frames] float32 NumPy)."""
    out = model(torch.from_numpy(x))
    return (torch.softmax(out["quadrant_logits"], 1).numpy(), out["va"].numpy(),
            out["embedding"].numpy())


def predict_track(model, meta, log_mel, batch_size=64):
    """`mer predict`'s figures for one track from its [n_mels, n_frames]
    log-mel (dB, the model's front end: `mer features`)."""
    frames, hop, _ = window_plan(meta)
    x, starts = windows(np.asarray(log_mel, dtype=np.float32), frames, hop)
    outputs = [run_windows(model, x[b:b + batch_size]) for b in range(0, len(x), batch_size)]
    probs, va, emb = (np.concatenate(z) for z in zip(*outputs))
    return aggregate(meta, probs, va, emb, starts)
