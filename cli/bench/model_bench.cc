// mer_model_bench: the model's forward pass alone, steady batches of windows
// from a real log-mel, through the Predictor that `mer index` uses
// (scripts/bench/model.sh runs it beside the same model in PyTorch, from
// `mer export`, and prints the ratios).
//
//   mer_model_bench --model M.merm --mel LOG_MEL.npy [--threads N]
//                   [--batch B] [--seconds S] [--no-fuse]
//                   [--precision float32|bfloat16]
//
// LOG_MEL.npy: [n_mels, n_frames] from `mer features`; the windows are the
// model's (n_frames of the config, every segment hop of the front end),
// cycled until S seconds of wall time have passed (after two warm-up
// passes). Prints one JSON object: windows, wall and CPU seconds, windows
// per CPU- and wall-second, and the audio seconds they stand for (one
// segment hop each, as in a track).
#include <time.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/core/allocator.h"
#include "common/core/npy.h"
#include "common/nn/predictor.h"
#include "common/dsp/front_end_params.h"
#include "common/nn/track_windows.h"
#include "worker/track_features.h"

MER_THREAD_ENVIRONMENT_PREINIT();  // as `mer` does

namespace {

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double WallSeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int Fail(const std::string& message) {
  std::cerr << "mer_model_bench: error: " << message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mer;
  core::TuneAllocatorForBatches();
  std::string model_path, mel_path;
  nn::PredictorOptions options;
  options.batch_size = 32;
  double seconds = 10;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--model" && has_value) {
      model_path = argv[++i];
    } else if (a == "--mel" && has_value) {
      mel_path = argv[++i];
    } else if (a == "--threads" && has_value) {
      options.num_threads = std::stoi(argv[++i]);
    } else if (a == "--batch" && has_value) {
      options.batch_size = std::stoi(argv[++i]);
    } else if (a == "--seconds" && has_value) {
      seconds = std::stod(argv[++i]);
    } else if (a == "--no-fuse") {
      options.fuse = false;
    } else if (a == "--precision" && has_value) {
      options.precision = argv[++i];
    } else if (a == "--help" || a == "-h") {
      std::cout << "Usage: mer_model_bench --model M.merm --mel LOG_MEL.npy "
                   "[--threads N] [--batch B] [--seconds S] [--no-fuse]\n"
                   "                       [--precision float32|bfloat16]\n";
      return 0;
    } else {
      return Fail("unknown or incomplete option '" + a + "'");
    }
  }
  if (model_path.empty() || mel_path.empty()) {
    return Fail("--model and --mel are required");
  }
  auto predictor = nn::Predictor::Open(model_path, options);
  if (!predictor.ok()) return Fail(predictor.status().ToString());
  auto mel = core::ReadNpy(mel_path);
  if (!mel.ok()) return Fail(mel.status().ToString());
  if (mel->shape.size() != 2) return Fail(mel_path + ": not [n_mels, n_frames]");
  auto fe = dsp::FrontEndParams::FromJson(predictor->manifest().front_end);
  if (!fe.ok()) return Fail(fe.status().ToString());
  const nn::WindowPlan plan =
      worker::WindowPlanFor(predictor->manifest().config, *fe);
  const double hop_seconds = plan.hop_frames * plan.seconds_per_frame;
  const int n_mels = static_cast<int>(mel->shape[0]);
  const nn::TrackWindows windows = nn::MakeWindows(
      mel->data.data(), n_mels, static_cast<int>(mel->shape[1]), plan);
  const int batch = options.batch_size;
  if (windows.count() < batch) {
    return Fail(mel_path + ": " + std::to_string(windows.count()) +
                " windows, fewer than one batch of " + std::to_string(batch));
  }
  const size_t window_floats = static_cast<size_t>(n_mels) * plan.frames;
  const int batches = windows.count() / batch;
  auto run = [&](int b) {
    return predictor->Run(windows.data.data() + b * batch * window_floats,
                          batch, n_mels, plan.frames);
  };
  for (int b = 0; b < 2; ++b) {
    if (auto out = run(b % batches); !out.ok()) {
      return Fail(out.status().ToString());
    }
  }
  long done = 0;
  const double wall0 = WallSeconds(), cpu0 = CpuSeconds();
  double wall = 0;
  while (wall < seconds) {
    if (auto out = run(done % batches); !out.ok()) {
      return Fail(out.status().ToString());
    }
    ++done;
    wall = WallSeconds() - wall0;
  }
  const double cpu = CpuSeconds() - cpu0;
  const double n = static_cast<double>(done) * batch;
  std::cout << nlohmann::json{{"what", "mer_model"},
                              {"model_id", predictor->manifest().model_id},
                              {"fuse", options.fuse},
                              {"precision", options.precision},
                              {"threads", options.num_threads},
                              {"batch", batch},
                              {"windows", n},
                              {"wall_seconds", wall},
                              {"cpu_seconds", cpu},
                              {"windows_per_cpu_second", n / cpu},
                              {"windows_per_wall_second", n / wall},
                              {"audio_seconds_per_cpu_second", n * hop_seconds / cpu},
                              {"audio_seconds_per_wall_second", n * hop_seconds / wall}}
                   .dump()
            << std::endl;
  return 0;
}
