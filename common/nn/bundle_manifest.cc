#include "common/nn/bundle_manifest.h"

#include <spdlog/spdlog.h>

#include "common/nn/bundle_format.h"

namespace mer::nn {

using core::Result;
using core::Status;

nlohmann::json BundleManifest::ToJson() const {
  nlohmann::json j{
      {"format_version", format_version},
      {"mer_version", mer_version},
      {"model_id", model_id},
      {"config", config.ToJson()},
      {"task", task},
      {"label_names", label_names},
      {"tag_names", tag_names},
      {"front_end", front_end},
      {"front_end_digest", front_end_digest},
      {"training_data_digest", training_data_digest},
      {"metrics", metrics},
      {"calibration", calibration.ToJson()},
      {"created", created},
      {"extra", extra},
  };
  // Only for a model with a descriptor branch: other manifests read as
  // before.
  if (!descriptors.is_null()) j["descriptors"] = descriptors;
  return j;
}

Result<BundleManifest> BundleManifest::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) {
    return Status::Corruption("model manifest", "expected a JSON object");
  }
  BundleManifest m;
  try {
    j.at("format_version").get_to(m.format_version);
    if (m.format_version != kBundleFormatVersion) {
      return Status::NotSupported("model manifest",
                                  "format version " +
                                      std::to_string(m.format_version) +
                                      "; this build reads version " +
                                      std::to_string(kBundleFormatVersion));
    }
    auto get = [&j](const char* key, auto& field) {
      if (j.contains(key)) j.at(key).get_to(field);
    };
    get("mer_version", m.mer_version);
    get("model_id", m.model_id);
    get("task", m.task);
    get("label_names", m.label_names);
    get("tag_names", m.tag_names);
    get("front_end_digest", m.front_end_digest);
    get("training_data_digest", m.training_data_digest);
    get("created", m.created);
    if (j.contains("front_end")) m.front_end = j.at("front_end");
    if (j.contains("descriptors")) m.descriptors = j.at("descriptors");
    if (j.contains("metrics")) m.metrics = j.at("metrics");
    if (j.contains("extra")) m.extra = j.at("extra");
    MER_ASSIGN_OR_RETURN(m.config, ModelConfig::FromJson(j.at("config")));
    if ((m.config.descriptor_rows > 0) == m.descriptors.is_null()) {
      return Status::Corruption(
          "model manifest",
          "the model's descriptor rows and the manifest's descriptor "
          "parameters do not go together");
    }
    if (j.contains("calibration")) {
      MER_ASSIGN_OR_RETURN(m.calibration,
                           VaCalibration::FromJson(j.at("calibration")));
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("model manifest", e.what());
  }
  return m;
}

Result<BundleManifest> ReadBundleManifest(const std::string& path) {
  MER_ASSIGN_OR_RETURN(BundleBytes bytes, ReadBundleFile(path, false));
  nlohmann::json j = nlohmann::json::parse(bytes.manifest_json, nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status::Corruption(path, "model manifest is not valid JSON");
  }
  Result<BundleManifest> m = BundleManifest::FromJson(j);
  if (!m.ok()) return m.status().WithContext(path);
  return m;
}

Status CheckFrontEnd(const BundleManifest& manifest,
                     const std::string& features_digest) {
  if (manifest.front_end_digest.empty()) {
    spdlog::warn("model {} records no front end; cannot check features {}",
                 manifest.model_id, features_digest);
    return Status::Ok();
  }
  if (manifest.front_end_digest == features_digest) return Status::Ok();
  std::string about;
  if (manifest.front_end.is_object() && manifest.front_end.contains("preset") &&
      manifest.front_end["preset"].is_string()) {
    about = "preset " + manifest.front_end["preset"].get<std::string>();
  } else {
    about = manifest.front_end.dump();
    if (about.size() > 160) about = about.substr(0, 157) + "...";
  }
  return Status::InvalidArgument(
      "front end mismatch",
      "model " + manifest.model_id + " expects front end " +
          manifest.front_end_digest + " (" + about +
          "), features were made with " + features_digest);
}

}  // namespace mer::nn
