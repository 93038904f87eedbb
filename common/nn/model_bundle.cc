#include "common/nn/model_bundle.h"

#include <torch/torch.h>

#include <chrono>
#include <ctime>
#include <sstream>

#include "common/core/digest.h"
#include "common/nn/bundle_format.h"

#ifndef MER_VERSION_STRING
#define MER_VERSION_STRING "unknown"
#endif

namespace mer::nn {
namespace {

std::string UtcNow() {
  const std::time_t now =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

core::Status SaveBundle(const std::string& path, const EmotionModel& model,
                        const BundleManifest& manifest, std::string* model_id) {
  if (!model) return core::Status::InvalidArgument(path, "no model to save");
  std::string weights;
  try {
    torch::serialize::OutputArchive archive;
    model->save(archive);
    std::ostringstream os;
    archive.save_to(os);
    weights = std::move(os).str();
  } catch (const c10::Error& e) {
    return core::Status::Internal(path, std::string("serialising weights: ") +
                                            e.what_without_backtrace());
  }
  BundleManifest m = manifest;
  m.format_version = kBundleFormatVersion;
  m.mer_version = MER_VERSION_STRING;
  m.config = model->config();
  if ((m.config.descriptor_rows > 0) == m.descriptors.is_null()) {
    return core::Status::InvalidArgument(
        path, "a model with a descriptor branch needs the manifest's "
              "descriptor parameters, and only such a model has them");
  }
  if (m.created.empty()) m.created = UtcNow();
  m.model_id.clear();
  m.model_id =
      "m-" + core::Digest64().Update(m.ToJson().dump()).Update(weights).Hex();
  if (model_id != nullptr) *model_id = m.model_id;
  return WriteBundleFile(path, m.ToJson().dump(2), weights);
}

core::Result<LoadedModel> LoadBundle(const std::string& path) {
  MER_ASSIGN_OR_RETURN(BundleBytes bytes, ReadBundleFile(path, true));
  nlohmann::json j = nlohmann::json::parse(bytes.manifest_json, nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return core::Status::Corruption(path, "model manifest is not valid JSON");
  }
  core::Result<BundleManifest> manifest = BundleManifest::FromJson(j);
  if (!manifest.ok()) return manifest.status().WithContext(path);
  core::Result<EmotionModel> model = MakeModel(manifest->config);
  if (!model.ok()) return model.status().WithContext(path);
  try {
    torch::serialize::InputArchive archive;
    std::istringstream is(bytes.weights);
    archive.load_from(is, torch::Device(torch::kCPU));
    (*model)->load(archive);
  } catch (const c10::Error& e) {
    return core::Status::Corruption(
        path, std::string("weights do not fit the manifest's model: ") +
                  e.what_without_backtrace());
  }
  (*model)->eval();
  LoadedModel loaded;
  loaded.model = std::move(model).value();
  loaded.manifest = std::move(manifest).value();
  return loaded;
}

}  // namespace mer::nn
