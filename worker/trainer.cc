#include "worker/trainer.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>

#include "common/comm/gradient_reducer.h"
#if MER_HAVE_NCCL
#include "common/comm/nccl_reducer.h"
#endif
#include "common/nn/emotion_model.h"
#include "common/nn/metrics.h"
#include "common/nn/model_bundle.h"
#include "common/nn/model_loss.h"
#include "worker/trainer_scoring.h"
#include "worker/trainer_state.h"

namespace mer::worker {
namespace fs = std::filesystem;
using internal::LoopState;
using internal::Classify;
using internal::ScoreTracks;
using internal::TagPosWeights;

namespace {

double LearningRate(const TrainerOptions& o, int epoch /* 0-based */) {
  double f = 1.0;
  if (o.lr_schedule == "cosine") {
    const double x =
        o.epochs > 1 ? static_cast<double>(epoch) / (o.epochs - 1) : 0;
    f = 0.05 + 0.95 * 0.5 * (1 + std::cos(M_PI * x));
  } else if (o.lr_schedule == "step") {
    if (epoch >= 0.6 * o.epochs) f *= 0.3;
    if (epoch >= 0.85 * o.epochs) f *= 0.3;
  }
  if (epoch < o.warmup_epochs)
    f *= static_cast<double>(epoch + 1) / (o.warmup_epochs + 1);
  return o.learning_rate * f;
}

}  // namespace

core::Result<TrainOutcome> TrainModel(const TrainingData& data,
                                      const std::vector<int>& train,
                                      const std::vector<int>& val,
                                      const std::vector<int>& test,
                                      const TrainerOptions& options_in,
                                      comm::Communicator& comm,
                                      const BundleRequest* bundle) {
  TrainerOptions o = options_in;
  o.model.n_mels = data.n_mels();
  if (o.tags) {
    if (!data.has_tags()) {
      return core::Status::InvalidArgument(
          "--tags",
          "the data has no tag labels (give the labels CSV a "
          "'tags' column of ';'-separated names; re-extract "
          "shards from it)");
    }
    if (data.tag_names().empty()) {
      return core::Status::InvalidArgument(
          "--tags", "no track of the data carries a tag");
    }
  }
  o.model.num_tags = o.tags ? static_cast<int>(data.tag_names().size()) : 0;
  MER_RETURN_IF_ERROR(o.Validate());
  if (train.empty()) return core::Status::InvalidArgument("no training tracks");
  if (!o.tags) {
    bool labelled = false;
    for (int i : train) {
      const TrainingTrack& t = data.tracks()[i];
      labelled = labelled || t.quadrant >= 0 || t.has_va;
    }
    if (!labelled) {
      return core::Status::InvalidArgument(
          "no training track has a quadrant or valence/arousal label (tracks "
          "with tags alone train with --tags)");
    }
  }
  const int rank = comm.rank(), nranks = comm.size();
  if (o.threads > 0) torch::set_num_threads(o.threads);
  torch::Device device(torch::kCPU);
  if (o.device == "cuda") {
    if (!torch::cuda::is_available()) {
      return core::Status::NotSupported(
          "--device cuda", "this build of LibTorch has no CUDA device");
    }
    device = torch::Device(
        torch::kCUDA,
        o.local_rank % static_cast<int>(torch::cuda::device_count()));
  }

  torch::manual_seed(o.seed);
  MER_ASSIGN_OR_RETURN(nn::EmotionModel model, nn::MakeModel(o.model));
  o.model = model->config();
  internal::BroadcastState(model, comm);
  model->to(device);
  std::vector<torch::Tensor> params = nn::OrderedParameters(model);
  torch::optim::AdamW optimizer(
      params,
      torch::optim::AdamWOptions(o.learning_rate).weight_decay(o.weight_decay));
  // Gradients are averaged where they live: NCCL on the GPU when the build
  // has it and the model is on a CUDA device (Horovod's split: MPI control
  // plane, NCCL data plane), else MPI over host copies.
  comm::MpiGradientReducer mpi_reducer(&comm,
                                       comm::MpiGradientReducerOptions{});
  comm::GradientReducer* reducer = &mpi_reducer;
  bool device_reduce = false;
#if MER_HAVE_NCCL
  std::unique_ptr<comm::NcclCommunicator> nccl;
  std::unique_ptr<comm::NcclGradientReducer> nccl_reducer;
  if (device.is_cuda() && nranks > 1) {
    MER_ASSIGN_OR_RETURN(nccl,
                         comm::NcclCommunicator::Create(&comm, device.index()));
    nccl_reducer = std::make_unique<comm::NcclGradientReducer>(nccl.get());
    reducer = nccl_reducer.get();
    device_reduce = true;
  }
#endif
  if (rank == 0 && nranks > 1) {
    spdlog::info("{}gradients averaged over {} ranks with {}",
                 o.label.empty() ? "" : o.label + ": ", nranks,
                 device_reduce ? "NCCL (device buffers)" : "MPI (host buffers)");
  }

  nn::LossOptions loss_options;
  loss_options.label_smoothing = o.label_smoothing;
  loss_options.va_weight = o.va_weight;
  loss_options.tag_weight = o.tag_weight;
  if (o.tags) loss_options.tag_pos_weight = TagPosWeights(data, train);
  if (o.class_weights) {
    std::vector<double> count(4, 0);
    for (int i : train) {
      if (data.tracks()[i].quadrant >= 0) count[data.tracks()[i].quadrant] += 1;
    }
    double total = 0;
    for (double c : count) total += c;
    for (double c : count) {
      loss_options.class_weights.push_back(
          static_cast<float>(c > 0 ? total / (4 * c) : 1.0));
    }
  }

  const nlohmann::json options_json = o.ToJson();
  LoopState loop;
  if (o.resume) {
    std::string bytes;
    int64_t found = 1;
    if (rank == 0) {
      std::ifstream in(internal::CheckpointPath(o.checkpoint_dir),
                       std::ios::binary);
      if (!in) {
        found = 0;
      } else {
        std::ostringstream ss;
        ss << in.rdbuf();
        bytes = ss.str();
      }
    }
    if (nranks > 1) {
      comm.AllreduceSum(&found, 1);
      if (found != nranks) found = 0;
    }
    if (found) {
      if (nranks > 1) comm.BroadcastBytes(0, &bytes);
      MER_RETURN_IF_ERROR(
          internal::LoadCheckpoint(bytes, model, optimizer, &loop, options_json)
              .WithContext(internal::CheckpointPath(o.checkpoint_dir)));
      if (rank == 0) {
        spdlog::info("{}resuming after epoch {} from {}",
                     o.label.empty() ? "" : o.label + ": ", loop.epoch,
                     internal::CheckpointPath(o.checkpoint_dir));
      }
    } else if (rank == 0) {
      spdlog::warn("no checkpoint in {}: starting from scratch",
                   o.checkpoint_dir);
    }
  }

  const int frames = o.model.n_frames, mels = data.n_mels();
  const size_t seg_floats = static_cast<size_t>(mels) * frames;
  const int n_samples = static_cast<int>(train.size()) * o.crops_per_track;
  const int global_batch = o.batch_size * nranks;
  const int steps = (n_samples + global_batch - 1) / global_batch;
  const int num_tags = o.model.num_tags;
  std::vector<float> batch(static_cast<size_t>(o.batch_size) * seg_floats);
  // The selection score (patience, kept epoch): validation macro-F1, or the
  // tags' macro ROC-AUC when no validation track has a quadrant label.
  bool val_quadrants = false;
  for (int i : val)
    val_quadrants = val_quadrants || data.tracks()[i].quadrant >= 0;
  TrainOutcome outcome;
  int run_epochs = 0;

  while (loop.epoch < o.epochs) {
    if (o.stop_after > 0 && run_epochs >= o.stop_after) break;
    if (o.patience > 0 && loop.since_best >= o.patience) {
      outcome.stopped_early = true;
      break;
    }
    const int epoch = loop.epoch;
    const auto t0 = std::chrono::steady_clock::now();
    const double lr = LearningRate(o, epoch);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    }
    const std::vector<int> perm = EpochPermutation(n_samples, o.seed, epoch);
    // Dropout draws from torch's generator, seeded per (seed, epoch, rank):
    // a resumed run draws what the uninterrupted one drew.
    torch::manual_seed(SampleKey(o.seed, epoch, 0xD40u + rank));
    model->train();
    double loss_sum = 0;
    int64_t my_samples = 0;
    for (int s = 0; s < steps; ++s) {
      const int lo = s * global_batch;
      const int global_count = std::min(global_batch, n_samples - lo);
      const int my_lo = std::min(lo + rank * o.batch_size, lo + global_count);
      const int my_hi = std::min(my_lo + o.batch_size, lo + global_count);
      const int count = my_hi - my_lo;
      optimizer.zero_grad();
      if (count > 0) {
        std::vector<int64_t> q(count);
        std::vector<float> va(static_cast<size_t>(count) * 2, 0.0f);
        std::vector<uint8_t> va_mask(count, 0);
        std::vector<float> tags(static_cast<size_t>(count) * num_tags, 0.0f);
        bool any_va = false;
        for (int j = 0; j < count; ++j) {
          const int sample = perm[my_lo + j];
          const TrainingTrack& t =
              data.tracks()[train[sample / o.crops_per_track]];
          CropAndAugment(t.mel, mels, t.n_frames, frames,
                         SampleKey(o.seed, epoch, sample), o.augment,
                         batch.data() + j * seg_floats);
          q[j] = t.quadrant;
          if (t.has_va) {
            va[j * 2] = t.valence;
            va[j * 2 + 1] = t.arousal;
            va_mask[j] = 1;
            any_va = true;
          }
          for (int k = 0; k < num_tags; ++k) tags[j * num_tags + k] = t.tags[k];
        }
        torch::Tensor x = torch::from_blob(batch.data(), {count, mels, frames},
                                           torch::kFloat);
        nn::LossTargets targets;
        targets.quadrant = torch::tensor(q, torch::kLong).to(device);
        if (any_va) {
          targets.va = torch::from_blob(va.data(), {count, 2}, torch::kFloat)
                           .clone()
                           .to(device);
          targets.va_mask =
              torch::from_blob(va_mask.data(), {count}, torch::kUInt8)
                  .to(torch::kBool)
                  .to(device);
        }
        if (num_tags > 0) {
          targets.tags =
              torch::from_blob(tags.data(), {count, num_tags}, torch::kFloat)
                  .clone()
                  .to(device);
        }
        nn::LossTerms loss =
            nn::ModelLoss(model->forward(x.to(device)), targets, loss_options);
        // The gradient of this rank's mean loss, weighted by its share of
        // the step's samples; the average over ranks (x N) is the gradient
        // of the mean over the whole global batch.
        const double scale = static_cast<double>(count) * nranks / global_count;
        (loss.total * scale).backward();
        loss_sum += loss.total.item<double>() * count;
        my_samples += count;
      }
      std::vector<torch::Tensor> cpu_grads;
      std::vector<std::span<float>> spans;
      for (torch::Tensor& p : params) {
        if (!p.mutable_grad().defined())
          p.mutable_grad() = torch::zeros_like(p);
      }
      if (nranks > 1 && device_reduce) {
        // Device buffers in place; NCCL's stream follows LibTorch's
        // default stream, and AverageInPlace synchronises before returning.
        for (torch::Tensor& p : params) {
          if (!p.grad().is_contiguous())
            p.mutable_grad() = p.grad().contiguous();
          spans.emplace_back(p.mutable_grad().data_ptr<float>(),
                             static_cast<size_t>(p.grad().numel()));
        }
        MER_RETURN_IF_ERROR(reducer->AverageInPlace(spans));
      } else if (nranks > 1) {
        for (torch::Tensor& p : params) {
          torch::Tensor g = p.grad().is_cpu()
                                ? p.grad().contiguous()
                                : p.grad().to(torch::kCPU).contiguous();
          cpu_grads.push_back(g);
          spans.emplace_back(g.data_ptr<float>(),
                             static_cast<size_t>(g.numel()));
        }
        MER_RETURN_IF_ERROR(reducer->AverageInPlace(spans));
        for (size_t i = 0; i < params.size(); ++i) {
          if (!params[i].grad().is_cpu() ||
              cpu_grads[i].data_ptr() != params[i].grad().data_ptr()) {
            params[i].mutable_grad().copy_(cpu_grads[i]);
          }
        }
      }
      optimizer.step();
    }
    // BatchNorm running statistics are per rank while training; rank 0's
    // replace the others' after each epoch (DDP's broadcast_buffers), so
    // every rank validates, checkpoints and resumes the same model.
    internal::BroadcastState(model, comm);
    double sums[2] = {loss_sum, static_cast<double>(my_samples)};
    if (nranks > 1) comm.AllreduceSum(sums, 2);

    EpochMetrics m;
    m.epoch = epoch + 1;
    m.lr = lr;
    m.train_loss = sums[1] > 0 ? sums[0] / sums[1] : 0;
    m.samples = static_cast<int64_t>(sums[1]);
    if (!val.empty()) {
      TrackScores vs = ScoreTracks(model, data, val, o, device, comm);
      Classify(data, vs, &m.val_accuracy, &m.val_macro_f1, &m.val_loss);
      if (num_tags > 0) {
        const nn::TagReport tr = EvaluateTrackTags(data, vs);
        m.val_tag_roc_auc = tr.macro_roc_auc;
        m.val_tag_pr_auc = tr.macro_pr_auc;
      }
    }
    m.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    if (nranks > 1) {
      comm.AllreduceSum(&m.seconds, 1);
      m.seconds /= nranks;
    }
    loop.history.push_back(m);
    loop.segments += m.samples;
    loop.seconds += m.seconds;
    loop.epoch = epoch + 1;
    ++run_epochs;
    const double score = val_quadrants ? m.val_macro_f1 : m.val_tag_roc_auc;
    if (!val.empty() && !std::isnan(score)) {
      if (score > loop.best_f1) {
        loop.best_f1 = score;
        loop.best_epoch = m.epoch;
        loop.since_best = 0;
        loop.best_state = internal::FlattenState(model);
      } else {
        ++loop.since_best;
      }
    }
    if (o.average_last > 0 && loop.epoch > o.epochs - o.average_last) {
      const std::vector<float> now = internal::FlattenState(model);
      if (loop.average_state.empty())
        loop.average_state.assign(now.size(), 0.0f);
      for (size_t i = 0; i < now.size(); ++i) loop.average_state[i] += now[i];
      ++loop.averaged;
    }
    if (rank == 0 && o.progress) {
      std::string line =
          fmt::format("{}epoch {}/{}  lr {:.2e}  train loss {:.4f}",
                      o.label.empty() ? "" : o.label + "  ", m.epoch, o.epochs,
                      m.lr, m.train_loss);
      if (!val.empty()) {
        line += fmt::format(
            "  val loss {:.4f}  val acc {:.3f}  val macro-F1 {:.3f}",
            m.val_loss, m.val_accuracy, m.val_macro_f1);
        if (num_tags > 0) {
          line += fmt::format("  val tag ROC-AUC {:.3f}  PR-AUC {:.3f}",
                              m.val_tag_roc_auc, m.val_tag_pr_auc);
        }
      }
      line += fmt::format("  {:.1f} s", m.seconds);
      fmt::print(stderr, "{}\n", line);
    }
    if (!o.checkpoint_dir.empty()) {
      // Every rank learns whether rank 0's write worked, so none goes on
      // alone into the next epoch's collectives.
      core::Status saved;
      if (rank == 0) {
        saved = internal::SaveCheckpoint(o.checkpoint_dir, model, optimizer,
                                         loop, options_json);
      }
      int64_t ok = saved.ok() ? 1 : 0;
      if (nranks > 1) comm.AllreduceSum(&ok, 1);
      if (!saved.ok()) return saved;
      if (ok != nranks) {
        return core::Status::IOError(o.checkpoint_dir,
                                     "rank 0 could not write the checkpoint");
      }
    }
  }
  if (o.patience > 0 && loop.since_best >= o.patience &&
      loop.epoch < o.epochs) {
    outcome.stopped_early = true;
  }
  if (o.return_state) outcome.final_state = internal::FlattenState(model);

