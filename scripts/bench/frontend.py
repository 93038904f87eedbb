#!/usr/bin/python3
"""Front-end benchmark: mer decode + log-mel vs the ffmpeg CLI and torchaudio.

All three run in this one invocation on the same files, single-threaded, and
are measured in CPU seconds, so the ratios hold whatever else the machine does:

  * ffmpeg CLI decoding the files to mono float32 at the preset's rate (the
    floor: the same libraries with nothing after them), once per file and once
    for all files in one process (concat demuxer, no start-up cost per file);
  * mer_frontend_bench: our decode, our log-mel;
  * torchaudio.transforms.MelSpectrogram + dB on exactly the PCM we decoded.

Targets (issue: foundation): decode + log-mel >= 0.8 x the ffmpeg CLI decode
rate; log-mel alone >= 2 x torchaudio per core.
"""
import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PRESETS = {  # must match common/dsp presets
    "default": dict(sample_rate=16000, n_fft=512, hop_length=256, n_mels=96, f_max=8000.0),
    "librosa": dict(sample_rate=22050, n_fft=2048, hop_length=512, n_mels=128, f_max=11025.0),
    "paper2019": dict(sample_rate=44100, n_fft=256, hop_length=128, n_mels=96, f_max=22050.0),
}


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def default_files(n):
    files = sorted(glob.glob(os.path.join(ROOT, "..", "shared", "data", "4q-dev", "audio", "*.mp3")))[:n]
    files += sorted(glob.glob("/usr/share/games/wesnoth/*/data/core/music/*.ogg"))[: max(1, n // 4)]
    return [os.path.normpath(f) for f in files]


def run_ffmpeg(files, sr):
    c0 = child_cpu()
    for f in files:
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-i", f,
                        "-ac", "1", "-ar", str(sr), "-f", "f32le", "-y", "/dev/null"], check=True)
    per_file = child_cpu() - c0
    # One process for all files of one extension (the concat demuxer wants the
    # same codec throughout): no process start-up per file.
    concat = 0.0
    by_ext = {}
    for f in files:
        by_ext.setdefault(os.path.splitext(f)[1], []).append(f)
    with tempfile.TemporaryDirectory() as tmp:
        for ext, group in by_ext.items():
            lst = os.path.join(tmp, "list%s.txt" % ext.strip("."))
            with open(lst, "w") as fh:
                for f in group:
                    fh.write("file '%s'\n" % os.path.abspath(f).replace("'", "'\\''"))
            c0 = child_cpu()
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-f", "concat",
                            "-safe", "0", "-i", lst, "-ac", "1", "-ar", str(sr), "-f", "f32le",
                            "-y", "/dev/null"], check=True, stderr=subprocess.DEVNULL)
            concat += child_cpu() - c0
    return per_file, concat


def run_torchaudio(pcm_files, preset):
    import numpy as np
    import torch
    import torchaudio
    torch.set_num_threads(1)
    p = PRESETS[preset]
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=p["sample_rate"], n_fft=p["n_fft"], hop_length=p["hop_length"],
        n_mels=p["n_mels"], f_min=0.0, f_max=p["f_max"], norm="slaney", mel_scale="slaney",
        center=True, pad_mode="reflect", power=2.0)
    waves = [torch.from_numpy(np.load(f)) for f in pcm_files]
    with torch.no_grad():
        mel(waves[0])  # warm-up
        t0 = time.process_time()
        for w in waves:
            s = mel(w)
            10.0 * torch.log10(torch.clamp(s, min=1e-10))
        return time.process_time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", help="audio files (default: 4q-dev clips + wesnoth music)")
    ap.add_argument("--n", type=int, default=40, help="number of 4q-dev clips by default (default 40)")
    ap.add_argument("--preset", default="default", choices=sorted(PRESETS))
    ap.add_argument("--build-dir", default=os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")))
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    files = args.files or default_files(args.n)
    if not files:
        sys.exit("frontend.py: no audio files found")
    bench = os.path.join(args.build_dir, "cli", "mer_frontend_bench")
    if not os.access(bench, os.X_OK):
        sys.exit("frontend.py: %s not built (run scripts/build.sh)" % bench)
    sr = PRESETS[args.preset]["sample_rate"]

    with tempfile.TemporaryDirectory() as dump:
        out = subprocess.run([bench, "--preset", args.preset, "--dump-dir", dump] + files,
                             check=True, capture_output=True, text=True).stdout
        ours = json.loads(subprocess.run([bench, "--preset", args.preset] + files, check=True,
                                         capture_output=True, text=True).stdout)
        del out
        ff_per_file, ff_concat = run_ffmpeg(files, sr)
        ta = run_torchaudio(sorted(glob.glob(os.path.join(dump, "*.npy"))), args.preset)

    audio_s = ours["audio_seconds"]
    ours_total = ours["decode_cpu_seconds"] + ours["log_mel_cpu_seconds"]
    res = {
        "preset": args.preset, "files": len(files), "audio_seconds": round(audio_s, 1),
        "x_realtime_per_core": {
            "mer_decode": audio_s / ours["decode_cpu_seconds"],
            "mer_log_mel": audio_s / ours["log_mel_cpu_seconds"],
            "mer_decode_plus_log_mel": audio_s / ours_total,
            "ffmpeg_cli_decode_per_file": audio_s / ff_per_file,
            "ffmpeg_cli_decode_one_process": audio_s / ff_concat,
            "torchaudio_log_mel": audio_s / ta,
        },
        "ratios": {
            "mer_decode_plus_log_mel_vs_ffmpeg_cli_per_file": ff_per_file / ours_total,
            "mer_decode_plus_log_mel_vs_ffmpeg_cli_one_process": ff_concat / ours_total,
            "mer_log_mel_vs_torchaudio": ta / ours["log_mel_cpu_seconds"],
        },
        "targets": {"vs_ffmpeg_cli": 0.8, "vs_torchaudio": 2.0},
    }
    if args.json:
        print(json.dumps(res))
        return
    print("front end, preset %s: %d files, %.0f s of audio, single thread, CPU time"
          % (args.preset, len(files), audio_s))
    for k, v in res["x_realtime_per_core"].items():
        print("  %-34s %8.0f x realtime per core" % (k, v))
    r = res["ratios"]
    print("  ratio mer decode+log-mel / ffmpeg CLI decode (one process): %.2f  (target >= 0.8)"
          % r["mer_decode_plus_log_mel_vs_ffmpeg_cli_one_process"])
    print("  ratio mer decode+log-mel / ffmpeg CLI decode (per file):    %.2f"
          % r["mer_decode_plus_log_mel_vs_ffmpeg_cli_per_file"])
    print("  ratio mer log-mel / torchaudio log-mel:                     %.2f  (target >= 2.0)"
          % r["mer_log_mel_vs_torchaudio"])


if __name__ == "__main__":
    main()
