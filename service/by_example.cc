// ExampleAnalyzer (service/by_example.h).
#include "service/by_example.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "common/audio/audio_decoder.h"

namespace mer::service {
namespace {

// A private temp file removed on scope exit.
class TempFile {
 public:
  TempFile() {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/mer-example-XXXXXX";
    fd_ = ::mkstemp(path_.data());
  }
  ~TempFile() {
    if (fd_ < 0) return;
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool Write(const std::string& bytes) {
    if (fd_ < 0) return false;
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// The message with the temp file's path replaced by "the uploaded file".
std::string Scrub(std::string message, const std::string& path) {
  for (size_t at; (at = message.find(path)) != std::string::npos;) {
    message.replace(at, path.size(), "the uploaded file");
  }
  return message;
}

}  // namespace

ExampleAnalyzer::ExampleAnalyzer(worker::TrackPredictor predictor,
                                 double max_seconds)
    : predictor_(std::move(predictor)), max_seconds_(max_seconds) {}

core::Result<std::unique_ptr<ExampleAnalyzer>> ExampleAnalyzer::Open(
    const std::string& model_path,
    const std::optional<storage::IndexIdentity>& identity, double max_seconds) {
  MER_ASSIGN_OR_RETURN(worker::TrackPredictor p,
                       worker::TrackPredictor::Open(model_path));
  if (identity) {
    const auto& m = p.manifest();
    if (m.model_id != identity->model_id) {
      return core::Status::InvalidArgument(
          "--model " + model_path,
          "model " + m.model_id + " is not the index's model " +
              identity->model_id + " (by-example answers would not compare)");
    }
    if (!m.front_end_digest.empty() &&
        m.front_end_digest != identity->front_end_digest) {
      return core::Status::InvalidArgument(
          "--model " + model_path, "front end " + m.front_end_digest +
                                       " is not the index's " +
                                       identity->front_end_digest);
    }
  }
  return std::unique_ptr<ExampleAnalyzer>(
      new ExampleAnalyzer(std::move(p), max_seconds));
}

const std::string& ExampleAnalyzer::model_id() const {
  return predictor_.manifest().model_id;
}

int ExampleAnalyzer::Analyze(const std::string& bytes, Clip* clip,
                             std::string* error) {
  if (bytes.empty()) {
    *error = "the request has no audio (send the file as the body)";
    return 400;
  }
  TempFile file;
  if (!file.Write(bytes)) {
    *error = "cannot store the upload in a temp file";
    return 500;
  }
  auto info = audio::Probe(file.path());
  if (!info.ok()) {
    *error = "not audio: " + Scrub(info.status().message(), file.path());
    return 400;
  }
  if (info->duration_seconds > max_seconds_) {
    *error = "the clip lasts " + std::to_string(static_cast<int>(info->duration_seconds)) +
             " s; at most " + std::to_string(static_cast<int>(max_seconds_)) +
             " s are analysed";
    return 413;
  }
  double seconds = 0;
  core::Result<nn::TrackPrediction> pred = nn::TrackPrediction{};
  {
    std::lock_guard<std::mutex> lock(mu_);
    pred = predictor_.PredictFile(file.path(), &seconds);
  }
  if (!pred.ok()) {
    *error = "not audio: " + Scrub(pred.status().message(), file.path());
    return 400;
  }
  if (seconds > max_seconds_) {  // a container that hid its length
    *error = "the clip is longer than " +
             std::to_string(static_cast<int>(max_seconds_)) + " s";
    return 413;
  }
  storage::TrackResult& t = clip->track;
  t.track_id = "example";
  t.duration_seconds = seconds;
  t.valence = pred->valence;
  t.arousal = pred->arousal;
  for (int q = 0; q < 4 && q < static_cast<int>(pred->quadrant_probs.size()); ++q) {
    t.quadrant_probs[q] = pred->quadrant_probs[q];
  }
  t.embedding = std::move(pred->embedding);
  for (const auto& p : pred->timeline) {
    t.timeline.push_back({p.start_seconds, p.valence, p.arousal});
  }
  t.model_id = model_id();
  return 200;
}

}  // namespace mer::service
