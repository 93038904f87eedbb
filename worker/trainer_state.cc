#include "worker/trainer_state.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mer::worker::internal {
namespace fs = std::filesystem;

std::vector<torch::Tensor> StateTensors(const nn::EmotionModel& model) {
  std::vector<torch::Tensor> out;
  for (auto& [name, t] : nn::OrderedState(model)) out.push_back(t);
  return out;
}

std::vector<float> FlattenState(const nn::EmotionModel& model) {
  std::vector<float> flat;
  for (const torch::Tensor& t : StateTensors(model)) {
    const torch::Tensor c =
        t.detach().to(torch::kCPU, torch::kFloat).contiguous();
    flat.insert(flat.end(), c.data_ptr<float>(),
                c.data_ptr<float>() + c.numel());
  }
  return flat;
}

void LoadFlatState(const nn::EmotionModel& model,
                   const std::vector<float>& flat) {
  torch::NoGradGuard no_grad;
  size_t pos = 0;
  for (torch::Tensor& t : StateTensors(model)) {
    const int64_t n = t.numel();
    MER_CHECK(pos + static_cast<size_t>(n) <= flat.size());
    torch::Tensor src = torch::from_blob(const_cast<float*>(flat.data() + pos),
                                         t.sizes(), torch::kFloat);
    t.copy_(src.to(t.dtype()));
    pos += static_cast<size_t>(n);
  }
  MER_CHECK(pos == flat.size());
}

void BroadcastState(const nn::EmotionModel& model, comm::Communicator& comm) {
  if (comm.size() == 1) return;
  std::string bytes;
  if (comm.rank() == 0) {
    const std::vector<float> flat = FlattenState(model);
    bytes.assign(reinterpret_cast<const char*>(flat.data()),
                 flat.size() * sizeof(float));
  }
  comm.BroadcastBytes(0, &bytes);
  if (comm.rank() != 0) {
    std::vector<float> flat(bytes.size() / sizeof(float));
    std::memcpy(flat.data(), bytes.data(), flat.size() * sizeof(float));
    LoadFlatState(model, flat);
  }
}

std::string CheckpointPath(const std::string& dir) {
  return (fs::path(dir) / "checkpoint.pt").string();
}

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

// The options whose change would make a resumed run differ from a straight
// one (progress, threads, checkpoint folder and stop_after may change).
// Options added after checkpoints existed take their default when a
// checkpoint lacks them, so an older checkpoint still resumes.
nlohmann::json ShapingOptions(nlohmann::json j) {
  for (const char* k :
       {"progress", "threads", "checkpoint_dir", "resume", "label",
        "stop_after", "return_state", "device", "local_rank"}) {
    j.erase(k);
  }
  const TrainerOptions defaults;
  if (!j.contains("tags")) j["tags"] = defaults.tags;
  if (!j.contains("tag_weight")) j["tag_weight"] = defaults.tag_weight;
  return j;
}

}  // namespace

core::Status SaveCheckpoint(const std::string& dir,
                            const nn::EmotionModel& model,
                            torch::optim::Optimizer& optimizer,
                            const LoopState& loop,
                            const nlohmann::json& options_json) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return core::Status::IOError(dir, ec.message());
  nlohmann::json meta;
  meta["format"] = 1;
  meta["epoch"] = loop.epoch;
  nlohmann::json hist = nlohmann::json::array();
  for (const auto& e : loop.history) hist.push_back(e.ToJson());
  meta["history"] = hist;
  meta["best_f1"] = loop.best_f1;
  meta["best_epoch"] = loop.best_epoch;
  meta["since_best"] = loop.since_best;
  meta["averaged"] = loop.averaged;
  meta["segments"] = loop.segments;
  meta["seconds"] = loop.seconds;
  meta["options"] = ShapingOptions(options_json);
  const std::string path = CheckpointPath(dir);
  const std::string tmp = path + ".tmp";
  try {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive model_archive, optim_archive;
    model->save(model_archive);
    optimizer.save(optim_archive);
    archive.write("model", model_archive);
    archive.write("optimizer", optim_archive);
    archive.write("meta", c10::IValue(meta.dump()));
    archive.write("rng", at::detail::getDefaultCPUGenerator().get_state());
    archive.write("best_state", VecTensor(loop.best_state));
    archive.write("average_state", VecTensor(loop.average_state));
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    return core::Status::IOError(tmp, e.what_without_backtrace());
  }
  fs::rename(tmp, path, ec);
  if (ec) return core::Status::IOError(path, ec.message());
  return core::Status::Ok();
}

core::Status LoadCheckpoint(const std::string& bytes, nn::EmotionModel model,
                            torch::optim::Optimizer& optimizer, LoopState* loop,
                            const nlohmann::json& options_json) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    c10::IValue meta_value;
    archive.read("meta", meta_value);
    const nlohmann::json meta = nlohmann::json::parse(meta_value.toStringRef());
    const nlohmann::json now = ShapingOptions(options_json);
    const nlohmann::json then = ShapingOptions(meta["options"]);
    if (then != now) {
      // Name only what differs, e.g. "epochs 2 -> 3".
      std::string diff;
      for (const auto& patch : nlohmann::json::diff(then, now)) {
        std::string path = patch.value("path", "");
        if (!path.empty() && path[0] == '/') path.erase(0, 1);
        const nlohmann::json* old_value = nullptr;
        try {
          old_value =
              &then.at(nlohmann::json::json_pointer(patch.value("path", "")));
        } catch (const nlohmann::json::exception&) {
        }
        if (!diff.empty()) diff += ", ";
        diff += path + " " + (old_value ? old_value->dump() : "(none)") +
                " -> " + (patch.contains("value") ? patch["value"].dump()
                                                   : "(none)");
      }
      return core::Status::InvalidArgument(
          "checkpoint",
          "it was made with other training options (" + diff +
              "); resume with the same options, or start afresh without "
              "--resume");
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
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    gen.set_state(rng);
    loop->epoch = meta["epoch"].get<int>();
    loop->history.clear();
    for (const auto& e : meta["history"]) {
      EpochMetrics m;
      m.epoch = e["epoch"].get<int>();
      m.lr = e["lr"].get<double>();
      m.train_loss = e["train_loss"].get<double>();
      auto num = [&](const char* k) {
        return !e.contains(k) || e[k].is_null()
                   ? std::numeric_limits<double>::quiet_NaN()
                   : e[k].get<double>();
      };
      m.val_loss = num("val_loss");
      m.val_accuracy = num("val_accuracy");
      m.val_macro_f1 = num("val_macro_f1");
      m.val_tag_roc_auc = num("val_tag_roc_auc");
      m.val_tag_pr_auc = num("val_tag_pr_auc");
      m.seconds = e["seconds"].get<double>();
      m.samples = e["samples"].get<int64_t>();
      loop->history.push_back(m);
    }
    loop->best_f1 = meta["best_f1"].get<double>();
    loop->best_epoch = meta["best_epoch"].get<int>();
    loop->since_best = meta["since_best"].get<int>();
    loop->averaged = meta["averaged"].get<int>();
    loop->segments = meta["segments"].get<int64_t>();
    loop->seconds = meta["seconds"].get<double>();
    loop->best_state = TensorVec(best);
    loop->average_state = TensorVec(average);
  } catch (const c10::Error& e) {
    return core::Status::Corruption("checkpoint", e.what_without_backtrace());
  } catch (const nlohmann::json::exception& e) {
    return core::Status::Corruption("checkpoint", e.what());
  }
  return core::Status::Ok();
}

}  // namespace mer::worker::internal
