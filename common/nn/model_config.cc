#include "common/nn/model_config.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace mer::nn {
namespace {

using core::Result;
using core::Status;

// Frequency pools of `blocks` conv blocks whose floor divisions take `h` to
// exactly 1: each block pools by ceil(h^(1/left)), then the list is sorted
// ascending (fine detail kept early) when that still reaches 1.
std::vector<int> CollapsingPools(int h, int blocks) {
  std::vector<int> pools;
  int rest = h;
  for (int i = 0; i < blocks; ++i) {
    const int left = blocks - i;
    int f = left == 1
                ? rest
                : static_cast<int>(std::ceil(
                      std::pow(static_cast<double>(rest), 1.0 / left) - 1e-9));
    f = std::max(f, 1);
    pools.push_back(f);
    rest /= f;
  }
  std::vector<int> sorted = pools;
  std::sort(sorted.begin(), sorted.end());
  int check = h;
  for (int f : sorted) check /= f;
  return check == 1 ? sorted : pools;
}

// Pools of `factor` while the size allows, then 1.
std::vector<int> HalvingPools(int h, int blocks, int factor) {
  std::vector<int> pools;
  for (int i = 0; i < blocks; ++i) {
    const int f = h >= factor ? factor : 1;
    pools.push_back(f);
    h /= f;
  }
  return pools;
}

int FloorChain(int size, const std::vector<int>& pools) {
  for (int f : pools) size /= f;
  return size;
}

int Product(const std::vector<int>& v) {
  int p = 1;
  for (int x : v) p *= x;
  return p;
}

bool UsesConv(const ModelConfig& c) {
  return c.arch == "cnn" || c.arch == "crnn" || c.arch == "pcrnn" ||
         (c.arch == "attn-lstm" && c.attn_conv_front);
}

bool ReadsFrames(const ModelConfig& c) {
  return c.arch == "rnn" || c.arch == "pcrnn" ||
         (c.arch == "attn-lstm" && !c.attn_conv_front);
}

}  // namespace

const std::vector<std::string>& ArchNames() {
  static const std::vector<std::string> kNames = {"cnn",   "rnn",
                                                  "crnn",  "pcrnn",
                                                  "attn-lstm", "mlp"};
  return kNames;
}

ModelConfig ModelConfig::ForArch(const std::string& arch) {
  ModelConfig c;
  c.arch = arch;
  return c.Resolved();
}

ModelConfig ModelConfig::Paper2019() {
  ModelConfig c;
  c.arch = "crnn";
  c.n_mels = 96;
  c.n_frames = 1440;  // 1366 frames (29.1 s at hop 512, 22.05 kHz) padded
  c.channels = {64, 128, 128, 128};
  c.freq_pools = {2, 3, 4, 4};
  c.time_pools = {2, 3, 4, 4};
  c.cnn_dropout = 0.5f;
  c.rnn_hidden = 64;
  c.rnn_layers = 2;
  c.rnn_dropout = 0.3f;
  return c.Resolved();
}

Result<ModelConfig> ModelConfig::Named(const std::string& name) {
  if (name == "default") return ForArch("crnn");
  if (name == "paper2019") return Paper2019();
  for (const std::string& a : ArchNames()) {
    if (a == name) return ForArch(a);
  }
  return Status::InvalidArgument(
      "model config '" + name + "'",
      "unknown; expected default, paper2019, cnn, rnn, crnn, pcrnn, "
      "attn-lstm or mlp");
}

ModelConfig ModelConfig::Ensemble(std::vector<ModelConfig> members,
                                  std::vector<float> weights) {
  ModelConfig c;
  c.arch = "ensemble";
  if (weights.empty()) weights.assign(members.size(), 1.0f);
  double sum = 0;
  for (float w : weights) sum += w;
  if (sum > 0) {
    for (float& w : weights) w = static_cast<float>(w / sum);
  }
  c.member_weights = std::move(weights);
  c.members = std::move(members);
  return c.Resolved();
}

