// TrainingData: the whole-track log-mel spectrograms and labels a training,
// cross-validation or evaluation run works on, held in memory (or mapped
// from feature shards). Torch-free.
//
//   MER_ASSIGN_OR_RETURN(TrainingData data, TrainingData::FromShards(dir));
//   MER_ASSIGN_OR_RETURN(TrainingData data,
//                        TrainingData::FromLabels(options, comm));
//
// FromLabels extracts features on the fly (the per-track boundary of
// worker/track_features.h): rank r of N decodes tracks r, r + N, ... and the
// ranks then exchange their spectrograms, so every rank holds every track.
// A track that fails, or a shard track without a frame, is reported in
// failures() and left out.
//
// Tags: when the source has tag labels (a tags column, shards written from
// one), tag_names() is the sorted union of the tags of the tracks held (a
// tag whose every track failed is not among them) and each track carries a
// 0/1 vector over it.
//
// Ownership: owns its buffers (or the mapped shards). Move-only in practice
// (the TrackRefs point into them). Thread-safety: immutable once built.
#ifndef MER_WORKER_TRAIN_TRAINING_DATA_H_
#define MER_WORKER_TRAIN_TRAINING_DATA_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/comm/communicator.h"
#include "common/core/labels.h"
#include "common/core/result.h"
#include "common/dsp/descriptor_params.h"
#include "common/dsp/front_end_params.h"
#include "storage/feature_shard.h"
#include "worker/track_features.h"

namespace mer::worker {

struct TrainingTrack {
  std::string track_id;
  std::string group;  // the split group (artist); track_id when empty
  std::string path;
  int quadrant = -1;  // 0..3 (happy, tense, sad, calm), -1 unknown
  bool has_va = false;
  float valence = 0, arousal = 0;
  int n_frames = 0;
  // [n_rows][n_frames], owned by the set: the log-mel in dB, then any
  // descriptor rows.
  const float* mel = nullptr;
  // 0/1 per entry of TrainingData::tag_names(); empty when the data has no
  // tags.
  std::vector<uint8_t> tags;
};

struct TrainingFailure {
  std::string track_id, path, reason;
};

struct LabelsSourceOptions {
  std::string labels_csv;         // required
  dsp::FrontEndParams front_end;  // Default: the default preset
  // Descriptor rows after the log-mel (dsp::FeatureParams). Default: none.
  std::optional<dsp::DescriptorParams> descriptors;
  core::LabelsOptions labels;
  TrackFeatureOptions track;
  int threads = 0;       // decode threads per rank; 0 = auto
  bool progress = true;  // progress line on rank 0
};

class TrainingData {
 public:
  TrainingData() = default;
  TrainingData(TrainingData&&) = default;
  TrainingData& operator=(TrainingData&&) = default;

  // Every "*.mershard" of `dir` (written by `mer extract`).
  static core::Result<TrainingData> FromShards(const std::string& dir);
  // Decodes and computes log-mel for every row of the CSV. Collective.
  static core::Result<TrainingData> FromLabels(
      const LabelsSourceOptions& options, comm::Communicator& comm);
  // `path` is a folder of shards or a labels CSV (by extension). Collective.
  static core::Result<TrainingData> Open(const std::string& path,
                                         const LabelsSourceOptions& options,
                                         comm::Communicator& comm);

  const std::vector<TrainingTrack>& tracks() const { return tracks_; }
  // Log-mel bands per frame, then descriptor rows: n_rows() values per
  // frame in all. descriptors() holds the descriptors' parameters (null
  // without them).
  int n_mels() const { return n_mels_; }
  int n_rows() const { return n_mels_ + descriptor_rows_; }
  int descriptor_rows() const { return descriptor_rows_; }
  const nlohmann::json& descriptors() const { return descriptors_; }
  const nlohmann::json& front_end() const { return front_end_; }
  const std::string& front_end_digest() const { return front_end_digest_; }
  // Whether the source has tag labels, and the tags the tracks carry.
  bool has_tags() const { return has_tags_; }
  const std::vector<std::string>& tag_names() const { return tag_names_; }
  // Digest of every track's id, group, labels and frame count: names the
  // training data in a bundle's manifest. Tags and descriptor parameters are
  // folded in only when present, so data without them keeps the digest it
  // had before either existed.
  std::string Digest() const;
  const std::vector<TrainingFailure>& failures() const { return failures_; }
  // How a lexicon gave the tracks their V-A (LexiconJson of
  // worker/extract_job.h), from the labels or the shards' dataset.json;
  // null without a lexicon.
  const nlohmann::json& lexicon() const { return lexicon_; }

 private:
  void SetMeta(int n_mels, nlohmann::json front_end, std::string digest,
               nlohmann::json descriptors, int descriptor_rows);
  // Sets tag_names_ to the union of `names` (one list per track of tracks_)
  // and each track's 0/1 vector.
  void SetTags(const std::vector<std::vector<std::string>>& names);

  std::vector<TrainingTrack> tracks_;
  std::vector<TrainingFailure> failures_;
  int n_mels_ = 0;
  int descriptor_rows_ = 0;
  nlohmann::json descriptors_;
  nlohmann::json front_end_;
  std::string front_end_digest_;
  bool has_tags_ = false;
  std::vector<std::string> tag_names_;
  nlohmann::json lexicon_;
  // Backing storage: mapped shards, or spectrograms made by FromLabels.
  std::shared_ptr<storage::FeatureDataset> shards_;
  std::vector<std::vector<float>> owned_;
};

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_TRAINING_DATA_H_
