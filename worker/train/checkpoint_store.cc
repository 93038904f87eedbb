#include "worker/train/checkpoint_store.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/core/atomic_file.h"

namespace mer::worker {
namespace fs = std::filesystem;
namespace {

torch::Tensor VecTensor(const std::vector<float>& v) {
  return torch::from_blob(const_cast<float*>(v.data()),
                          {static_cast<int64_t>(v.size())}, torch::kFloat)
      .clone();
}

std::vector<float> TensorVec(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(),
                            c.data_ptr<float>() + c.numel());
}

// The settings whose change would make a resumed run differ from a straight
// one, but for the batch (compared as the global batch, apart). Checkpoints
// of earlier versions also stored how the run went (threads, device, ...)
// and an evaluation hop that is now the front end's; those keys are
// dropped, and settings added later take the value that reproduces what
// those versions did when a checkpoint lacks them, so an older checkpoint
// still resumes.
nlohmann::json ShapingSettings(nlohmann::json j) {
  for (const char* k : {"progress", "threads", "checkpoint_dir", "resume",
                        "label", "stop_after", "return_state", "device",
                        "local_rank", "eval_hop_frames", "batch_size",
                        "global_batch"}) {
    j.erase(k);
  }
  const TrainerOptions defaults;
  if (!j.contains("tags")) j["tags"] = defaults.tags;
  if (!j.contains("tag_weight")) j["tag_weight"] = defaults.tag_weight;
  // Before the option, BatchNorm statistics were per rank.
  if (!j.contains("sync_batchnorm")) j["sync_batchnorm"] = false;
  return j;
}

// "epochs 2 -> 3, lr 0.001 -> 0.01": what differs between two settings.
std::string SettingsDiff(const nlohmann::json& then,
                         const nlohmann::json& now) {
  std::string diff;
  for (const auto& patch : nlohmann::json::diff(then, now)) {
    const std::string pointer = patch.value("path", "");
    const nlohmann::json* old_value = nullptr;
    try {
      old_value = &then.at(nlohmann::json::json_pointer(pointer));
    } catch (const nlohmann::json::exception&) {
    }
    if (!diff.empty()) diff += ", ";
    diff += (pointer.empty() ? pointer : pointer.substr(1)) + " " +
            (old_value ? old_value->dump() : "(none)") + " -> " +
            (patch.contains("value") ? patch["value"].dump() : "(none)");
  }
  return diff;
}

nlohmann::json ProgressJson(const TrainingProgress& p) {
  nlohmann::json meta;
  meta["format"] = 1;
  meta["epoch"] = p.epoch;
  nlohmann::json hist = nlohmann::json::array();
  for (const auto& e : p.history) hist.push_back(e.ToJson());
  meta["history"] = hist;
  meta["best_f1"] = p.selection.best_score;
  meta["best_epoch"] = p.selection.best_epoch;
  meta["since_best"] = p.selection.since_best;
  meta["averaged"] = p.selection.averaged;
  meta["segments"] = p.segments;
  meta["seconds"] = p.seconds;
  return meta;
}

void ReadProgress(const nlohmann::json& meta, TrainingProgress* p) {
  p->epoch = meta["epoch"].get<int>();
  p->history.clear();
  for (const auto& e : meta["history"]) {
    p->history.push_back(EpochMetrics::FromJson(e));
  }
  p->selection.best_score = meta["best_f1"].get<double>();
  p->selection.best_epoch = meta["best_epoch"].get<int>();
  p->selection.since_best = meta["since_best"].get<int>();
  p->selection.averaged = meta["averaged"].get<int>();
  p->segments = meta["segments"].get<int64_t>();
  p->seconds = meta["seconds"].get<double>();
}

}  // namespace

CheckpointStore::CheckpointStore(std::string dir, nlohmann::json settings,
                                 comm::Communicator* comm, bool batch_follows)
    : dir_(std::move(dir)),
      settings_(std::move(settings)),
      comm_(comm),
      batch_follows_(batch_follows) {}

std::string CheckpointStore::path() const {
  return (fs::path(dir_) / "checkpoint.pt").string();
}

core::Status CheckpointStore::Save(const nn::EmotionModel& model,
                                   torch::optim::Optimizer& optimizer,
                                   const TrainingProgress& progress) {
  core::Status saved;
  if (comm_->rank() == 0) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    std::ostringstream bytes;
    try {
      nlohmann::json meta = ProgressJson(progress);
      meta["options"] = settings_;
      meta["options"]["global_batch"] =
          settings_["batch_size"].get<int64_t>() * comm_->size();
      meta["ranks"] = comm_->size();
      torch::serialize::OutputArchive archive, model_archive, optim_archive;
      model->save(model_archive);
      optimizer.save(optim_archive);
      archive.write("model", model_archive);
      archive.write("optimizer", optim_archive);
      archive.write("meta", c10::IValue(meta.dump()));
      archive.write("rng", at::detail::getDefaultCPUGenerator().get_state());
      archive.write("best_state", VecTensor(progress.selection.best_state));
      archive.write("average_state", VecTensor(progress.selection.average_sum));
      archive.save_to(bytes);
      saved = ec ? core::Status::IOError(dir_, ec.message())
                 : core::WriteFileAtomic(path(), bytes.str());
    } catch (const c10::Error& e) {
      saved = core::Status::IOError(path(), e.what_without_backtrace());
    }
  }
  int64_t ok = saved.ok() ? 1 : 0;
  if (comm_->size() > 1) comm_->AllreduceSum(&ok, 1);
  if (!saved.ok()) return saved;
  if (ok != comm_->size()) {
    return core::Status::IOError(dir_, "rank 0 could not write the checkpoint");
  }
  return core::Status::Ok();
}

