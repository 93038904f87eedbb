// Model export: a bundle's model in a form PyTorch reads without mer
// (DESIGN.md §5), for notebooks, other tools and the benchmark's peer.
//
//   MER_ASSIGN_OR_RETURN(ExportSummary s, ExportModel("model.merm", "out/"));
//
// OUT/weights.pt   the state dict (parameters and BatchNorm buffers, named
//                  as in the model: "blocks.0.conv.weight", "gru.weight_ih_l0",
//                  ...), written with torch::pickle_save, so Python's
//                  torch.load(path) returns a dict of tensors;
// OUT/model.json   {"format": "mer-export", "format_version": 1, "model_id",
//                  "manifest": the bundle's manifest (config, calibration,
//                  label names, front end), "state": [{"name", "shape"}]}.
// scripts/python/mer_model.py rebuilds the architecture from model.json and
// loads weights.pt with load_state_dict(strict=True).
//
// Torch-free header. Thread-safety: safe on distinct paths.
#ifndef MER_COMMON_NN_MODEL_EXPORT_H_
#define MER_COMMON_NN_MODEL_EXPORT_H_

#include <string>

#include "common/core/result.h"

namespace mer::nn {

inline constexpr int kExportFormatVersion = 1;

struct ExportSummary {
  std::string model_id;
  std::string arch;
  std::string weights_path;  // OUT/weights.pt
  std::string config_path;   // OUT/model.json
  int tensors = 0;           // entries of the state dict
  int64_t parameters = 0;    // learned values (buffers not counted)
  int64_t weights_bytes = 0;
};

// Loads the bundle at `bundle_path` and writes OUT/weights.pt and
// OUT/model.json (creating `out_dir`; both written atomically).
core::Result<ExportSummary> ExportModel(const std::string& bundle_path,
                                        const std::string& out_dir);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_MODEL_EXPORT_H_
