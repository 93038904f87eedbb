// mer eval --model M --data LABELS.csv|SHARDS [--json]: metrics of a model
// on a labelled set (worker/train/eval_job.h).
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "cli/labels_options.h"
#include "cli/mpi_session.h"
#include "worker/train/eval_job.h"

namespace mer::cli {

int EvalMain(const std::vector<std::string>& args) {
  po::options_description desc("Options"), hidden;
  desc.add_options()("model,m", po::value<std::string>(),
                     "model bundle (.merm)")(
      "data", po::value<std::string>(),
      "labels CSV (decoded with the model's front end) or feature-shard "
      "folder")("threads", po::value<int>()->default_value(0),
                "decode threads (0 = all cores)")(
      "torch-threads", po::value<int>()->default_value(0),
      "LibTorch threads (0 = its default)")(
      "device", po::value<std::string>()->default_value("cpu"), "cpu or cuda")(
      "precision", po::value<std::string>()->default_value("float32"),
      kPrecisionHelp)(
      "predictions", po::value<std::string>(),
      "also write every track's prediction to this CSV")(
      "no-progress", "no progress line on stderr")(
      "json", "print the metrics as one JSON object");
  AddLabelsOptions(desc);
  po::positional_options_description pos;
  auto parsed = ParseArgs(args, desc, hidden, pos);
  if (!parsed) return kExitUsage;
  if (parsed->help) {
    PrintHelp(
        "eval", "--model MODEL.merm --data LABELS.csv [--json]",
        "Evaluates a model on a labelled set: accuracy, macro and per-class "
        "precision/recall/F1,\nconfusion matrix; RMSE, R2 and Pearson r when "
        "the set has valence/arousal labels;\nper-tag and macro ROC-AUC and "
        "PR-AUC when the model has a tag head and the set has tags\n(the "
        "model's tags missing from the set are skipped, with a note).\n"
        "Tracks are scored whole (mean over their windows). Shards made "
        "with another front-end\npreset than the model's are refused.",
        desc);
    return kExitOk;
  }
  const auto& vm = parsed->vm;
  worker::EvalOptions o;
  if (vm.count("model")) o.model = vm["model"].as<std::string>();
  if (vm.count("data")) o.data = vm["data"].as<std::string>();
  auto labels = LabelsFromArgs(vm);
  if (!labels.ok()) return UsageError("eval", labels.status().message());
  o.labels = *labels;
  o.threads = vm["threads"].as<int>();
  o.predict.predictor.num_threads = vm["torch-threads"].as<int>();
  o.predict.predictor.device = vm["device"].as<std::string>();
  o.predict.predictor.precision = vm["precision"].as<std::string>();
  o.progress = !vm.count("no-progress");
  if (vm.count("predictions"))
    o.predictions_csv = vm["predictions"].as<std::string>();
  if (auto s = o.Validate(); !s.ok()) return UsageError("eval", s.message());
  auto mpi = StartMpi();
  if (!mpi.ok()) {
    PrintError("eval", mpi.status().message());
    return kExitFailure;
  }
  auto report = worker::RunEval(o, *(*mpi)->world);
  if (!report.ok()) {
    PrintError("eval", report.status().ToString());
    return kExitFailure;
  }
  if ((*mpi)->world->rank() == 0) {
    if (vm.count("json")) {
      std::cout << report->json.dump() << "\n";
    } else {
      std::cout << report->text;
    }
  }
  return kExitOk;
}

}  // namespace mer::cli