core::Result<bool> CheckpointStore::Load(nn::EmotionModel model,
                                         torch::optim::Optimizer& optimizer,
                                         TrainingProgress* progress) {
  std::string bytes;
  int64_t found = 1;
  if (comm_->rank() == 0) {
    std::ifstream in(path(), std::ios::binary);
    if (!in) {
      found = 0;
    } else {
      std::ostringstream ss;
      ss << in.rdbuf();
      bytes = ss.str();
    }
  }
  if (comm_->size() > 1) {
    comm_->AllreduceSum(&found, 1);
    if (found != comm_->size()) found = 0;
  }
  if (!found) return false;
  if (comm_->size() > 1) comm_->BroadcastBytes(0, &bytes);
  MER_RETURN_IF_ERROR(
      Parse(bytes, model, optimizer, progress).WithContext(path()));
  return true;
}

core::Status CheckpointStore::Parse(const std::string& bytes,
                                    nn::EmotionModel model,
                                    torch::optim::Optimizer& optimizer,
                                    TrainingProgress* progress) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    c10::IValue meta_value;
    archive.read("meta", meta_value);
    const nlohmann::json meta = nlohmann::json::parse(meta_value.toStringRef());
    // Checkpoints before the global batch was recorded were resumed on
    // their own rank count only: this one.
    const int then_ranks = meta.value("ranks", comm_->size());
    const int64_t then_global = meta["options"].value(
        "global_batch", meta["options"]["batch_size"].get<int64_t>() *
                            then_ranks);
    MER_RETURN_IF_ERROR(MatchGlobalBatch(then_global, then_ranks));
    const nlohmann::json now = ShapingSettings(settings_);
    const nlohmann::json then = ShapingSettings(meta["options"]);
    if (then != now) {
      return core::Status::InvalidArgument(
          "checkpoint", "it was made with other training options (" +
                            SettingsDiff(then, now) +
                            "); resume with the same options, or start "
                            "afresh without --resume");
    }
    torch::serialize::InputArchive model_archive, optim_archive;
    archive.read("model", model_archive);
    archive.read("optimizer", optim_archive);
    model->load(model_archive);
    optimizer.load(optim_archive);
    torch::Tensor rng, best, average;
    archive.read("rng", rng);
    archive.read("best_state", best);
    archive.read("average_state", average);
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(rng);
    ReadProgress(meta, progress);
    progress->selection.best_state = TensorVec(best);
    progress->selection.average_sum = TensorVec(average);
  } catch (const c10::Error& e) {
    return core::Status::Corruption("checkpoint", e.what_without_backtrace());
  } catch (const nlohmann::json::exception& e) {
    return core::Status::Corruption("checkpoint", e.what());
  }
  return core::Status::Ok();
}

core::Status CheckpointStore::MatchGlobalBatch(int64_t then_global,
                                               int then_ranks) {
  const int ranks = comm_->size();
  const int64_t batch = settings_["batch_size"].get<int64_t>();
  if (then_global == batch * ranks) return core::Status::Ok();
  const std::string then_layout =
      then_ranks > 0 && then_global % then_ranks == 0
          ? fmt::format(" ({} rank{} x {})", then_ranks,
                        then_ranks == 1 ? "" : "s", then_global / then_ranks)
          : std::string();
  if (then_global % ranks != 0) {
    return core::Status::InvalidArgument(
        "checkpoint",
        fmt::format("it was trained with a global batch of {}{}, which {} "
                    "rank{} cannot split evenly; resume on a rank count that "
                    "divides {}, or start afresh without --resume",
                    then_global, then_layout, ranks, ranks == 1 ? "" : "s",
                    then_global));
  }
  const int64_t follow = then_global / ranks;
  if (batch_follows_) {
    settings_["batch_size"] = follow;
    return core::Status::Ok();
  }
  return core::Status::InvalidArgument(
      "checkpoint",
      fmt::format("it was trained with a global batch of {}{}, this run's is "
                  "{} ({} rank{} x {}); pass --batch-size {} (or leave it out) "
                  "to keep it, or start afresh without --resume",
                  then_global, then_layout, batch * ranks, ranks,
                  ranks == 1 ? "" : "s", batch, follow));
}

}  // namespace mer::worker
