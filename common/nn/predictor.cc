#include "common/nn/predictor.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "common/nn/model_bundle.h"

namespace mer::nn {

struct Predictor::Impl {
  LoadedModel loaded;
  PredictorOptions options;
  torch::Device device{torch::kCPU};
};

core::Status PredictorOptions::Validate() const {
  if (batch_size < 1) {
    return core::Status::InvalidArgument("predictor options: batch_size",
                                         "must be >= 1");
  }
  if (num_threads < 0) {
    return core::Status::InvalidArgument("predictor options: num_threads",
                                         "must be >= 0");
  }
  if (device != "cpu" && device.rfind("cuda", 0) != 0) {
    return core::Status::InvalidArgument(
        "predictor options: device '" + device + "'",
        "expected cpu, cuda or cuda:N");
  }
  if (precision != "float32" && precision != "bfloat16") {
    return core::Status::InvalidArgument(
        "--precision '" + precision + "'", "expected float32 or bfloat16");
  }
  if (precision == "bfloat16" && !fuse) {
    return core::Status::InvalidArgument(
        "--precision bfloat16", "runs the fused model only");
  }
  return core::Status::Ok();
}

Predictor::Predictor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Predictor::Predictor(LoadedModel model) : impl_(std::make_unique<Impl>()) {
  impl_->loaded = std::move(model);
  impl_->loaded.model->to(torch::kCPU);
  FuseForInference(impl_->loaded.model);
}

Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;
Predictor::~Predictor() = default;

core::Result<Predictor> Predictor::Create(LoadedModel model,
                                          const PredictorOptions& options) {
  MER_RETURN_IF_ERROR(options.Validate());
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  try {
    impl->device = torch::Device(options.device);
    if (impl->device.is_cuda() && !torch::cuda::is_available()) {
      return core::Status::NotSupported(
          "device " + options.device,
          "this LibTorch build has no CUDA or no GPU is visible");
    }
    if (options.num_threads > 0) torch::set_num_threads(options.num_threads);
    impl->loaded = std::move(model);
    impl->loaded.model->to(impl->device);
    impl->loaded.model->eval();
    if (options.fuse) {
      FuseForInference(impl->loaded.model, options.precision == "bfloat16"
                                               ? Precision::kBFloat16
                                               : Precision::kFloat32);
    }
  } catch (const c10::Error& e) {
    return core::Status::InvalidArgument("device " + options.device,
                                         e.what_without_backtrace());
  }
  return Predictor(std::move(impl));
}

core::Result<Predictor> Predictor::Open(const std::string& path,
                                        const PredictorOptions& options) {
  MER_ASSIGN_OR_RETURN(LoadedModel loaded, LoadBundle(path));
  return Create(std::move(loaded), options);
}

const BundleManifest& Predictor::manifest() const {
  return impl_->loaded.manifest;
}

int Predictor::batch_size() const { return impl_->options.batch_size; }

core::Result<SegmentOutputs> Predictor::Run(const float* segments, int n,
                                            int n_mels, int n_frames) {
  const BundleManifest& manifest = impl_->loaded.manifest;
  const ModelConfig& config = impl_->loaded.model->config();
  const std::string who = "model " + manifest.model_id;
  if (n < 0 || (n > 0 && segments == nullptr)) {
    return core::Status::InvalidArgument(who, "no segment buffer");
  }
  if (n_mels != config.InputRows()) {
    return core::Status::InvalidArgument(
        who, "expects " + std::to_string(config.n_mels) + " mel bands" +
                 (config.descriptor_rows > 0
                      ? " and " + std::to_string(config.descriptor_rows) +
                            " descriptor rows"
                      : std::string()) +
                 ", segments have " + std::to_string(n_mels) + " rows");
  }
  if (n_frames < config.MinFrames()) {
    return core::Status::InvalidArgument(
        who, "needs segments of at least " +
                 std::to_string(config.MinFrames()) + " frames, got " +
                 std::to_string(n_frames));
  }
  SegmentOutputs out;
  out.num_segments = n;
  out.num_classes = config.num_quadrants;
  out.embedding_dim = static_cast<int>(impl_->loaded.model->embedding_dim());
  out.num_tags = config.num_tags;
  auto copy_rows = [](const torch::Tensor& t, std::vector<float>* dst,
                      int64_t first_row) {
    torch::Tensor c = t.to(torch::kCPU, torch::kFloat).contiguous();
    std::memcpy(dst->data() + first_row * c.size(1), c.data_ptr<float>(),
                c.numel() * sizeof(float));
  };
  const int64_t segment_size = static_cast<int64_t>(n_mels) * n_frames;
  try {
    out.probs.resize(static_cast<size_t>(n) * out.num_classes);
    out.va.resize(static_cast<size_t>(n) * 2);
    out.embeddings.resize(static_cast<size_t>(n) * out.embedding_dim);
    out.tag_probs.resize(static_cast<size_t>(n) * out.num_tags);
    c10::InferenceMode inference;
    EmotionModel& model = impl_->loaded.model;
    model->eval();
    for (int first = 0; first < n; first += impl_->options.batch_size) {
      const int b = std::min(impl_->options.batch_size, n - first);
      // from_blob does not copy; the model never writes its input.
      torch::Tensor x =
          torch::from_blob(const_cast<float*>(segments) + first * segment_size,
                           {b, n_mels, n_frames}, torch::kFloat)
              .to(impl_->device);
      ModelOutput y = model->forward(x);
      copy_rows(torch::softmax(y.quadrant_logits, 1), &out.probs, first);
      copy_rows(y.va, &out.va, first);
      copy_rows(y.embedding, &out.embeddings, first);
      if (out.num_tags > 0) {
        copy_rows(torch::sigmoid(y.tag_logits), &out.tag_probs, first);
      }
    }
  } catch (const c10::Error& e) {
    return core::Status::Internal(who, e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    return core::Status::Internal(who, "out of memory");
  }
  return out;
}

}  // namespace mer::nn