  // The kept model: the average of the last epochs, the best by
  // validation, or the last.
  if (loop.averaged > 0) {
    std::vector<float> avg = loop.average_state;
    for (float& v : avg) v /= static_cast<float>(loop.averaged);
    internal::LoadFlatState(model, avg);
    outcome.kept_epoch = 0;
  } else if (!loop.best_state.empty()) {
    internal::LoadFlatState(model, loop.best_state);
    outcome.kept_epoch = loop.best_epoch;
  } else {
    outcome.kept_epoch = loop.epoch;
  }
  outcome.history = loop.history;
  outcome.train_seconds = loop.seconds;
  outcome.segments_trained = loop.segments;
  outcome.val = ScoreTracks(model, data, val, o, device, comm);
  outcome.test = ScoreTracks(model, data, test, o, device, comm);

  if (bundle != nullptr) {
    int64_t ok = 1;
    std::string message;
    if (rank == 0) {
      model->to(torch::kCPU);
      nn::BundleManifest manifest = bundle->manifest;
      manifest.front_end = data.front_end();
      manifest.front_end_digest = data.front_end_digest();
      manifest.training_data_digest = data.Digest();
      if (num_tags > 0) manifest.tag_names = data.tag_names();
      manifest.extra["training"] = options_json;
      manifest.extra["kept_epoch"] = outcome.kept_epoch;
      manifest.extra["ranks"] = nranks;
      manifest.extra["epochs_run"] = loop.epoch;
      manifest.extra["train_tracks"] = train.size();
      if (!val.empty()) {
        double acc = 0, f1 = 0, vloss = 0;
        Classify(data, outcome.val, &acc, &f1, &vloss);
        auto num = [](double v) {
          return std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
        };
        manifest.metrics["validation"] = {{"tracks", val.size()},
                                          {"accuracy", num(acc)},
                                          {"macro_f1", num(f1)}};
        if (num_tags > 0) {
          const nn::TagReport tr = EvaluateTrackTags(data, outcome.val);
          manifest.metrics["validation"]["tag_macro_roc_auc"] =
              num(tr.macro_roc_auc);
          manifest.metrics["validation"]["tag_macro_pr_auc"] =
              num(tr.macro_pr_auc);
        }
      }
      core::Status s =
          nn::SaveBundle(bundle->path, model, manifest, &outcome.model_id);
      if (!s.ok()) {
        ok = 0;
        message = s.ToString();
      }
    }
    if (nranks > 1) comm.AllreduceSum(&ok, 1);
    if (ok != nranks) {
      return core::Status::IOError(
          bundle->path,
          message.empty() ? "rank 0 could not write the bundle" : message);
    }
  }
  return outcome;
}

}  // namespace mer::worker
