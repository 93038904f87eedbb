// mer predict --model M FILE...: one JSON line per file (quadrant,
// probabilities, valence, arousal, their spread, timeline, tags), or the file's
// error; exit status 1 when any file failed (worker/track_predictor.h).
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "worker/track_predictor.h"

namespace mer::cli {

int PredictMain(const std::vector<std::string>& args) {
  po::options_description desc("Options"), hidden;
  desc.add_options()
      ("model,m", po::value<std::string>(), "model bundle (.merm)")
      ("threads", po::value<int>()->default_value(0), "LibTorch threads (0 = its default)")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu or cuda")
      ("max-seconds", po::value<double>()->default_value(0), "decode at most this much of each file (0 = all)")
      ("precision", po::value<std::string>()->default_value("float32"), kPrecisionHelp)
      ("no-timeline", "leave the per-window timeline out");
  hidden.add_options()("files", po::value<std::vector<std::string>>(), "audio files");
  po::positional_options_description pos;
  pos.add("files", -1);
  auto parsed = ParseArgs(args, desc, hidden, pos);
  if (!parsed) return kExitUsage;
  if (parsed->help) {
    PrintHelp("predict", "--model MODEL.merm FILE...",
              "Predicts the emotion of each audio file (any format FFmpeg decodes): "
              "one JSON line per\nfile with quadrant, probabilities, valence and "
              "arousal (mean and spread over the track)\nand the timeline "
              "[start_seconds, valence, arousal] per window (and \"tags\": {name: p} "
              "for a model\nwith a tag head). A file that fails "
              "prints\n{\"path\", \"error\"}; the others still print and the exit "
              "status is 1.",
              desc);
    return kExitOk;
  }
  const auto& vm = parsed->vm;
  if (!vm.count("model")) return UsageError("predict", "--model is required");
  if (!vm.count("files")) return UsageError("predict", "no audio files given");
  worker::TrackPredictorOptions o;
  o.predictor.num_threads = vm["threads"].as<int>();
  o.predictor.device = vm["device"].as<std::string>();
  o.predictor.precision = vm["precision"].as<std::string>();
  o.track.max_seconds = vm["max-seconds"].as<double>();
  if (o.track.max_seconds < 0) return UsageError("predict", "--max-seconds must be >= 0");
  if (auto s = o.predictor.Validate(); !s.ok()) return UsageError("predict", s.message());
  auto predictor = worker::TrackPredictor::Open(vm["model"].as<std::string>(), o);
  if (!predictor.ok()) {
    PrintError("predict", predictor.status().ToString());
    return kExitFailure;
  }
  int status = kExitOk;
  for (const std::string& path : vm["files"].as<std::vector<std::string>>()) {
    double seconds = 0;
    auto p = predictor->PredictFile(path, &seconds);
    if (!p.ok()) {
      std::cout << nlohmann::json{{"path", path}, {"error", p.status().ToString()}}.dump()
                << std::endl;
      status = kExitFailure;
      continue;
    }
    nlohmann::json j = worker::PredictionJson(path, *p, predictor->manifest(), seconds);
    if (vm.count("no-timeline")) j.erase("timeline");
    std::cout << j.dump() << std::endl;
  }
  return status;
}

}  // namespace mer::cli
