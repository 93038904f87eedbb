#include "worker/training_data.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "common/core/check.h"
#include "common/core/digest.h"
#include "common/core/progress.h"

namespace mer::worker {
namespace fs = std::filesystem;

namespace {

// The ids and labels of a shard track or a labels-CSV row (both carry
// track_id, group, path and optional quadrant / valence / arousal). A track
// without a group is its own group.
template <typename Labelled>
TrainingTrack TrackOf(const Labelled& x) {
  TrainingTrack t;
  t.track_id = x.track_id;
  t.group = x.group.empty() ? x.track_id : x.group;
  t.path = x.path;
  t.quadrant = x.quadrant ? static_cast<int>(*x.quadrant) : -1;
  t.has_va = x.valence.has_value() && x.arousal.has_value();
  if (t.has_va) {
    t.valence = *x.valence;
    t.arousal = *x.arousal;
  }
  return t;
}

}  // namespace

void TrainingData::SetMeta(int n_mels, nlohmann::json front_end,
                           std::string digest) {
  n_mels_ = n_mels;
  front_end_ = std::move(front_end);
  front_end_digest_ = std::move(digest);
}

void TrainingData::SetTags(const std::vector<std::vector<std::string>>& names) {
  MER_CHECK(names.size() == tracks_.size());
  has_tags_ = true;
  std::set<std::string> all;
  for (const auto& n : names) all.insert(n.begin(), n.end());
  tag_names_.assign(all.begin(), all.end());
  for (size_t i = 0; i < tracks_.size(); ++i) {
    tracks_[i].tags.assign(tag_names_.size(), 0);
    for (const std::string& tag : names[i]) {
      const auto it =
          std::lower_bound(tag_names_.begin(), tag_names_.end(), tag);
      tracks_[i].tags[it - tag_names_.begin()] = 1;
    }
  }
}

std::string TrainingData::Digest() const {
  core::Digest64 d;
  d.Update(front_end_digest_);
  for (const TrainingTrack& t : tracks_) {
    d.Update(t.track_id).Update("\x1f").Update(t.group).Update("\x1f");
    const int32_t v[2] = {t.quadrant, t.n_frames};
    d.Update(v, sizeof(v));
    if (t.has_va) {
      const float va[2] = {t.valence, t.arousal};
      d.Update(va, sizeof(va));
    }
  }
  if (has_tags_) {
    d.Update("\x1dtags");
    for (const std::string& name : tag_names_) d.Update("\x1f").Update(name);
    for (const TrainingTrack& t : tracks_) {
      d.Update("\n").Update(t.tags.data(), t.tags.size());
    }
  }
  return "td-" + d.Hex();
}

core::Result<TrainingData> TrainingData::FromShards(const std::string& dir) {
  MER_ASSIGN_OR_RETURN(storage::FeatureDataset ds,
                       storage::FeatureDataset::Open(dir));
  TrainingData data;
  data.shards_ = std::make_shared<storage::FeatureDataset>(std::move(ds));
  data.SetMeta(data.shards_->n_mels(), data.shards_->front_end(),
               data.shards_->front_end_digest());
  std::vector<std::vector<std::string>> tags;
  for (const auto& ref : data.shards_->tracks()) {
    const storage::ShardTrack& st = ref.track();
    TrainingTrack t = TrackOf(st);
    t.n_frames = st.n_frames;
    t.mel = ref.data();
    if (t.n_frames > 0) {
      data.tracks_.push_back(std::move(t));
      tags.push_back(st.tags);
    }
  }
  if (data.tracks_.empty()) {
    return core::Status::InvalidArgument(dir,
                                         "the feature shards hold no tracks");
  }
  if (data.shards_->has_tags()) data.SetTags(tags);
  return data;
}

core::Result<TrainingData> TrainingData::FromLabels(
    const LabelsSourceOptions& options, comm::Communicator& comm) {
  MER_RETURN_IF_ERROR(options.front_end.Validate());
  MER_ASSIGN_OR_RETURN(core::LabelledSet set,
                       core::ReadLabels(options.labels_csv, options.labels));
  const int rank = comm.rank(), size = comm.size();
  const int n_mels = options.front_end.n_mels;
  std::vector<size_t> mine;
  for (size_t i = rank; i < set.tracks.size(); i += size) mine.push_back(i);

  int threads = options.threads;
  if (threads == 0) {
    threads =
        std::max(1, static_cast<int>(std::thread::hardware_concurrency()) /
                        std::max(1, size));
  }
  std::vector<std::vector<float>> mels(mine.size());
  std::vector<std::string> errors(mine.size());
  std::atomic<size_t> next{0};
  std::mutex mu;
  core::ProgressOptions popts;
  popts.label = "features";
  popts.enabled = options.progress && rank == 0;
  core::Progress progress(popts, static_cast<int64_t>(mine.size()));
  int64_t done = 0, failed = 0;
  double audio = 0;
  auto work = [&] {
    dsp::LogMelExtractor extractor(options.front_end);
    for (size_t k; (k = next.fetch_add(1)) < mine.size();) {
      auto f = ComputeTrackFeatures(set.tracks[mine[k]].path, extractor,
                                    options.track);
      std::lock_guard<std::mutex> lock(mu);
      if (f.ok()) {
        mels[k] = std::move(f->log_mel.data);
        audio += f->seconds;
        ++done;
      } else {
        errors[k] = f.status().message();
        ++failed;
      }
      progress.Update(done, failed, audio);
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  progress.Finish();

  // Exchange: each rank in turn broadcasts its tracks (header + floats).
  TrainingData data;
  data.SetMeta(n_mels, options.front_end.ToJson(), options.front_end.Digest());
  std::vector<std::vector<float>> all_mels(set.tracks.size());
  std::vector<std::string> all_errors(set.tracks.size());
  std::vector<bool> seen(set.tracks.size(), false);
  for (int root = 0; root < size; ++root) {
    std::string bytes;
    if (root == rank) {
      nlohmann::json head = nlohmann::json::array();
      for (size_t k = 0; k < mine.size(); ++k) {
        head.push_back({mine[k], mels[k].size(), errors[k]});
      }
      const std::string h = head.dump();
      const uint64_t hs = h.size();
      bytes.append(reinterpret_cast<const char*>(&hs), sizeof(hs));
      bytes += h;
      for (const auto& m : mels) {
        bytes.append(reinterpret_cast<const char*>(m.data()),
                     m.size() * sizeof(float));
      }
    }
    if (size > 1) comm.BroadcastBytes(root, &bytes);
    uint64_t hs = 0;
    std::memcpy(&hs, bytes.data(), sizeof(hs));
    const auto head = nlohmann::json::parse(bytes.substr(sizeof(hs), hs));
    size_t pos = sizeof(hs) + hs;
    for (const auto& e : head) {
      const size_t i = e[0].get<size_t>();
      const size_t n = e[1].get<size_t>();
      all_errors[i] = e[2].get<std::string>();
      all_mels[i].resize(n);
      std::memcpy(all_mels[i].data(), bytes.data() + pos, n * sizeof(float));
      pos += n * sizeof(float);
      seen[i] = true;
    }
  }
  std::vector<std::vector<std::string>> tags;
  for (size_t i = 0; i < set.tracks.size(); ++i) {
    const core::LabelledTrack& lt = set.tracks[i];
    if (!seen[i] || all_mels[i].empty()) {
      const std::string reason =
          all_errors[i].empty() ? "no audio frames" : all_errors[i];
      if (rank == 0) spdlog::warn("{}: skipped: {}", lt.path, reason);
      data.failures_.push_back({lt.track_id, lt.path, reason});
      continue;
    }
    TrainingTrack t = TrackOf(lt);
    t.n_frames = static_cast<int>(all_mels[i].size() / n_mels);
    data.owned_.push_back(std::move(all_mels[i]));
    t.mel = data.owned_.back().data();
    data.tracks_.push_back(std::move(t));
    tags.push_back(lt.tags);
  }
  if (data.tracks_.empty()) {
    return core::Status::InvalidArgument(options.labels_csv,
                                         "no track could be decoded");
  }
  if (set.has_tags) data.SetTags(tags);
  return data;
}

core::Result<TrainingData> TrainingData::Open(
    const std::string& path, const LabelsSourceOptions& options,
    comm::Communicator& comm) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return FromShards(path);
  if (!fs::exists(path, ec))
    return core::Status::NotFound(path, "no such file or folder");
  LabelsSourceOptions o = options;
  o.labels_csv = path;
  return FromLabels(o, comm);
}

}  // namespace mer::worker
