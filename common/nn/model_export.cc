#include "common/nn/model_export.h"

#include <torch/torch.h>

#include <filesystem>
#include <string_view>

#include "common/core/atomic_file.h"
#include "common/nn/model_bundle.h"

namespace mer::nn {

core::Result<ExportSummary> ExportModel(const std::string& bundle_path,
                                        const std::string& out_dir) {
  MER_ASSIGN_OR_RETURN(LoadedModel loaded, LoadBundle(bundle_path));
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return core::Status::IOError(out_dir, ec.message());
  ExportSummary s;
  s.model_id = loaded.manifest.model_id;
  s.arch = loaded.manifest.config.arch;
  s.weights_path = (std::filesystem::path(out_dir) / "weights.pt").string();
  s.config_path = (std::filesystem::path(out_dir) / "model.json").string();
  nlohmann::json state = nlohmann::json::array();
  std::vector<char> pickled;
  try {
    // A generic dict, so torch.load gives a plain {name: tensor} dict.
    c10::Dict<std::string, at::Tensor> dict;
    for (const auto& [name, tensor] : OrderedState(loaded.model)) {
      dict.insert(name, tensor.detach().cpu().contiguous());
      state.push_back({{"name", name}, {"shape", tensor.sizes().vec()}});
    }
    s.tensors = static_cast<int>(state.size());
    for (const torch::Tensor& p : OrderedParameters(loaded.model)) {
      s.parameters += p.numel();
    }
    pickled = torch::pickle_save(c10::IValue(dict));
  } catch (const c10::Error& e) {
    return core::Status::Internal(bundle_path, std::string("exporting: ") +
                                                   e.what_without_backtrace());
  }
  s.weights_bytes = static_cast<int64_t>(pickled.size());
  const nlohmann::json doc = {{"format", "mer-export"},
                              {"format_version", kExportFormatVersion},
                              {"model_id", loaded.manifest.model_id},
                              {"manifest", loaded.manifest.ToJson()},
                              {"state", state}};
  MER_RETURN_IF_ERROR(core::WriteFileAtomic(
      s.weights_path, {std::string_view(pickled.data(), pickled.size())}));
  MER_RETURN_IF_ERROR(
      core::WriteFileAtomic(s.config_path, {doc.dump(2) + "\n"}));
  return s;
}

}  // namespace mer::nn