ModelConfig ModelConfig::Resolved() const {
  ModelConfig c = *this;
  if (c.arch == "ensemble") {
    // The ensemble's own fields follow its members'.
    c.channels.clear();
    c.freq_pools.clear();
    c.time_pools.clear();
    c.stats_dim = c.descriptor_dim = c.embedding_dim = c.num_tags = 0;
    c.descriptor_rows = 0;
    for (ModelConfig& m : c.members) {
      m = m.Resolved();
      c.descriptor_rows = std::max(c.descriptor_rows, m.descriptor_rows);
    }
    if (!c.members.empty()) {
      const ModelConfig& first = c.members.front();
      c.n_mels = first.n_mels;
      c.n_frames = first.n_frames;
      c.num_quadrants = first.num_quadrants;
      c.quadrant_head = first.quadrant_head;
    }
    return c;
  }
  if (c.arch == "cnn") {
    if (c.channels.empty()) c.channels = {32, 64, 64, 128, 128};
  } else if (c.arch == "crnn") {
    if (c.channels.empty()) c.channels = {32, 64, 128, 128};
  } else if (c.arch == "pcrnn") {
    if (c.channels.empty()) c.channels = {32, 64, 64, 64};
  } else if (c.arch == "attn-lstm") {
    if (!c.attn_conv_front) c.channels.clear();
    if (c.attn_conv_front && c.channels.empty()) c.channels = {32, 64};
  } else if (c.arch == "rnn" || c.arch == "mlp") {
    c.channels.clear();
  }
  // The classic model reads the statistics branches alone: without a
  // descriptor branch it gets the band statistics'.
  if (c.arch == "mlp" && c.stats_dim == 0 && c.descriptor_dim == 0) {
    c.stats_dim = 32;
  }
  const int blocks = static_cast<int>(c.channels.size());
  if (c.freq_pools.empty() && blocks > 0 && c.TrunkMels() > 0) {
    if (c.arch == "crnn") {
      c.freq_pools = CollapsingPools(c.TrunkMels(), blocks);
    } else if (c.arch == "attn-lstm") {
      c.freq_pools = HalvingPools(c.TrunkMels(), blocks, 4);
    } else {
      c.freq_pools = HalvingPools(c.TrunkMels(), blocks, 2);
    }
  }
  if (c.time_pools.empty() && blocks > 0) c.time_pools.assign(blocks, 2);
  if (blocks == 0) {
    c.freq_pools.clear();
    c.time_pools.clear();
  }
  if (c.rnn_time_pool == 0) {
    c.rnn_time_pool = c.arch == "pcrnn" ? 4 : c.arch == "attn-lstm" ? 2 : 1;
  }
  return c;
}

