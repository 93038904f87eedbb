#include "worker/extract_job.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/core/atomic_file.h"
#include "storage/feature_shard.h"
#include "worker/parallel_features.h"
#include "worker/rank_progress.h"

namespace mer::worker {
namespace fs = std::filesystem;

core::Status ExtractOptions::Validate() const {
  if (labels_csv.empty())
    return core::Status::InvalidArgument("--data is required");
  if (out_dir.empty())
    return core::Status::InvalidArgument("--out is required");
  if (threads < 0)
    return core::Status::InvalidArgument("--threads must be >= 0");
  return features().Validate();
}

nlohmann::json LexiconJson(const core::LexiconReport& r) {
  return {{"path", r.path},
          {"digest", r.digest},
          {"words", r.words},
          {"words_found", r.words_found},
          {"tracks", r.tracks},
          {"tracks_with_va", r.tracks_with_va},
          {"valence",
           {{"centre", r.scaling.valence_centre},
            {"scale", r.scaling.valence_scale}}},
          {"arousal",
           {{"centre", r.scaling.arousal_centre},
            {"scale", r.scaling.arousal_scale}}},
          {"agreement", r.agreement}};
}

namespace {

// Rank 0 creates the folder and removes shards of an earlier run; the others
// wait, so that none writes into a folder being cleaned. Collective.
core::Status PrepareFolder(const std::string& dir, comm::Communicator& comm) {
  int64_t prepared = 1;
  if (comm.rank() == 0) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      prepared = 0;
    } else {
      for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (e.path().extension() == ".mershard" ||
            name.find(".mershard.tmp") != std::string::npos) {
          fs::remove(e.path(), ec);
        }
      }
    }
  }
  comm.AllreduceSum(&prepared, 1);
  if (prepared != comm.size()) {
    return core::Status::IOError(dir, "cannot create the folder");
  }
  return core::Status::Ok();
}

// This rank's tracks (r, r + N, ...) decoded into its shard.
core::Status WriteMyShard(const ExtractOptions& options,
                          const core::LabelledSet& set,
                          comm::Communicator& comm, ExtractSummary* summary,
                          int64_t* extracted) {
  const int rank = comm.rank(), size = comm.size();
  // First, so that an early return below still reports to rank 0.
  RankProgress progress(comm, static_cast<int64_t>(set.tracks.size()),
                        "extract", options.progress);
  const dsp::FeatureParams features = options.features();
  std::vector<size_t> mine;
  std::vector<std::string> paths;
  for (size_t i = rank; i < set.tracks.size(); i += size) {
    mine.push_back(i);
    paths.push_back(set.tracks[i].path);
  }
  MER_ASSIGN_OR_RETURN(
      auto writer,
      storage::FeatureShardWriter::Create(
          storage::ShardPath(options.out_dir, rank, size),
          features.rows(), options.front_end.ToJson(),
          summary->front_end_digest,
          set.has_tags ? std::make_optional(set.tag_names) : std::nullopt,
          features.DescriptorsJson(),
          features.rows() - options.front_end.n_mels));
  ParallelFeatureOptions p;
  p.front_end = options.front_end;
  p.descriptors = options.descriptors;
  p.track = options.track;
  p.threads = options.threads;
  p.on_counts = progress.Callback();
  core::Status write_status;
  ComputeFeaturesInParallel(
      paths, p, size, [&](size_t k, core::Result<TrackFeatures> f) {
        const core::LabelledTrack& t = set.tracks[mine[k]];
        if (!f.ok()) {
          spdlog::warn("{}: skipped: {}", t.track_id, f.status().message());
          summary->failures.push_back(
              {t.track_id, t.path, f.status().message()});
          return;
        }
        storage::ShardTrack st;
        st.track_id = t.track_id;
        st.group = t.group;
        st.path = t.path;
        st.quadrant = t.quadrant;
        st.valence = t.valence;
        st.arousal = t.arousal;
        st.tags = t.tags;
        st.seconds = f->seconds;
        auto s = writer->Add(std::move(st), f->log_mel.data.data(),
                             f->log_mel.n_frames);
        if (!s.ok() && write_status.ok()) write_status = s;
        summary->audio_seconds += f->seconds;
        ++*extracted;
      });
  progress.Finish();
  MER_RETURN_IF_ERROR(write_status);
  return writer->Finish();
}

