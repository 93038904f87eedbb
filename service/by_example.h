// ExampleAnalyzer: the emotion of an uploaded clip, for POST /by-example.
// Writes the bytes to a private temp file, probes it (length limit), and
// runs the model bundle the index was made with (worker::TrackPredictor).
//
// Thread-safety: Analyze may be called from any number of threads; the
// model runs one clip at a time (its intra-op threads share the work).
#ifndef MER_SERVICE_BY_EXAMPLE_H_
#define MER_SERVICE_BY_EXAMPLE_H_

#include <memory>
#include <mutex>
#include <string>

#include "common/core/result.h"
#include "storage/track_result.h"
#include "worker/track_predictor.h"

namespace mer::service {

struct Clip {
  storage::TrackResult track;  // track_id "example"; duration, V-A, probs,
                               // embedding, timeline
};

class ExampleAnalyzer {
 public:
  // InvalidArgument when the bundle's model id or front end differs from
  // the index's (`identity`; an index without one accepts any model).
  static core::Result<std::unique_ptr<ExampleAnalyzer>> Open(
      const std::string& model_path,
      const std::optional<storage::IndexIdentity>& identity,
      double max_seconds);

  // HTTP status (200, 400 for not audio, 413 for too long, 500) and, when
  // not 200, `error` naming the reason (never the temp file's path).
  int Analyze(const std::string& bytes, Clip* clip, std::string* error);

  const std::string& model_id() const;

 private:
  ExampleAnalyzer(worker::TrackPredictor predictor, double max_seconds);
  std::mutex mu_;
  worker::TrackPredictor predictor_;
  double max_seconds_;
};

}  // namespace mer::service

#endif  // MER_SERVICE_BY_EXAMPLE_H_
