// mer extract --data LABELS.csv --out DIR: log-mel feature shards of a
// labelled set, across all MPI ranks (worker/extract_job.h).
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "cli/front_end_options.h"
#include "cli/labels_options.h"
#include "cli/mpi_session.h"
#include "worker/extract_job.h"

namespace mer::cli {

int ExtractMain(const std::vector<std::string>& args) {
  po::options_description desc("Options"), hidden;
  desc.add_options()("data", po::value<std::string>(),
                     "labels CSV (path, quadrant and/or valence,arousal; "
                     "optional track_id, artist)")(
      "out,o", po::value<std::string>(), "output folder for the shards")(
      "threads", po::value<int>()->default_value(0),
      "decode threads per rank (0 = cores / ranks)")(
      "max-seconds", po::value<double>()->default_value(0),
      "decode at most this much of each track (0 = all)")(
      "min-seconds", po::value<double>()->default_value(1.0),
      "tracks shorter than this fail")("no-progress",
                                       "no progress lines on stderr")(
      "json", "print the summary as JSON")(
      "descriptors",
      "also store the 53 hand-crafted descriptors of `mer features "
      "--descriptors` after each frame's log-mel (for --descriptor-dim "
      "models)")("descriptor-fmax", po::value<double>(),
                 "with --descriptors: highest frequency any descriptor looks "
                 "at (Hz, default 7500)");
  AddLabelsOptions(desc);
  AddFrontEndOptions(desc);
  po::positional_options_description pos;
  auto parsed = ParseArgs(args, desc, hidden, pos);
  if (!parsed) return kExitUsage;
  if (parsed->help) {
    PrintHelp("extract", "--data LABELS.csv --out DIR [OPTIONS]",
              "Decodes every track of LABELS.csv once and writes its log-mel "
              "spectrogram into feature\nshards (DIR/part-R-of-N.mershard, one "
              "per MPI rank; run under mpirun to spread the work),\nplus "
              "DIR/dataset.json and DIR/failures.jsonl. A track that cannot be "
              "decoded is reported\nand left out; the job goes on.",
              desc, "Presets:\n" + dsp::DescribePresets());
    return kExitOk;
  }
  const auto& vm = parsed->vm;
  worker::ExtractOptions o;
  if (vm.count("data")) o.labels_csv = vm["data"].as<std::string>();
  if (vm.count("out")) o.out_dir = vm["out"].as<std::string>();
  auto labels = LabelsFromArgs(vm);
  if (!labels.ok()) return UsageError("extract", labels.status().message());
  o.labels = *labels;
  o.threads = vm["threads"].as<int>();
  o.track.max_seconds = vm["max-seconds"].as<double>();
  o.track.min_seconds = vm["min-seconds"].as<double>();
  o.progress = !vm.count("no-progress");
  auto fe = FrontEndFromArgs(vm);
  if (!fe.ok()) return UsageError("extract", fe.status().message());
  o.front_end = *fe;
  if (vm.count("descriptors")) {
    o.descriptors.emplace();
    if (vm.count("descriptor-fmax")) {
      o.descriptors->fmax = vm["descriptor-fmax"].as<double>();
    }
  } else if (vm.count("descriptor-fmax")) {
    return UsageError("extract", "--descriptor-fmax needs --descriptors");
  }
  if (auto s = o.Validate(); !s.ok()) return UsageError("extract", s.message());

  auto mpi = StartMpi();
  if (!mpi.ok()) {
    PrintError("extract", mpi.status().message());
    return kExitFailure;
  }
  comm::Communicator& world = *(*mpi)->world;
  auto summary = worker::RunExtract(o, world);
  if (!summary.ok()) {
    PrintError("extract", summary.status().message());
    return kExitFailure;
  }
  if (world.rank() == 0) {
    const auto& s = *summary;
    if (vm.count("json")) {
      std::cout << nlohmann::json{{"out", o.out_dir},
                                  {"tracks", s.tracks},
                                  {"extracted", s.extracted},
                                  {"failed", s.failed},
                                  {"audio_hours", s.audio_seconds / 3600},
                                  {"wall_seconds", s.wall_seconds},
                                  {"ranks", world.size()},
                                  {"front_end_digest", s.front_end_digest},
                                  {"labels_digest", s.labels_digest},
                                  {"lexicon",
                                   s.lexicon ? worker::LexiconJson(*s.lexicon)
                                             : nlohmann::json()}}
                       .dump()
                << "\n";
    } else {
      std::cout << "extract: " << s.extracted << " of " << s.tracks
                << " tracks into " << o.out_dir << " (" << world.size()
                << " shard(s), " << s.audio_seconds / 3600 << " h of audio, "
                << s.wall_seconds << " s); " << s.failed << " failed"
                << (s.failed ? " (see failures.jsonl)" : "") << "\n";
      if (s.lexicon) std::cout << "extract: " << s.lexicon->Summary() << "\n";
    }
  }
  return kExitOk;
}

}  // namespace mer::cli
