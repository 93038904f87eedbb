#include "storage/feature_shard.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/core/coding.h"

namespace mer::storage {
namespace {

constexpr char kMagic[8] = {'M', 'E', 'R', 'S', 'H', 'R', 'D', '1'};
constexpr uint64_t kDataOffset = 64;
constexpr int kFormat = 1;

// The 64-byte header, little-endian (core/coding.h).
struct Header {
  uint64_t data_offset = 0;
  uint64_t total_frames = 0;
  uint32_t n_mels = 0;
  uint64_t index_offset = 0;
  uint64_t index_bytes = 0;
};

std::string EncodeHeader(const Header& h) {
  std::string b(kMagic, sizeof(kMagic));
  core::PutFixed64(&b, h.data_offset);
  core::PutFixed64(&b, h.total_frames);
  core::PutFixed32(&b, h.n_mels);
  core::PutFixed32(&b, 0);  // reserved
  core::PutFixed64(&b, h.index_offset);
  core::PutFixed64(&b, h.index_bytes);
  b.resize(kDataOffset, '\0');  // reserved
  return b;
}

// `p` holds kDataOffset bytes.
Header DecodeHeader(const char* p) {
  Header h;
  h.data_offset = core::DecodeFixed64(p + 8);
  h.total_frames = core::DecodeFixed64(p + 16);
  h.n_mels = core::DecodeFixed32(p + 24);
  h.index_offset = core::DecodeFixed64(p + 32);
  h.index_bytes = core::DecodeFixed64(p + 40);
  return h;
}

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
    const std::string& path, int n_rows, const nlohmann::json& front_end,
    const std::string& front_end_digest,
    std::optional<std::vector<std::string>> tag_names,
    const nlohmann::json& descriptors, int descriptor_rows) {
  if (descriptors.is_null() != (descriptor_rows == 0) || descriptor_rows < 0 ||
      descriptor_rows >= n_rows) {
    return core::Status::InvalidArgument(
        path, "descriptor rows " + std::to_string(descriptor_rows) +
                  " do not fit " + std::to_string(n_rows) +
                  " rows and the descriptor parameters");
  }
  MER_ASSIGN_OR_RETURN(core::AtomicFile file, core::AtomicFile::Create(path));
  std::unique_ptr<FeatureShardWriter> w(new FeatureShardWriter());
  w->path_ = path;
  w->n_mels_ = n_rows;
  w->descriptors_ = descriptors;
  w->descriptor_rows_ = descriptor_rows;
  w->front_end_ = front_end;
  w->digest_ = front_end_digest;
  w->tag_names_ = std::move(tag_names);
  MER_RETURN_IF_ERROR(file.Append(std::string(kDataOffset, '\0')));  // header
  w->file_.emplace(std::move(file));
  return w;
}

FeatureShardWriter::~FeatureShardWriter() = default;

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
  static_assert(std::endian::native == std::endian::little,
                "feature shards hold little-endian float32");
  MER_RETURN_IF_ERROR(file_->Append(std::string_view(
      reinterpret_cast<const char*>(mel),
      sizeof(float) * static_cast<size_t>(n_mels_) * n_frames)));
  total_frames_ += n_frames;
  tracks_.push_back(std::move(track));
  return core::Status::Ok();
}

core::Status FeatureShardWriter::Finish() {
  nlohmann::json index;
  index["format"] = kFormat;
  index["front_end"] = front_end_;
  index["front_end_digest"] = digest_;
  if (descriptor_rows_ > 0) {
    index["descriptors"] = descriptors_;
    index["descriptor_rows"] = descriptor_rows_;
  }
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
  Header h;
  h.data_offset = kDataOffset;
  h.total_frames = total_frames_;
  h.n_mels = static_cast<uint32_t>(n_mels_);
  h.index_offset = kDataOffset + total_frames_ * n_mels_ * sizeof(float);
  h.index_bytes = text.size();
  MER_RETURN_IF_ERROR(file_->Append(text));
  MER_RETURN_IF_ERROR(file_->WriteAt(0, EncodeHeader(h)));
  finished_ = true;
  return file_->Commit();
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
  const char* bytes = static_cast<const char*>(s->map_);
  const Header h = DecodeHeader(bytes);
  if (std::memcmp(bytes, kMagic, sizeof(kMagic)) != 0) {
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
    MER_RETURN_IF_ERROR(s->ReadIndex(index, h.total_frames * h.n_mels));
  } catch (const nlohmann::json::exception& e) {
    return core::Status::Corruption(path, std::string("shard index: ") + e.what());
  }
  return s;
}

core::Status FeatureShard::ReadIndex(const nlohmann::json& index,
                                     uint64_t data_floats) {
  front_end_ = index.at("front_end");
  digest_ = index.at("front_end_digest").get<std::string>();
  if (index.contains("descriptors")) {
    descriptors_ = index.at("descriptors");
    descriptor_rows_ = index.at("descriptor_rows").get<int>();
    if (descriptor_rows_ <= 0 || descriptor_rows_ >= n_mels_) {
      return core::Status::Corruption(
          path_, "descriptor rows " + std::to_string(descriptor_rows_) +
                     " do not fit the " + std::to_string(n_mels_) +
                     " rows per frame");
    }
  }
  has_tags_ = index.contains("tag_names");
  if (has_tags_) {
    tag_names_ = index.at("tag_names").get<std::vector<std::string>>();
    if (!std::is_sorted(tag_names_.begin(), tag_names_.end())) {
      return core::Status::Corruption(path_, "tag names are not sorted");
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
    if (has_tags_) {
      st.tags = t.at("tags").get<std::vector<std::string>>();
      for (const std::string& tag : st.tags) {
        if (!std::binary_search(tag_names_.begin(), tag_names_.end(), tag)) {
          return core::Status::Corruption(
              path_, "track " + st.track_id + ": tag '" + tag +
                         "' is not among the shard's tag names");
        }
      }
    }
    if (st.offset + uint64_t(st.n_frames) * n_mels_ > data_floats) {
      return core::Status::Corruption(path_, "track " + st.track_id +
                                                 " lies outside the data");
    }
    tracks_.push_back(std::move(st));
  }
  return core::Status::Ok();
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
        (shard->front_end_digest() !=
             ds.shards_.front()->front_end_digest() ||
         shard->descriptors() != ds.shards_.front()->descriptors())) {
      return core::Status::InvalidArgument(
          p, "front end " + shard->front_end_digest() +
                 " (or its descriptor rows) differs from " +
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