Status ModelConfig::Validate() const {
  auto bad = [](const std::string& field, const std::string& why) {
    return Status::InvalidArgument("model config: " + field, why);
  };
  if (arch == "ensemble") {
    const ModelConfig r = Resolved();
    if (r.members.size() < 2) return bad("members", "an ensemble needs >= 2");
    if (r.member_weights.size() != r.members.size()) {
      return bad("member_weights", "need one weight per member");
    }
    for (size_t i = 0; i < r.members.size(); ++i) {
      const ModelConfig& m = r.members[i];
      const std::string who = "members[" + std::to_string(i) + "]";
      if (m.arch == "ensemble") return bad(who, "an ensemble in an ensemble");
      if (Status s = m.Validate(); !s.ok()) return bad(who, s.message());
      if (m.n_mels != r.n_mels || m.n_frames != r.n_frames ||
          m.num_quadrants != r.num_quadrants ||
          m.quadrant_head != r.quadrant_head) {
        return bad(who, "members must share n_mels, n_frames, num_quadrants "
                        "and quadrant_head (they read the same windows)");
      }
      if (m.num_tags != 0) return bad(who, "ensembles of tag heads: not yet");
      if (!(r.member_weights[i] > 0) || !std::isfinite(r.member_weights[i])) {
        return bad("member_weights", "every weight must be > 0");
      }
    }
    return Status::Ok();
  }
  if (!members.empty() || !member_weights.empty()) {
    return bad("members", "only an ensemble has members");
  }
  if (std::find(ArchNames().begin(), ArchNames().end(), arch) ==
      ArchNames().end()) {
    return bad("arch '" + arch + "'",
               "unknown; expected cnn, rnn, crnn, pcrnn, attn-lstm or mlp");
  }

  if (n_mels < 1) return bad("n_mels", "must be >= 1");
  if (input_freq_pool < 1 || input_freq_pool > n_mels) {
    return bad("input_freq_pool", "must be in [1, n_mels]");
  }
  if (input_time_pool < 1) return bad("input_time_pool", "must be >= 1");
  if (input_norm != "affine" && input_norm != "batchnorm") {
    return bad("input_norm '" + input_norm + "'",
               "expected affine or batchnorm");
  }
  if (!std::isfinite(input_offset) || !std::isfinite(input_scale) ||
      input_scale == 0.0f) {
    return bad("input_offset/input_scale", "must be finite, scale non-zero");
  }
  const ModelConfig r = Resolved();
  const size_t blocks = r.channels.size();
  if (UsesConv(r)) {
    if (blocks == 0) return bad("channels", "a conv arch needs >= 1 block");
    for (int ch : r.channels) {
      if (ch < 1) return bad("channels", "every entry must be >= 1");
    }
    if (r.freq_pools.size() != blocks || r.time_pools.size() != blocks) {
      return bad("freq_pools/time_pools", "need one entry per conv block (" +
                                              std::to_string(blocks) + ")");
    }
    for (size_t i = 0; i < blocks; ++i) {
      if (r.freq_pools[i] < 1 || r.time_pools[i] < 1) {
        return bad("freq_pools/time_pools", "every entry must be >= 1");
      }
    }
    // The trunk's bands: n_mels, or fewer after input_freq_pool.
    const int mels = r.TrunkMels();
    const int rows = FloorChain(mels, r.freq_pools);
    if (arch == "crnn" && rows != 1) {
      return bad("freq_pools",
                 "crnn pools must take the trunk's " + std::to_string(mels) +
                     " bands to 1 row, they leave " + std::to_string(rows));
    }
    if (rows < 1) {
      return bad("freq_pools", "pool the trunk's " + std::to_string(mels) +
                                   " bands below 1 row");
    }
  }
  if (cnn_dropout < 0 || cnn_dropout >= 1) {
    return bad("cnn_dropout", "must be in [0, 1)");
  }
  if (rnn_dropout < 0 || rnn_dropout >= 1) {
    return bad("rnn_dropout", "must be in [0, 1)");
  }
  if (arch != "cnn" && arch != "mlp") {
    if (rnn_hidden < 1) return bad("rnn_hidden", "must be >= 1");
    if (rnn_layers < 1) return bad("rnn_layers", "must be >= 1");
  }
  if (r.rnn_time_pool < 1) return bad("rnn_time_pool", "must be >= 0");
  if (arch == "attn-lstm" && attention_dim < 1) {
    return bad("attention_dim", "must be >= 1");
  }
  if (stats_dim < 0) return bad("stats_dim", "must be >= 0");
  if (descriptor_dim < 0) return bad("descriptor_dim", "must be >= 0");
  if (descriptor_rows < 0) return bad("descriptor_rows", "must be >= 0");
  if ((descriptor_dim > 0) != (descriptor_rows > 0)) {
    return bad("descriptor_dim",
               "a descriptor branch needs descriptor rows in the input "
               "(features extracted with --descriptors), and they need it");
  }
  if (embedding_dim < 0) return bad("embedding_dim", "must be >= 0");
  if (num_quadrants < 2) return bad("num_quadrants", "must be >= 2");
  if (quadrant_head != "va" && quadrant_head != "softmax") {
    return bad("quadrant_head",
               "'" + quadrant_head + "': expected va or softmax");
  }
  if (quadrant_head == "va" && num_quadrants != 4) {
    return bad("quadrant_head", "va needs num_quadrants 4");
  }
  if (num_tags < 0) return bad("num_tags", "must be >= 0");
  if (n_frames < r.MinFrames()) {
    return bad("n_frames", std::to_string(n_frames) + " is below the " +
                               std::to_string(r.MinFrames()) +
                               " frames this architecture needs");
  }
  return Status::Ok();
}

int ModelConfig::MinFrames() const {
  const ModelConfig r = Resolved();
  int min_frames = 1;
  if (r.arch == "ensemble") {
    for (const ModelConfig& m : r.members) {
      min_frames = std::max(min_frames, m.MinFrames());
    }
    return min_frames;
  }
  if (UsesConv(r)) min_frames = std::max(min_frames, Product(r.time_pools));
  if (ReadsFrames(r)) min_frames = std::max(min_frames, r.rnn_time_pool);
  min_frames *= r.input_time_pool;
  if (r.stats_dim > 0 || r.descriptor_dim > 0) {
    min_frames = std::max(min_frames, 2);  // one delta
  }
  return min_frames;
}

int ModelConfig::EmbeddingDim() const {
  if (arch == "ensemble") {
    int dim = 0;
    for (const ModelConfig& m : members) dim += m.EmbeddingDim();
    return dim;
  }
  if (embedding_dim > 0) return embedding_dim;
  const ModelConfig r = Resolved();
  if (r.arch == "cnn") {
    return (r.channels.empty() ? 0 : r.channels.back()) + r.stats_dim +
           r.descriptor_dim;
  }
  if (r.arch == "pcrnn") {
    return (r.channels.empty() ? 0 : r.channels.back()) + r.rnn_hidden +
           r.stats_dim + r.descriptor_dim;
  }
  if (r.arch == "mlp") return r.stats_dim + r.descriptor_dim;
  return r.rnn_hidden + r.stats_dim + r.descriptor_dim;
}

