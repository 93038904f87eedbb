#include "worker/train/trainer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <span>

#include "common/comm/gradient_sync.h"
#include "common/core/host.h"
#include "common/nn/emotion_model.h"
#include "common/nn/model_bundle.h"
#include "common/nn/model_loss.h"
#include "common/nn/predictor.h"
#include "common/nn/sync_batch_norm.h"
#include "common/nn/track_inference.h"
#include "worker/track_features.h"
#include "worker/train/bundle_writer.h"
#include "worker/train/checkpoint_store.h"
#include "worker/train/model_state.h"
#include "worker/train/trainer_impl.h"

namespace mer::worker {
namespace {

core::Result<torch::Device> ResolveDevice(const TrainerRunOptions& run) {
  if (run.device != "cuda") return torch::Device(torch::kCPU);
  if (!torch::cuda::is_available()) {
    return core::Status::NotSupported(
        "--device cuda", "this build of LibTorch has no CUDA device");
  }
  return torch::Device(
      torch::kCUDA,
      run.local_rank % static_cast<int>(torch::cuda::device_count()));
}

BatchOptions BatchOptionsFor(const TrainerOptions& options) {
  BatchOptions b;
  b.frames = options.model.n_frames;
  b.batch_size = options.batch_size;
  b.crops_per_track = options.crops_per_track;
  b.seed = options.seed;
  b.augment = options.augment;
  b.descriptor_rows = options.model.descriptor_rows;
  return b;
}

}  // namespace

core::Result<std::unique_ptr<Trainer>> Trainer::Create(
    const TrainingData& data, TrainSplit split, TrainerOptions options,
    const TrainerRunOptions& run, comm::Communicator& comm,
    const BundleRequest* bundle) {
  MER_ASSIGN_OR_RETURN(options, options.ForData(data, split.train));
  MER_RETURN_IF_ERROR(run.Validate());
  MER_ASSIGN_OR_RETURN(torch::Device device, ResolveDevice(run));
  MER_RETURN_IF_ERROR(dsp::FrontEndParams::FromJson(data.front_end())
                          .status()
                          .WithContext("the data's front end"));
  Parts parts;
  parts.batches = std::make_unique<BatchAssembler>(
      data, split.train, BatchOptionsFor(options), options.model.num_tags,
      comm.rank(), comm.size());
  comm::GradientSyncOptions sync;
  sync.cuda_device = device.is_cuda() ? device.index() : -1;
  MER_ASSIGN_OR_RETURN(parts.gradients, comm::MakeGradientReducer(&comm, sync));
  parts.selector = std::make_unique<ModelSelector>(
      options.epochs, options.average_last, options.patience);
  if (!run.checkpoint_dir.empty()) {
    parts.checkpoints = std::make_unique<CheckpointStore>(
        run.checkpoint_dir, options.ToJson(), &comm,
        run.batch_follows_checkpoint);
  }
  if (bundle != nullptr) {
    parts.bundle = std::make_unique<BundleWriter>(*bundle, &comm);
  }
  return std::make_unique<Trainer>(data, std::move(split), options, run, comm,
                                   std::move(parts));
}

Trainer::Trainer(const TrainingData& data, TrainSplit split,
                 const TrainerOptions& options, const TrainerRunOptions& run,
                 comm::Communicator& comm, Parts parts)
    : impl_(std::make_unique<Impl>(data, std::move(split), options, run, comm,
                                   std::move(parts))) {
  impl_->Build();
}

Trainer::~Trainer() = default;

void Trainer::Impl::Build() {
  MER_CHECK(parts.batches && parts.gradients && parts.selector);
  if (run.threads > 0) torch::set_num_threads(run.threads);
  device = ResolveDevice(run).value();
  torch::manual_seed(options.seed);
  model = nn::MakeModel(options.model).value();  // validated by the caller
  BroadcastState(model, comm);
  model->to(device);
  params = nn::OrderedParameters(model);
  optimizer = std::make_unique<torch::optim::AdamW>(
      params, torch::optim::AdamWOptions(options.learning_rate)
                  .weight_decay(options.weight_decay));
  sync_batchnorm = options.sync_batchnorm && comm.size() > 1;
  loss.label_smoothing = options.label_smoothing;
  loss.va_weight = options.va_weight;
  loss.tag_weight = options.tag_weight;
  if (options.tags) loss.tag_pos_weight = TagPosWeights(data, split.train);
  if (options.class_weights) {
    std::vector<double> count(4, 0);
    for (int i : split.train) {
      if (data.tracks()[i].quadrant >= 0) count[data.tracks()[i].quadrant] += 1;
    }
    const double total = count[0] + count[1] + count[2] + count[3];
    for (double c : count) {
      loss.class_weights.push_back(
          static_cast<float>(c > 0 ? total / (4 * c) : 1.0));
    }
  }
  for (int i : split.val) {
    val_quadrants = val_quadrants || data.tracks()[i].quadrant >= 0;
  }
  nn::LoadedModel live;
  live.model = model;  // shared: the predictor scores the weights in training
  live.manifest.model_id = "in training";
  live.manifest.config = model->config();
  nn::PredictorOptions p;
  p.device = device.str();
  p.fuse = false;  // the weights keep training
  predictor.emplace(nn::Predictor::Create(std::move(live), p).value());
  // The window plan users' tracks get (the model's frames, the front end's
  // segment hop), with the optional speed cap.
  nn::WindowPlan plan = WindowPlanFor(
      options.model, dsp::FrontEndParams::FromJson(data.front_end()).value());
  plan.max_windows = options.eval_max_windows;
  inference.emplace(&*predictor, plan);
}

core::Status Trainer::Impl::Resume() {
  resumed = true;
  if (!run.resume || !parts.checkpoints) return core::Status::Ok();
  MER_ASSIGN_OR_RETURN(bool found,
                       parts.checkpoints->Load(model, *optimizer, &progress));
  if (!found) {
    if (comm.rank() == 0) {
      spdlog::warn("no checkpoint in {}: starting from scratch",
                   run.checkpoint_dir);
    }
    return core::Status::Ok();
  }
  parts.selector->set_state(progress.selection);
  if (comm.rank() == 0) {
    Note("resuming after epoch {} from {}", progress.epoch,
         parts.checkpoints->path());
  }
  if (parts.checkpoints->batch_size() != options.batch_size) {
    // Another rank count, the same global batch: the per-rank batch follows.
    options.batch_size = parts.checkpoints->batch_size();
    parts.batches = std::make_unique<BatchAssembler>(
        data, split.train, BatchOptionsFor(options), options.model.num_tags,
        comm.rank(), comm.size());
    Note("keeping the checkpoint's global batch of {}: {} per rank on {} "
         "rank{}",
         parts.batches->global_batch(), options.batch_size, comm.size(),
         comm.size() == 1 ? "" : "s");
  }
  return core::Status::Ok();
}

// Where the ranks run and how the global batch is laid out over them (after
// a resume, which may change the per-rank batch). Collective.
void Trainer::Impl::NoteLayout() {
  if (comm.size() == 1) return;
  std::vector<std::string> hosts(comm.size());
  for (int r = 0; r < comm.size(); ++r) {
    if (r == comm.rank()) hosts[r] = core::HostName();
    comm.BroadcastBytes(r, &hosts[r]);
  }
  Note("{} ranks on {}; gradients averaged with {}; global batch {} ({} x "
       "{}); BatchNorm statistics {}",
       comm.size(), core::HostSummary(hosts), parts.gradients->name(),
       options.batch_size * comm.size(), comm.size(), options.batch_size,
       sync_batchnorm ? "over the global batch" : "per rank");
}

core::Status Trainer::Run(int max_epochs) {
  Impl& t = *impl_;
  if (!t.resumed) {
    MER_RETURN_IF_ERROR(t.Resume());
    t.NoteLayout();
  }
  for (int run = 0; t.progress.epoch < t.options.epochs; ++run) {
    if (max_epochs > 0 && run >= max_epochs) break;
    if (t.parts.selector->ShouldStop()) break;
    MER_RETURN_IF_ERROR(t.RunEpoch());
  }
  return core::Status::Ok();
}

core::Status Trainer::Impl::RunEpoch() {
  const int epoch = progress.epoch;
  const auto t0 = std::chrono::steady_clock::now();
  const double lr = options.LearningRate(epoch);
  for (auto& group : optimizer->param_groups()) {
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  }
  parts.batches->StartEpoch(epoch);
  // Dropout draws from torch's generator, seeded per (seed, epoch, rank):
  // a resumed run draws what the uninterrupted one drew.
  torch::manual_seed(SampleKey(options.seed, epoch, 0xD40u + comm.rank()));
  model->train();
  double sums[2] = {0, 0};  // loss x samples, samples
  {
    std::optional<nn::BatchNormSync> bn_sync;
    if (sync_batchnorm) {
      bn_sync.emplace([this](double* v, size_t n) { comm.AllreduceSum(v, n); });
    }
    for (int s = 0; s < parts.batches->steps(); ++s) {
      int64_t samples = 0;
      TrainStep(s, &sums[0], &samples);
      sums[1] += static_cast<double>(samples);
      MER_RETURN_IF_ERROR(SyncGradients());
      optimizer->step();
    }
  }
  // Without sync_batchnorm the running statistics are per rank while
  // training; rank 0's replace the others' after each epoch (DDP's
  // broadcast_buffers), so every rank validates, checkpoints and resumes
  // the same model. With it they are equal already.
  BroadcastState(model, comm);
  if (comm.size() > 1) comm.AllreduceSum(sums, 2);
  EpochMetrics m;
  m.epoch = epoch + 1;
  m.lr = lr;
  m.train_loss = sums[1] > 0 ? sums[0] / sums[1] : 0;
  m.samples = static_cast<int64_t>(sums[1]);
  Validate(&m);
  m.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  if (comm.size() > 1) {
    comm.AllreduceSum(&m.seconds, 1);
    m.seconds /= comm.size();
  }
  ++epochs_run_here;
  progress.history.push_back(m);
  progress.segments += m.samples;
  progress.seconds += m.seconds;
  progress.epoch = epoch + 1;
  const double score = val_quadrants ? m.val_macro_f1 : m.val_tag_roc_auc;
  parts.selector->Observe(m.epoch, split.val.empty() ? NAN : score,
                          [&] { return FlattenState(model); });
  progress.selection = parts.selector->state();
  PrintProgress(m);
  if (!parts.checkpoints) return core::Status::Ok();
  return parts.checkpoints->Save(model, *optimizer, progress);
}

void Trainer::Impl::TrainStep(int step, double* loss_sum, int64_t* samples) {
  optimizer->zero_grad();
  const int global_count = parts.batches->Assemble(step, &batch);
  const int count = batch.count;
  *samples = count;
  if (count == 0) {
    // Zero gradients, still in the collective (and in the BatchNorm
    // reductions of the ranks that have samples).
    if (sync_batchnorm) StandInStep();
    return;
  }
  const int mels = options.model.InputRows(), frames = options.model.n_frames;
  const int num_tags = options.model.num_tags;
  torch::Tensor x =
      torch::from_blob(batch.mel.data(), {count, mels, frames}, torch::kFloat);
  nn::LossTargets targets;
  targets.quadrant = torch::tensor(batch.quadrant, torch::kLong).to(device);
  if (batch.any_va) {
    targets.va = torch::from_blob(batch.va.data(), {count, 2}, torch::kFloat)
                     .clone()
                     .to(device);
    targets.va_mask =
        torch::from_blob(batch.va_mask.data(), {count}, torch::kUInt8)
            .to(torch::kBool)
            .to(device);
  }
  if (num_tags > 0) {
    targets.tags =
        torch::from_blob(batch.tags.data(), {count, num_tags}, torch::kFloat)
            .clone()
            .to(device);
  }
  nn::LossTerms terms =
      nn::ModelLoss(model->forward(x.to(device)), targets, loss);
  // The gradient of this rank's mean loss, weighted by its share of the
  // step's samples; the average over ranks (x N) is the gradient of the
  // mean over the whole global batch.
  const double scale = static_cast<double>(count) * comm.size() / global_count;
  (terms.total * scale).backward();
  *loss_sum += terms.total.item<double>() * count;
}

// A rank without samples in a step runs a forward and backward pass of one
// stand-in crop that adds nothing to the BatchNorm statistics and has zero
// gradients, so that it makes the same reductions, in the same order, as the
// ranks with samples. The crop is a ramp, not a constant: the gradient of
// a standard deviation of constant values is 0/0, and NaN x 0 is NaN.
void Trainer::Impl::StandInStep() {
  nn::BatchNormSync* sync = nn::BatchNormSync::Current();
  sync->set_contributes(false);
  const int64_t mels = options.model.InputRows(),
                frames = options.model.n_frames;
  const torch::Tensor x =
      torch::linspace(-80, 0, mels * frames,
                      torch::TensorOptions().device(device))
          .view({1, mels, frames});
  const nn::ModelOutput out = model->forward(x);
  std::vector<torch::Tensor> outputs = {out.va, out.quadrant_logits};
  if (out.tag_logits.defined()) outputs.push_back(out.tag_logits);
  std::vector<torch::Tensor> zeros;
  for (const torch::Tensor& o : outputs) zeros.push_back(torch::zeros_like(o));
  torch::autograd::backward(outputs, zeros);
  sync->set_contributes(true);
}

core::Status Trainer::Impl::SyncGradients() {
  for (torch::Tensor& p : params) {
    if (!p.mutable_grad().defined()) p.mutable_grad() = torch::zeros_like(p);
  }
  if (comm.size() == 1) return core::Status::Ok();
  std::vector<std::span<float>> spans;
  if (parts.gradients->on_device()) {
    // Device buffers in place; the reducer synchronises before returning.
    for (torch::Tensor& p : params) {
      if (!p.grad().is_contiguous()) p.mutable_grad() = p.grad().contiguous();
      spans.emplace_back(p.mutable_grad().data_ptr<float>(),
                         static_cast<size_t>(p.grad().numel()));
    }
    return parts.gradients->AverageInPlace(spans);
  }
  std::vector<torch::Tensor> host;
  for (torch::Tensor& p : params) {
    host.push_back(p.grad().to(torch::kCPU).contiguous());
    spans.emplace_back(host.back().data_ptr<float>(),
                       static_cast<size_t>(host.back().numel()));
  }
  MER_RETURN_IF_ERROR(parts.gradients->AverageInPlace(spans));
  for (size_t i = 0; i < params.size(); ++i) {
    if (host[i].data_ptr() != params[i].grad().data_ptr()) {
      params[i].mutable_grad().copy_(host[i]);
    }
  }
  return core::Status::Ok();
}

void Trainer::Impl::Validate(EpochMetrics* m) {
  if (split.val.empty()) return;
  TrackScores vs = Score(split.val);
  const Classification c = Classify(data, vs);
  m->val_accuracy = c.accuracy;
  m->val_macro_f1 = c.macro_f1;
  m->val_loss = c.loss;
  if (options.model.num_tags > 0) {
    const nn::TagReport tr = EvaluateTrackTags(data, vs);
    m->val_tag_roc_auc = tr.macro_roc_auc;
    m->val_tag_pr_auc = tr.macro_pr_auc;
  }
}

void Trainer::Impl::PrintProgress(const EpochMetrics& m) const {
  if (comm.rank() != 0 || !run.progress) return;
  std::string line =
      fmt::format("{}epoch {}/{}  lr {:.2e}  train loss {:.4f}", Prefix("  "),
                  m.epoch, options.epochs, m.lr, m.train_loss);
  if (!split.val.empty()) {
    line +=
        fmt::format("  val loss {:.4f}  val acc {:.3f}  val macro-F1 {:.3f}",
                    m.val_loss, m.val_accuracy, m.val_macro_f1);
    if (options.model.num_tags > 0) {
      line += fmt::format("  val tag ROC-AUC {:.3f}  PR-AUC {:.3f}",
                          m.val_tag_roc_auc, m.val_tag_pr_auc);
    }
  }
  fmt::print(stderr, "{}  {:.1f} s\n", line, m.seconds);
}

}  // namespace mer::worker
