// BundleManifest: the JSON half of a model bundle (DESIGN.md §5), and the
// torch-free calls on it. The coordinator reads a bundle's manifest with
// ReadBundleManifest() (library mer_nn_base, no LibTorch); loading the
// weights is LoadBundle() in model_bundle.h (library mer_nn).
//
// Thread-safety: value type and pure functions.
#ifndef MER_COMMON_NN_BUNDLE_MANIFEST_H_
#define MER_COMMON_NN_BUNDLE_MANIFEST_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "common/core/status.h"
#include "common/nn/model_config.h"
#include "common/nn/va_calibration.h"

namespace mer::nn {

// Version of the bundle file layout and manifest schema (bundle_format.h).
inline constexpr int kBundleFormatVersion = 1;

struct BundleManifest {
  int format_version = kBundleFormatVersion;
  // The mer release that wrote the bundle. Set by SaveBundle.
  std::string mer_version;
  // "m-" + 16 hex digits: digest of the manifest (without the id) and the
  // weights. Set by SaveBundle; identifies the model in the index.
  std::string model_id;
  // The resolved architecture config. SaveBundle takes it from the model.
  ModelConfig config;
  // "emotion" (quadrant + V-A heads), "tags", "genre", ... Default: emotion.
  std::string task = "emotion";
  // Names of the quadrant head's classes. Default: happy, tense, sad, calm.
  std::vector<std::string> label_names = {"happy", "tense", "sad", "calm"};
  // Names of the tag head's outputs (config.num_tags of them).
  std::vector<std::string> tag_names;
  // Front-end parameters (FrontEndParams as JSON; opaque here) and their
  // digest. Features fed to the model must carry the same digest.
  nlohmann::json front_end = nlohmann::json::object();
  std::string front_end_digest;
  // For a model with a descriptor branch (config.descriptor_rows > 0): the
  // parameters of the descriptors it reads after the bands
  // (DescriptorParams as JSON; opaque here). Null otherwise.
  nlohmann::json descriptors;
  // Digest of the training data (feature shards, labels, split).
  std::string training_data_digest;
  // Evaluation metrics recorded by the trainer (free-form JSON).
  nlohmann::json metrics = nlohmann::json::object();
  // How a "va"-head model's V-A point becomes quadrant probabilities
  // (va_calibration.h). Absent in older bundles: the default, unfitted.
  VaCalibration calibration;
  // ISO 8601 UTC creation time; SaveBundle fills it when empty.
  std::string created;
  // Anything else the trainer records (options, seeds, epochs).
  nlohmann::json extra = nlohmann::json::object();

  nlohmann::json ToJson() const;
  static core::Result<BundleManifest> FromJson(const nlohmann::json& j);
};

// Reads and parses the manifest of the bundle at `path` without touching the
// weights (the file's size is still checked against its header, so a
// truncated bundle fails here too).
core::Result<BundleManifest> ReadBundleManifest(const std::string& path);

// OK when features made with front end `features_digest` fit the model;
// otherwise InvalidArgument: "model m-... expects front end fe-aaa
// (<preset or parameters>), features were made with fe-bbb". A manifest
// without a front-end digest (a model saved outside training) accepts any
// features, with a warning in the log.
core::Status CheckFrontEnd(const BundleManifest& manifest,
                           const std::string& features_digest);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_BUNDLE_MANIFEST_H_
