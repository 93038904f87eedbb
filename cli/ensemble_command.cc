// mer ensemble --out E.merm A.merm B.merm ...: several trained models in one
// bundle, combined by weighted averages (common/nn/model_ensemble.h).
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "common/nn/model_ensemble.h"

namespace mer::cli {
namespace {

// "0.7,0.3" -> {0.7, 0.3}; nullopt on a bad number.
std::optional<std::vector<float>> ParseWeights(const std::string& text) {
  std::vector<float> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    try {
      size_t used = 0;
      const float w = std::stof(item, &used);
      if (used != item.size()) return std::nullopt;
      out.push_back(w);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace

int EnsembleMain(const std::vector<std::string>& args) {
  po::options_description desc("Options"), hidden;
  desc.add_options()
      ("out,o", po::value<std::string>(), "the ensemble bundle to write (.merm)")
      ("weights", po::value<std::string>(),
       "W1,W2,...: one positive weight per member, normalised to sum 1 "
       "(default: equal); choose them on the dev folds")
      ("out-of-fold", po::value<std::vector<std::string>>(),
       "CSV: a member's cv_predictions.csv (from `mer train --folds "
       "--metrics-dir`, same folds); once per member, in their order: fits "
       "the ensemble's V-A calibration on the weighted out-of-fold V-A and "
       "stores its CV figures")
      ("weight-grid", po::value<std::string>(),
       "G1,G2,...: with two members and --out-of-fold, take the first "
       "member's weight from these (each in (0, 1)) by the out-of-fold "
       "macro-F1 over all folds, instead of --weights")
      ("json", "print a JSON summary");
  hidden.add_options()("member", po::value<std::vector<std::string>>(),
                       "member bundles");
  po::positional_options_description pos;
  pos.add("member", -1);
  auto parsed = ParseArgs(args, desc, hidden, pos);
  if (!parsed) return kExitUsage;
  if (parsed->help) {
    PrintHelp("ensemble", "--out ENSEMBLE.merm MODEL.merm MODEL.merm... [OPTIONS]",
              "Puts several trained models (seeds, folds, the joint model and "
              "the classic mlp) into one\nbundle: every member runs on the "
              "same windows and the ensemble averages their valence,\narousal "
              "and quadrant probabilities with the weights. mer index, "
              "predict and eval load it\nlike any bundle; the index keeps one "
              "record per track, and the mood stays the quadrant\nof the "
              "averaged V-A point. Members must share the front end, the "
              "window and the quadrant head.",
              desc);
    return kExitOk;
  }
  const auto& vm = parsed->vm;
  if (!vm.count("out")) return UsageError("ensemble", "--out is required");
  nn::EnsembleOptions o;
  if (vm.count("member")) o.members = vm["member"].as<std::vector<std::string>>();
  if (o.members.size() < 2) {
    return UsageError("ensemble", "give two or more member bundles");
  }
  if (vm.count("weights")) {
    auto w = ParseWeights(vm["weights"].as<std::string>());
    if (!w) return UsageError("ensemble", "--weights takes numbers W1,W2,...");
    o.weights = *w;
    if (o.weights.size() != o.members.size()) {
      return UsageError("ensemble", "--weights needs one weight per member (" +
                                        std::to_string(o.members.size()) + ")");
    }
    for (float x : o.weights) {
      if (!(x > 0)) return UsageError("ensemble", "--weights must be > 0");
    }
  }
  if (vm.count("weight-grid")) {
    auto g = ParseWeights(vm["weight-grid"].as<std::string>());
    if (!g || g->empty()) {
      return UsageError("ensemble", "--weight-grid takes numbers G1,G2,...");
    }
    if (vm.count("weights")) {
      return UsageError("ensemble", "give --weights or --weight-grid, not both");
    }
    o.weight_grid = *g;
  }
  if (vm.count("out-of-fold")) {
    o.out_of_fold = vm["out-of-fold"].as<std::vector<std::string>>();
    if (o.out_of_fold.size() != o.members.size()) {
      return UsageError("ensemble",
                        "--out-of-fold needs one cv_predictions.csv per member (" +
                            std::to_string(o.members.size()) + ")");
    }
  }
  const std::string out = vm["out"].as<std::string>();
  auto s = nn::BuildEnsemble(o, out);
  if (!s.ok()) {
    PrintError("ensemble", s.status().ToString());
    return kExitFailure;
  }
  if (vm.count("json")) {
    std::cout << nlohmann::json{{"out", out},
                                {"model_id", s->model_id},
                                {"members", s->member_ids},
                                {"weights", s->weights},
                                {"calibration", s->calibration},
                                {"cross_validation", s->cross_validation}}
                     .dump()
              << "\n";
  } else {
    std::cout << "ensemble " << s->model_id << " of " << s->member_ids.size()
              << " members written to " << out;
    if (!s->cross_validation.is_null()) {
      std::cout << "; out-of-fold macro-F1 "
                << s->cross_validation["macro_f1"]["mean"].get<double>()
                << ", ECE "
                << s->cross_validation["ece_cross_fitted"].get<double>();
    }
    std::cout << "\n";
  }
  return kExitOk;
}

}  // namespace mer::cli