std::string FailureLines(const std::vector<ExtractFailure>& failures) {
  std::string lines;
  for (const auto& f : failures) {
    lines +=
        nlohmann::json{
            {"track_id", f.track_id}, {"path", f.path}, {"reason", f.reason}}
            .dump() +
        "\n";
  }
  return lines;
}

// Rank 0 gathers every rank's failures and writes failures.jsonl and
// dataset.json; every rank learns whether that worked. Collective.
core::Status WriteDatasetFiles(const ExtractOptions& options,
                               const core::LabelledSet& set,
                               const ExtractSummary& summary,
                               comm::Communicator& comm) {
  const std::string lines = FailureLines(summary.failures);
  core::Status s;
  if (comm.rank() != 0) {
    MER_RETURN_IF_ERROR(comm.SendBytes(0, comm::MessageTag::kControl, lines));
  } else {
    std::string all = lines;
    for (int r = 1; r < comm.size(); ++r) {
      all += comm.RecvBytes(r, comm::MessageTag::kControl).bytes;
    }
    nlohmann::json ds = {{"format", 1},
                         {"labels_csv", options.labels_csv},
                         {"labels_digest", summary.labels_digest},
                         {"front_end", options.front_end.ToJson()},
                         {"front_end_digest", summary.front_end_digest},
                         {"descriptors", options.features().DescriptorsJson()},
                         {"shards", comm.size()},
                         {"tracks", summary.tracks},
                         {"extracted", summary.extracted},
                         {"failed", summary.failed},
                         {"audio_hours", summary.audio_seconds / 3600.0}};
    if (set.has_tags) ds["tag_names"] = set.tag_names;
    if (set.lexicon) ds["lexicon"] = LexiconJson(*set.lexicon);
    s = core::WriteFileAtomic(
        (fs::path(options.out_dir) / "failures.jsonl").string(), all);
    if (s.ok()) {
      s = core::WriteFileAtomic(
          (fs::path(options.out_dir) / "dataset.json").string(),
          ds.dump(2) + "\n");
    }
  }
  int64_t ok = s.ok() ? 1 : 0;
  comm.AllreduceSum(&ok, 1);
  if (!s.ok()) return s;
  if (ok != comm.size()) {
    return core::Status::IOError(options.out_dir,
                                 "rank 0 could not write dataset.json");
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<ExtractSummary> RunExtract(const ExtractOptions& options,
                                        comm::Communicator& comm) {
  MER_RETURN_IF_ERROR(options.Validate());
  const auto start = std::chrono::steady_clock::now();
  MER_ASSIGN_OR_RETURN(core::LabelledSet set,
                       core::ReadLabels(options.labels_csv, options.labels));
  ExtractSummary summary;
  summary.tracks = static_cast<int64_t>(set.tracks.size());
  summary.front_end_digest = options.front_end.Digest();
  summary.labels_digest = set.Digest();
  summary.lexicon = set.lexicon;
  MER_RETURN_IF_ERROR(PrepareFolder(options.out_dir, comm));
  int64_t extracted = 0;
  const core::Status finish =
      WriteMyShard(options, set, comm, &summary, &extracted);

  // Every rank reports; a rank that could not write fails the job on all.
  int64_t counts[4] = {extracted, static_cast<int64_t>(summary.failures.size()),
                       finish.ok() ? 0 : 1,
                       static_cast<int64_t>(summary.audio_seconds * 1000)};
  comm.AllreduceSum(counts, 4);
  summary.extracted = counts[0];
  summary.failed = counts[1];
  summary.audio_seconds = counts[3] / 1000.0;
  if (!finish.ok()) return finish;
  if (counts[2] != 0) {
    return core::Status::IOError(options.out_dir,
                                 "another rank failed to write its shard");
  }
  MER_RETURN_IF_ERROR(WriteDatasetFiles(options, set, summary, comm));
  summary.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  comm.Barrier();
  return summary;
}

}  // namespace mer::worker
