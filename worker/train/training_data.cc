#include "worker/train/training_data.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/core/check.h"
#include "common/core/coding.h"
#include "common/core/digest.h"
#include "common/dsp/feature_extractor.h"
#include "worker/extract_job.h"
#include "worker/parallel_features.h"
#include "worker/rank_progress.h"

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
                           std::string digest, nlohmann::json descriptors,
                           int descriptor_rows) {
  n_mels_ = n_mels;
  front_end_ = std::move(front_end);
  front_end_digest_ = std::move(digest);
  descriptors_ = std::move(descriptors);
  descriptor_rows_ = descriptor_rows;
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
  // Data without descriptor rows keeps the digest it had before them.
  if (descriptor_rows_ > 0) {
    d.Update("\x1d" "descriptors").Update(descriptors_.dump());
  }
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
               data.shards_->front_end_digest(), data.shards_->descriptors(),
               data.shards_->n_rows() - data.shards_->n_mels());
  std::vector<std::vector<std::string>> tags;
  for (const auto& ref : data.shards_->tracks()) {
    const storage::ShardTrack& st = ref.track();
    TrainingTrack t = TrackOf(st);
    t.n_frames = st.n_frames;
    t.mel = ref.data();
    if (t.n_frames > 0) {
      data.tracks_.push_back(std::move(t));
      tags.push_back(st.tags);
    } else {
      spdlog::warn("{}: skipped: no audio frames in the shard", st.path);
      data.failures_.push_back(
          {st.track_id, st.path, "no audio frames in the feature shard"});
    }
  }
  if (data.tracks_.empty()) {
    return core::Status::InvalidArgument(dir,
                                         "the feature shards hold no tracks");
  }
  if (data.shards_->has_tags()) data.SetTags(tags);
  // dataset.json (mer extract) says whether a lexicon gave the V-A.
  std::ifstream meta_in(fs::path(dir) / "dataset.json");
  const nlohmann::json meta = nlohmann::json::parse(meta_in, nullptr, false);
  if (!meta.is_discarded() && meta.contains("lexicon")) {
    data.lexicon_ = meta["lexicon"];
  }
  return data;
}

namespace {

// This rank's share of a labelled set: spectrograms (empty when the track
// failed) and failure reasons, in the order of `mine`.
struct RankFeatures {
  std::vector<size_t> mine;  // indices into the set
  std::vector<std::vector<float>> mels;
  std::vector<std::string> errors;
};

RankFeatures DecodeMine(const core::LabelledSet& set,
                        const LabelsSourceOptions& options,
                        comm::Communicator& comm) {
  const int rank = comm.rank(), size = comm.size();
  // One line on rank 0 over every rank's tracks.
  RankProgress progress(comm, static_cast<int64_t>(set.tracks.size()),
                        "features", options.progress);
  RankFeatures r;
  std::vector<std::string> paths;
  for (size_t i = rank; i < set.tracks.size(); i += size) {
    r.mine.push_back(i);
    paths.push_back(set.tracks[i].path);
  }
  r.mels.resize(paths.size());
  r.errors.resize(paths.size());
  ParallelFeatureOptions p;
  p.front_end = options.front_end;
  p.descriptors = options.descriptors;
  p.track = options.track;
  p.threads = options.threads;
  p.on_counts = progress.Callback();
  ComputeFeaturesInParallel(paths, p, size,
                            [&](size_t k, core::Result<TrackFeatures> f) {
                              if (f.ok()) {
                                r.mels[k] = std::move(f->log_mel.data);
                              } else {
                                r.errors[k] = f.status().message();
                              }
                            });
  return r;
}

// Each rank in turn broadcasts its tracks (a JSON header of (index, floats,
// error) then the floats); every rank ends with all of them.
void Exchange(const RankFeatures& r, comm::Communicator& comm,
              std::vector<std::vector<float>>* mels,
              std::vector<std::string>* errors, std::vector<bool>* seen) {
  for (int root = 0; root < comm.size(); ++root) {
    std::string bytes;
    if (root == comm.rank()) {
      nlohmann::json head = nlohmann::json::array();
      for (size_t k = 0; k < r.mine.size(); ++k) {
        head.push_back({r.mine[k], r.mels[k].size(), r.errors[k]});
      }
      const std::string h = head.dump();
      core::PutFixed64(&bytes, h.size());
      bytes += h;
      for (const auto& m : r.mels) core::PutFloats(&bytes, m);
    }
    if (comm.size() > 1) comm.BroadcastBytes(root, &bytes);
    const uint64_t hs = core::DecodeFixed64(bytes.data());
    const auto head = nlohmann::json::parse(bytes.substr(8, hs));
    size_t pos = 8 + hs;
    for (const auto& e : head) {
      const size_t i = e[0].get<size_t>();
      const size_t n = e[1].get<size_t>();
      (*errors)[i] = e[2].get<std::string>();
      (*mels)[i] = core::DecodeFloats(bytes.data() + pos, n);
      pos += n * sizeof(float);
      (*seen)[i] = true;
    }
  }
}

}  // namespace

core::Result<TrainingData> TrainingData::FromLabels(
    const LabelsSourceOptions& options, comm::Communicator& comm) {
  const dsp::FeatureParams features{options.front_end, options.descriptors};
  MER_RETURN_IF_ERROR(features.Validate());
  MER_ASSIGN_OR_RETURN(core::LabelledSet set,
                       core::ReadLabels(options.labels_csv, options.labels));
  if (set.lexicon && comm.rank() == 0) {
    spdlog::info("{}", set.lexicon->Summary());
  }
  const int n_rows = features.rows();
  const RankFeatures mine = DecodeMine(set, options, comm);
  std::vector<std::vector<float>> all_mels(set.tracks.size());
  std::vector<std::string> all_errors(set.tracks.size());
  std::vector<bool> seen(set.tracks.size(), false);
  Exchange(mine, comm, &all_mels, &all_errors, &seen);

  TrainingData data;
  data.SetMeta(options.front_end.n_mels, options.front_end.ToJson(),
               options.front_end.Digest(), features.DescriptorsJson(),
               n_rows - options.front_end.n_mels);
  std::vector<std::vector<std::string>> tags;
  for (size_t i = 0; i < set.tracks.size(); ++i) {
    const core::LabelledTrack& lt = set.tracks[i];
    if (!seen[i] || all_mels[i].empty()) {
      const std::string reason =
          all_errors[i].empty() ? "no audio frames" : all_errors[i];
      if (comm.rank() == 0) spdlog::warn("{}: skipped: {}", lt.path, reason);
      data.failures_.push_back({lt.track_id, lt.path, reason});
      continue;
    }
    TrainingTrack t = TrackOf(lt);
    t.n_frames = static_cast<int>(all_mels[i].size() / n_rows);
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
  if (set.lexicon) data.lexicon_ = LexiconJson(*set.lexicon);
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