nlohmann::json ModelConfig::ToJson() const {
  nlohmann::json j{
      {"arch", arch},
      {"n_mels", n_mels},
      {"n_frames", n_frames},
      {"input_norm", input_norm},
      {"input_offset", input_offset},
      {"input_scale", input_scale},
      {"input_freq_pool", input_freq_pool},
      {"input_time_pool", input_time_pool},
      {"channels", channels},
      {"freq_pools", freq_pools},
      {"time_pools", time_pools},
      {"cnn_dropout", cnn_dropout},
      {"rnn_hidden", rnn_hidden},
      {"rnn_layers", rnn_layers},
      {"rnn_dropout", rnn_dropout},
      {"rnn_time_pool", rnn_time_pool},
      {"attn_conv_front", attn_conv_front},
      {"attention_dim", attention_dim},
      {"stats_dim", stats_dim},
      {"embedding_dim", embedding_dim},
      {"num_quadrants", num_quadrants},
      {"quadrant_head", quadrant_head},
      {"num_tags", num_tags},
  };
  // Only with a descriptor branch, so configs without one read as before.
  if (descriptor_dim > 0 || descriptor_rows > 0) {
    j["descriptor_rows"] = descriptor_rows;
    j["descriptor_dim"] = descriptor_dim;
  }
  if (arch == "ensemble" || !members.empty()) {
    nlohmann::json m = nlohmann::json::array();
    for (const ModelConfig& c : members) m.push_back(c.ToJson());
    j["members"] = std::move(m);
    j["member_weights"] = member_weights;
  }
  return j;
}

Result<ModelConfig> ModelConfig::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) {
    return Status::InvalidArgument("model config", "expected a JSON object");
  }
  static const std::set<std::string> kKeys = {"arch",
                                              "n_mels",
                                              "n_frames",
                                              "input_norm",
                                              "input_offset",
                                              "input_scale",
                                              "channels",
                                              "freq_pools",
                                              "time_pools",
                                              "cnn_dropout",
                                              "rnn_hidden",
                                              "rnn_layers",
                                              "rnn_dropout",
                                              "rnn_time_pool",
                                              "attn_conv_front",
                                              "attention_dim",
                                              "embedding_dim",
                                              "num_quadrants",
                                              "num_tags",
                                              "stats_dim",
                                              "input_freq_pool",
                                              "input_time_pool",
                                              "quadrant_head",
                                              "descriptor_rows",
                                              "descriptor_dim",
                                              "members",
                                              "member_weights"};
  for (const auto& [key, value] : j.items()) {
    if (!kKeys.count(key)) {
      return Status::InvalidArgument("model config",
                                     "unknown key '" + key + "'");
    }
  }
  ModelConfig c;
  // Models saved before the key existed had an independent softmax head.
  c.quadrant_head = "softmax";
  try {
    auto get = [&j](const char* key, auto& field) {
      if (j.contains(key)) j.at(key).get_to(field);
    };
    get("arch", c.arch);
    get("n_mels", c.n_mels);
    get("n_frames", c.n_frames);
    get("input_norm", c.input_norm);
    get("input_offset", c.input_offset);
    get("input_scale", c.input_scale);
    get("input_freq_pool", c.input_freq_pool);
    get("input_time_pool", c.input_time_pool);
    get("channels", c.channels);
    get("freq_pools", c.freq_pools);
    get("time_pools", c.time_pools);
    get("cnn_dropout", c.cnn_dropout);
    get("rnn_hidden", c.rnn_hidden);
    get("rnn_layers", c.rnn_layers);
    get("rnn_dropout", c.rnn_dropout);
    get("rnn_time_pool", c.rnn_time_pool);
    get("attn_conv_front", c.attn_conv_front);
    get("attention_dim", c.attention_dim);
    get("stats_dim", c.stats_dim);
    get("descriptor_rows", c.descriptor_rows);
    get("descriptor_dim", c.descriptor_dim);
    get("embedding_dim", c.embedding_dim);
    get("num_quadrants", c.num_quadrants);
    get("quadrant_head", c.quadrant_head);
    get("num_tags", c.num_tags);
    get("member_weights", c.member_weights);
    if (j.contains("members")) {
      for (const auto& m : j.at("members")) {
        Result<ModelConfig> member = FromJson(m);
        if (!member.ok()) return member.status();
        c.members.push_back(*std::move(member));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument("model config", e.what());
  }
  return c;
}

}  // namespace mer::nn
