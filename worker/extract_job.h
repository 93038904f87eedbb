// `mer extract`: decode + log-mel every track of a labelled set once, across
// all MPI ranks, into feature shards (storage/feature_shard.h).
//
// Rank r of N takes tracks r, r + N, r + 2N, ... of the CSV and writes
// OUT/part-r-of-N.mershard with `threads` decode threads, in CSV order (the
// same command always writes the same shards); a track that fails is
// reported and left out. Rank 0 then writes OUT/dataset.json (front end,
// label digest, counts, tag names when the set has tags) and OUT/failures.jsonl
// (one JSON object per failed track: track_id, path, reason). With a
// lexicon, the shards carry each track's V-A from its mood words and
// dataset.json the lexicon's report. Shards of an
// earlier run with another rank count are removed first, so the folder always
// holds one consistent set.
#ifndef MER_WORKER_EXTRACT_JOB_H_
#define MER_WORKER_EXTRACT_JOB_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/comm/communicator.h"
#include "common/core/labels.h"
#include "common/core/result.h"
#include "common/dsp/descriptor_params.h"
#include "common/dsp/feature_extractor.h"
#include "common/dsp/front_end_params.h"
#include "worker/track_features.h"

namespace mer::worker {

struct ExtractOptions {
  std::string labels_csv;         // required
  std::string out_dir;            // required
  dsp::FrontEndParams front_end;  // Default: the default preset
  // Also store the hand-crafted descriptors after each frame's log-mel
  // (dsp::FeatureParams), for models with a descriptor branch. Default: none.
  std::optional<dsp::DescriptorParams> descriptors;
  core::LabelsOptions labels;
  TrackFeatureOptions track;
  int threads = 0;       // decode threads per rank; 0 = auto
  bool progress = true;  // progress lines on rank 0
  core::Status Validate() const;
  // front_end and descriptors: what each shard's rows hold.
  dsp::FeatureParams features() const { return {front_end, descriptors}; }
};

struct ExtractFailure {
  std::string track_id, path, reason;
};

// A lexicon's report (core/labels.h) as JSON: path, digest, words,
// words_found, tracks, tracks_with_va, the scaling and the agreement.
nlohmann::json LexiconJson(const core::LexiconReport& r);

struct ExtractSummary {
  int64_t tracks = 0;     // in the CSV
  int64_t extracted = 0;  // all ranks
  int64_t failed = 0;     // all ranks
  double audio_seconds = 0;
  double wall_seconds = 0;
  std::string front_end_digest, labels_digest;
  std::vector<ExtractFailure> failures;        // this rank's only
  std::optional<core::LexiconReport> lexicon;  // with a lexicon
};

// Collective: every rank of `comm` must call it.
core::Result<ExtractSummary> RunExtract(const ExtractOptions& options,
                                        comm::Communicator& comm);

}  // namespace mer::worker

#endif  // MER_WORKER_EXTRACT_JOB_H_
