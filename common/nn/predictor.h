// Predictor: runs a loaded model over log-mel segments held in plain float
// buffers, so the worker pipeline calls the model without including torch
// (pimpl; the implementation lives in mer_nn).
//
//   MER_ASSIGN_OR_RETURN(Predictor predictor, Predictor::Open("model.merm"));
//   MER_ASSIGN_OR_RETURN(SegmentOutputs out,
//                        predictor.Run(buf.data(), n, n_mels, n_frames));
//
// Ownership: the Predictor owns the model. Thread-safety: not thread-safe;
// one thread owns a Predictor (CONVENTIONS.md §11). Move-only.
#ifndef MER_COMMON_NN_PREDICTOR_H_
#define MER_COMMON_NN_PREDICTOR_H_

#include <memory>
#include <string>

#include "common/core/result.h"
#include "common/core/status.h"
#include "common/nn/bundle_manifest.h"
#include "common/nn/segment_outputs.h"

namespace mer::nn {

struct LoadedModel;  // model_bundle.h (needs torch)

struct PredictorOptions {
  // Segments per forward pass. Default: 32 (one rank indexing the wesnoth
  // tracks: 1-2 % less CPU time than 64, a fifth less peak memory, and
  // less system time for the kernel's zeroing of fresh heap pages).
  int batch_size = 32;
  // Intra-op threads of LibTorch (torch::set_num_threads, process-wide);
  // 0 leaves LibTorch's setting alone. Default: 0.
  int num_threads = 0;
  // "cpu", "cuda" or "cuda:N". Default: "cpu".
  std::string device = "cpu";
  // Rewrite the model for inference (FuseForInference in emotion_model.h:
  // BatchNorm folded into the convolutions, channels-last activations):
  // outputs change by float rounding only (about 1e-7), the conv stack runs
  // about twice as fast. Irreversible, so a caller that hands Create() a
  // model it still trains sets false. Default: true.
  bool fuse = true;
  // "float32", or "bfloat16": the fused conv stacks in bfloat16
  // (FuseForInference in emotion_model.h; needs `fuse`), about 1.5x the
  // model's rate on a CPU with AVX512-BF16 or AMX, outputs within about
  // 1e-3 of float32. Default: "float32".
  std::string precision = "float32";

  core::Status Validate() const;
};

class Predictor {
 public:
  // Loads the bundle at `path` and moves the model to options.device.
  static core::Result<Predictor> Open(const std::string& path,
                                      const PredictorOptions& options = {});
  // Takes a loaded model (model_bundle.h); fails on bad options or a device
  // this build cannot use.
  static core::Result<Predictor> Create(LoadedModel model,
                                        const PredictorOptions& options = {});
  // CPU, default options: cannot fail.
  explicit Predictor(LoadedModel model);

  Predictor(Predictor&&) noexcept;
  Predictor& operator=(Predictor&&) noexcept;
  ~Predictor();

  // `segments`: contiguous [n][n_mels][n_frames] float32 log-mel (dB).
  // n_mels must be the model's; n_frames at least its minimum. Returns
  // softmax probabilities, V-A, embeddings (and tag sigmoids) per segment.
  // A LibTorch failure (e.g. out of memory) is a Status naming the model.
  core::Result<SegmentOutputs> Run(const float* segments, int n, int n_mels,
                                   int n_frames);

  const BundleManifest& manifest() const;
  // Windows per forward pass (PredictorOptions::batch_size).
  int batch_size() const;

 private:
  struct Impl;
  explicit Predictor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mer::nn

#endif  // MER_COMMON_NN_PREDICTOR_H_
