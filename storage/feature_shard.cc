#include "storage/feature_shard.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace mer::storage {
namespace {

constexpr char kMagic[8] = {'M', 'E', 'R', 'S', 'H', 'R', 'D', '1'};
constexpr uint64_t kDataOffset = 64;
constexpr int kFormat = 1;

struct Header {
  char magic[8];
  uint64_t data_offset;
  uint64_t total_frames;
  uint32_t n_mels;
  uint32_t reserved0;
  uint64_t index_offset;
  uint64_t index_bytes;
  uint8_t reserved[16];
};
static_assert(sizeof(Header) == kDataOffset);

nlohmann::json OptionalFloat(const std::optional<float>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

std::string ShardPath(const std::string& dir, int part, int parts) {
  char name[64];
  std::snprintf(name, sizeof(name), "part-%05d-of-%05d.mershard", part, parts);
  return (std::filesystem::path(dir) / name).string();
}

core::Result<std::unique_ptr<FeatureShardWriter>> FeatureShardWriter::Create(
    const std::string& path, int n_mels, const nlohmann::json& front_end,
    const std::string& front_end_digest,
    std::optional<std::vector<std::string>> tag_names) {
  std::unique_ptr<FeatureShardWriter> w(new FeatureShardWriter());
  w->path_ = path;
  w->tmp_path_ = path + ".tmp";
  w->n_mels_ = n_mels;
  w->front_end_ = front_end;
  w->digest_ = front_end_digest;
  w->tag_names_ = std::move(tag_names);
  w->out_.open(w->tmp_path_, std::ios::binary | std::ios::trunc);
  if (!w->out_) return core::Status::IOError(w->tmp_path_, std::strerror(errno));
  Header h{};
  w->out_.write(reinterpret_cast<const char*>(&h), sizeof(h));  // placeholder
  return w;
}

FeatureShardWriter::~FeatureShardWriter() {
  if (!finished_) {
    out_.close();
    std::remove(tmp_path_.c_str());
  }
}

core::Status FeatureShardWriter::Add(ShardTrack track, const float* mel,
                                     int n_frames) {
  MER_CHECK(!finished_);
  if (tag_names_) {
    for (const std::string& tag : track.tags) {
      if (!std::binary_search(tag_names_->begin(), tag_names_->end(), tag)) {
        return core::Status::InvalidArgument(
            path_, "track " + track.track_id + ": tag '" + tag +
                       "' is not among the shard's tag names");
      }
    }
  } else if (!track.tags.empty()) {
    return core::Status::InvalidArgument(
        path_, "track " + track.track_id +
                   " has tags but the shard was created without tag names");
  }
  track.offset = total_frames_ * static_cast<uint64_t>(n_mels_);
  track.n_frames = n_frames;
  out_.write(reinterpret_cast<const char*>(mel),
             static_cast<std::streamsize>(sizeof(float) * n_mels_ * n_frames));
  if (!out_) return core::Status::IOError(tmp_path_, "write failed");
  total_frames_ += n_frames;
  tracks_.push_back(std::move(track));
  return core::Status::Ok();
}

core::Status FeatureShardWriter::Finish() {
  nlohmann::json index;
  index["format"] = kFormat;
  index["front_end"] = front_end_;
  index["front_end_digest"] = digest_;
  if (tag_names_) index["tag_names"] = *tag_names_;
  nlohmann::json tracks = nlohmann::json::array();
  for (const auto& t : tracks_) {
    nlohmann::json j = {
        {"track_id", t.track_id},
        {"group", t.group},
        {"path", t.path},
        {"quadrant", t.quadrant ? static_cast<int>(*t.quadrant) : -1},
        {"valence", OptionalFloat(t.valence)},
        {"arousal", OptionalFloat(t.arousal)},
        {"offset", t.offset},
        {"n_frames", t.n_frames},
        {"seconds", t.seconds}};
    if (tag_names_) j["tags"] = t.tags;
    tracks.push_back(std::move(j));
  }
  index["tracks"] = std::move(tracks);
  const std::string text = index.dump();
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.data_offset = kDataOffset;
  h.total_frames = total_frames_;
  h.n_mels = static_cast<uint32_t>(n_mels_);
  h.index_offset = kDataOffset + total_frames_ * n_mels_ * sizeof(float);
  h.index_bytes = text.size();
  out_.write(text.data(), static_cast<std::streamsize>(text.size()));
  out_.seekp(0);
  out_.write(reinterpret_cast<const char*>(&h), sizeof(h));
  out_.flush();
  if (!out_) return core::Status::IOError(tmp_path_, "write failed");
  out_.close();
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    return core::Status::IOError(path_, std::strerror(errno));
  }
  finished_ = true;
  return core::Status::Ok();
}

core::Result<std::unique_ptr<FeatureShard>> FeatureShard::Open(
    const std::string& path) {
  std::unique_ptr<FeatureShard> s(new FeatureShard());
  s->path_ = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno == ENOENT ? core::Status::NotFound(path, std::strerror(errno))
                           : core::Status::IOError(path, std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(kDataOffset)) {
    ::close(fd);
    return core::Status::Corruption(path, "too small to be a feature shard");
  }
  s->map_size_ = static_cast<size_t>(st.st_size);
  s->map_ = ::mmap(nullptr, s->map_size_, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (s->map_ == MAP_FAILED) {
    s->map_ = nullptr;
    return core::Status::IOError(path, std::strerror(errno));
  }
  Header h;
  std::memcpy(&h, s->map_, sizeof(h));
  if (std::memcmp(h.magic, kMagic, sizeof(kMagic)) != 0) {
    return core::Status::Corruption(path, "not a mer feature shard");
  }
  const uint64_t data_bytes = h.total_frames * h.n_mels * sizeof(float);
  if (h.data_offset != kDataOffset || h.n_mels == 0 ||
      h.index_offset != kDataOffset + data_bytes ||
      h.index_offset + h.index_bytes > s->map_size_) {
    return core::Status::Corruption(path, "header does not match file size");
  }
  s->n_mels_ = static_cast<int>(h.n_mels);
  s->data_ = reinterpret_cast<const float*>(static_cast<const char*>(s->map_) +
                                            kDataOffset);
  nlohmann::json index = nlohmann::json::parse(
      static_cast<const char*>(s->map_) + h.index_offset,
      static_cast<const char*>(s->map_) + h.index_offset + h.index_bytes,
      nullptr, /*allow_exceptions=*/false);
  if (index.is_discarded() || index.value("format", 0) != kFormat) {
    return core::Status::Corruption(path, "unreadable shard index");
  }
  try {
    s->front_end_ = index.at("front_end");
    s->digest_ = index.at("front_end_digest").get<std::string>();
    s->has_tags_ = index.contains("tag_names");
    if (s->has_tags_) {
      s->tag_names_ = index.at("tag_names").get<std::vector<std::string>>();
      if (!std::is_sorted(s->tag_names_.begin(), s->tag_names_.end())) {
        return core::Status::Corruption(path, "tag names are not sorted");
      }
    }
    for (const auto& t : index.at("tracks")) {
      ShardTrack st;
      st.track_id = t.at("track_id").get<std::string>();
      st.group = t.at("group").get<std::string>();
      st.path = t.at("path").get<std::string>();
      int q = t.at("quadrant").get<int>();
      if (q >= 0) st.quadrant = static_cast<core::Quadrant>(q);
      if (!t.at("valence").is_null()) st.valence = t["valence"].get<float>();
      if (!t.at("arousal").is_null()) st.arousal = t["arousal"].get<float>();
      st.offset = t.at("offset").get<uint64_t>();
      st.n_frames = t.at("n_frames").get<int>();
      st.seconds = t.at("seconds").get<double>();
      if (s->has_tags_) {
        st.tags = t.at("tags").get<std::vector<std::string>>();
        for (const std::string& tag : st.tags) {
          if (!std::binary_search(s->tag_names_.begin(), s->tag_names_.end(),
                                  tag)) {
            return core::Status::Corruption(
                path, "track " + st.track_id + ": tag '" + tag +
                          "' is not among the shard's tag names");
          }
        }
      }
      if (st.offset + uint64_t(st.n_frames) * h.n_mels >
          h.total_frames * h.n_mels) {
        return core::Status::Corruption(path, "track " + st.track_id +
                                                  " lies outside the data");
      }
      s->tracks_.push_back(std::move(st));
    }
  } catch (const nlohmann::json::exception& e) {
    return core::Status::Corruption(path, std::string("shard index: ") + e.what());
  }
  return s;
}

FeatureShard::~FeatureShard() {
  if (map_) ::munmap(map_, map_size_);
}

core::Result<FeatureDataset> FeatureDataset::Open(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return core::Status::NotFound(dir, "not a folder of feature shards");
  }
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".mershard") paths.push_back(e.path().string());
  }
  if (paths.empty()) {
    return core::Status::NotFound(dir, "no .mershard files (run mer extract)");
  }
  std::sort(paths.begin(), paths.end());
  FeatureDataset ds;
  for (const auto& p : paths) {
    MER_ASSIGN_OR_RETURN(std::unique_ptr<FeatureShard> shard,
                         FeatureShard::Open(p));
    if (!ds.shards_.empty() &&
        shard->front_end_digest() != ds.shards_.front()->front_end_digest()) {
      return core::Status::InvalidArgument(
          p, "front end " + shard->front_end_digest() + " differs from " +
                 ds.shards_.front()->front_end_digest() + " of " +
                 ds.shards_.front()->path());
    }
    if (!ds.shards_.empty() &&
        shard->has_tags() != ds.shards_.front()->has_tags()) {
      return core::Status::InvalidArgument(
          p, std::string(shard->has_tags() ? "has" : "has no") +
                 " tag labels, unlike " + ds.shards_.front()->path() +
                 " (shards of one extraction all have tags or none)");
    }
    ds.shards_.push_back(std::move(shard));
  }
  for (const auto& s : ds.shards_) {
    for (size_t i = 0; i < s->tracks().size(); ++i) {
      ds.tracks_.push_back({s.get(), i});
    }
  }
  return ds;
}

}  // namespace mer::storage
