// mer export --model M --out DIR: the model as a PyTorch state dict plus its
// architecture as JSON (common/nn/model_export.h), for use outside mer.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "common/nn/model_export.h"

namespace mer::cli {

int ExportMain(const std::vector<std::string>& args) {
  po::options_description desc("Options"), hidden;
  desc.add_options()
      ("model,m", po::value<std::string>(), "model bundle (.merm)")
      ("out,o", po::value<std::string>(), "output folder (created; weights.pt and model.json are replaced)")
      ("json", "print a JSON summary instead of a line of text");
  po::positional_options_description pos;
  auto parsed = ParseArgs(args, desc, hidden, pos);
  if (!parsed) return kExitUsage;
  if (parsed->help) {
    PrintHelp("export", "--model MODEL.merm --out DIR",
              "Writes the model in a form PyTorch loads without mer:\n"
              "  DIR/weights.pt   the state dict (parameters and BatchNorm statistics), for\n"
              "                   torch.load(); names as in the model (blocks.0.conv.weight, ...)\n"
              "  DIR/model.json   the architecture and the rest of the bundle's manifest\n"
              "                   (front end, calibration, label names) and the tensor list.\n"
              "scripts/python/mer_model.py rebuilds the network from them:\n"
              "  model, meta = mer_model.load(DIR); out = model(log_mel)   # [B, n_mels, frames] dB\n"
              "and mer_model.predict_track() reproduces `mer predict` on a log-mel from\n"
              "`mer features`.",
              desc);
    return kExitOk;
  }
  const auto& vm = parsed->vm;
  if (!vm.count("model")) return UsageError("export", "--model is required");
  if (!vm.count("out")) return UsageError("export", "--out is required");
  auto s = nn::ExportModel(vm["model"].as<std::string>(), vm["out"].as<std::string>());
  if (!s.ok()) {
    PrintError("export", s.status().ToString());
    return kExitFailure;
  }
  if (vm.count("json")) {
    std::cout << nlohmann::json{{"model_id", s->model_id},
                                {"arch", s->arch},
                                {"weights", s->weights_path},
                                {"config", s->config_path},
                                {"tensors", s->tensors},
                                {"parameters", s->parameters},
                                {"weights_bytes", s->weights_bytes}}
                     .dump()
              << "\n";
  } else {
    std::cout << "exported " << s->model_id << " (" << s->arch << ", "
              << s->parameters << " parameters, " << s->tensors
              << " tensors) to " << s->weights_path << " and "
              << s->config_path << "\n";
  }
  return kExitOk;
}

}  // namespace mer::cli
