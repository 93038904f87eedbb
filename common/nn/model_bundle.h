// Model bundle: one file holding a model's JSON manifest and its weights
// (DESIGN.md §5; byte layout in bundle_format.h). Loading rebuilds the
// architecture from the manifest's config, so a bundle needs nothing else.
//
//   MER_RETURN_IF_ERROR(SaveBundle("model.merm", model, manifest));
//   MER_ASSIGN_OR_RETURN(LoadedModel loaded, LoadBundle("model.merm"));
//   MER_RETURN_IF_ERROR(CheckFrontEnd(loaded.manifest, shard_fe_digest));
//
// Errors are Status naming the file; c10::Error from LibTorch never escapes.
// Thread-safety: functions are safe on distinct paths; the model must not be
// trained while it is saved.
#ifndef MER_COMMON_NN_MODEL_BUNDLE_H_
#define MER_COMMON_NN_MODEL_BUNDLE_H_

#include <string>

#include "common/core/result.h"
#include "common/core/status.h"
#include "common/nn/bundle_manifest.h"
#include "common/nn/emotion_model.h"

namespace mer::nn {

struct LoadedModel {
  EmotionModel model{nullptr};  // in eval mode, on the CPU
  BundleManifest manifest;      // as read from the file (model_id set)
};

// Writes `model` (its config and state: parameters and buffers) with
// `manifest` to `path` atomically (temp file + rename). The written manifest
// takes config from the model and fills mer_version, created (when empty)
// and model_id: "m-" + digest of the manifest without the id and the weights.
// `model_id`, when not null, receives that id.
core::Status SaveBundle(const std::string& path, const EmotionModel& model,
                        const BundleManifest& manifest,
                        std::string* model_id = nullptr);

// Reads the bundle at `path`, checks its digest, rebuilds the model from the
// manifest's config, loads the weights; the model is on the CPU in eval
// mode. NotFound / Corruption / NotSupported with the file named.
core::Result<LoadedModel> LoadBundle(const std::string& path);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_MODEL_BUNDLE_H_
