// Feature shards: the log-mel spectrograms of a labelled set, written once by
// `mer extract` and memory-mapped by training (the seed genre paper's lesson:
// I/O, not the model, was the bottleneck).
//
// A shard holds whole tracks, not pre-cut windows, so training can take
// random crops at any frame; fixed windows are a view over it.
//
// File format (all integers little-endian):
//   offset  size  field
//   0       8     magic "MERSHRD1"
//   8       8     uint64 data_offset (64)
//   16      8     uint64 total_frames (sum of every track's frame count)
//   24      4     uint32 n_rows: values per frame, the front end's n_mels
//                 log-mel bands then descriptor_rows descriptor rows
//   28      4     uint32 reserved (0)
//   32      8     uint64 index_offset (byte offset of the JSON index)
//   40      8     uint64 index_bytes
//   48      16    reserved (0)
//   64      ...   float32 data: track after track, each [n_rows][n_frames]
//                 (the layout of `mer features` .npy output): the log-mel in
//                 dB, then any descriptor rows (dsp::FeatureExtractor)
//   index_offset  JSON: {"format": 1, "front_end": {...},
//                 "front_end_digest": "fe1-...", "tracks": [{"track_id",
//                 "group", "path", "quadrant" (0..3 or -1), "valence",
//                 "arousal" (null when unknown), "offset" (in floats),
//                 "n_frames", "seconds"}]}
//                 When the labelled set has tags (a tags column), the index
//                 also holds "tag_names" (the set's sorted tag names) and
//                 every track a "tags" list (sorted names, [] for none);
//                 without tags both keys are absent. A shard written with
//                 descriptors (`mer extract --descriptors`) also holds
//                 "descriptors" (DescriptorParams as JSON) and
//                 "descriptor_rows". Optional keys, so the format stays 1.
// Writers write through core::AtomicFile (a temp file beside the shard,
// fsync'ed and renamed when Finish() succeeds): a shard that exists is
// complete. Integers in the header are little-endian.
#ifndef MER_STORAGE_FEATURE_SHARD_H_
#define MER_STORAGE_FEATURE_SHARD_H_

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/core/atomic_file.h"
#include "common/core/emotion.h"
#include "common/core/result.h"

namespace mer::storage {

struct ShardTrack {
  std::string track_id;
  std::string group;
  std::string path;
  std::optional<core::Quadrant> quadrant;
  std::optional<float> valence;
  std::optional<float> arousal;
  std::vector<std::string> tags;  // sorted; only in a shard with tags
  uint64_t offset = 0;   // first float of this track in the data section
  int n_frames = 0;
  double seconds = 0;
};

// Writes one shard. Not thread-safe.
class FeatureShardWriter {
 public:
  // `front_end` is FrontEndParams::ToJson() of the features written.
  // `tag_names`: the labelled set's tags when it has a tags column (each
  // track's tags must be among them); nullopt: a shard without tags.
  // `n_rows` values per frame: the log-mel bands, then `descriptor_rows`
  // descriptor rows made with `descriptors` (null and 0: none).
  static core::Result<std::unique_ptr<FeatureShardWriter>> Create(
      const std::string& path, int n_rows, const nlohmann::json& front_end,
      const std::string& front_end_digest,
      std::optional<std::vector<std::string>> tag_names = std::nullopt,
      const nlohmann::json& descriptors = nullptr, int descriptor_rows = 0);
  ~FeatureShardWriter();

  // Appends one track: `mel` holds n_rows * n_frames floats,
  // [n_rows][n_frames].
  core::Status Add(ShardTrack track, const float* mel, int n_frames);
  // Writes the index and header, then renames the file into place.
  core::Status Finish();
  size_t num_tracks() const { return tracks_.size(); }

 private:
  FeatureShardWriter() = default;

  std::string path_;
  std::optional<core::AtomicFile> file_;
  int n_mels_ = 0;  // rows per frame
  nlohmann::json descriptors_;
  int descriptor_rows_ = 0;
  nlohmann::json front_end_;
  std::string digest_;
  std::optional<std::vector<std::string>> tag_names_;
  uint64_t total_frames_ = 0;
  std::vector<ShardTrack> tracks_;
  bool finished_ = false;
};

// A memory-mapped shard. Thread-safe for concurrent reads once opened.
class FeatureShard {
 public:
  static core::Result<std::unique_ptr<FeatureShard>> Open(
      const std::string& path);
  ~FeatureShard();
  FeatureShard(const FeatureShard&) = delete;
  FeatureShard& operator=(const FeatureShard&) = delete;

  const std::string& path() const { return path_; }
  // Values per frame, and how many of them are log-mel bands.
  int n_rows() const { return n_mels_; }
  int n_mels() const { return n_mels_ - descriptor_rows_; }
  // The descriptor rows after the bands: their parameters (null: none).
  const nlohmann::json& descriptors() const { return descriptors_; }
  int descriptor_rows() const { return descriptor_rows_; }
  const nlohmann::json& front_end() const { return front_end_; }
  const std::string& front_end_digest() const { return digest_; }
  // Whether the tracks carry tag labels, and the set's tag names.
  bool has_tags() const { return has_tags_; }
  const std::vector<std::string>& tag_names() const { return tag_names_; }
  const std::vector<ShardTrack>& tracks() const { return tracks_; }
  // [n_rows][n_frames] floats of track i.
  const float* TrackData(size_t i) const { return data_ + tracks_[i].offset; }

 private:
  // The JSON index: front end, tag names, tracks (each checked to lie
  // within the `data_floats` floats of the data section).
  core::Status ReadIndex(const nlohmann::json& index, uint64_t data_floats);
  FeatureShard() = default;

  std::string path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  const float* data_ = nullptr;
  int n_mels_ = 0;  // rows per frame
  nlohmann::json descriptors_;
  int descriptor_rows_ = 0;
  nlohmann::json front_end_;
  std::string digest_;
  bool has_tags_ = false;
  std::vector<std::string> tag_names_;
  std::vector<ShardTrack> tracks_;
};

// A set of shards (a folder written by `mer extract`): every "*.mershard" file
// in `dir`, sorted by name, all with the same front end and descriptor rows,
// and all with tags or all without.
class FeatureDataset {
 public:
  static core::Result<FeatureDataset> Open(const std::string& dir);

  struct TrackRef {
    const FeatureShard* shard;
    size_t index;
    const ShardTrack& track() const { return shard->tracks()[index]; }
    const float* data() const { return shard->TrackData(index); }
  };
  const std::vector<TrackRef>& tracks() const { return tracks_; }
  int n_rows() const { return shards_.front()->n_rows(); }
  int n_mels() const { return shards_.front()->n_mels(); }
  const nlohmann::json& descriptors() const {
    return shards_.front()->descriptors();
  }
  const nlohmann::json& front_end() const { return shards_.front()->front_end(); }
  const std::string& front_end_digest() const {
    return shards_.front()->front_end_digest();
  }
  bool has_tags() const { return shards_.front()->has_tags(); }

 private:
  std::vector<std::shared_ptr<FeatureShard>> shards_;
  std::vector<TrackRef> tracks_;
};

// "DIR/part-00003-of-00008.mershard"
std::string ShardPath(const std::string& dir, int part, int parts);

}  // namespace mer::storage

#endif  // MER_STORAGE_FEATURE_SHARD_H_
