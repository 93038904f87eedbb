// mer_make_test_bundle OUT.merm [SEED [CONFIG_JSON]]: writes a small randomly
// initialised emotion model with the default front end, for pipeline tests
// of `mer index` (structure and consistency, not accuracy). A tool, so that
// the test binaries and mer_worker never include or link LibTorch
// themselves.
//
// Without CONFIG_JSON: a CRNN of 8-16-16-16 channels, a GRU of 16 and a
// 16-d embedding. CONFIG_JSON (a ModelConfig object, e.g.
// '{"arch":"pcrnn","input_norm":"batchnorm"}') overrides fields of that
// config, and the BatchNorm statistics are then randomised too, so a test
// of the saved weights (the export test) sees non-trivial buffers.
#include <torch/torch.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "common/dsp/descriptor_params.h"
#include "common/dsp/front_end_params.h"
#include "common/nn/emotion_model.h"
#include "common/nn/model_bundle.h"

int main(int argc, char** argv) {
  using namespace mer;
  if (argc < 2 || argc > 4) {
    std::cerr << "usage: mer_make_test_bundle OUT.merm [SEED [CONFIG_JSON]]\n";
    return 2;
  }
  torch::manual_seed(argc >= 3 ? std::atoi(argv[2]) : 1);
  const dsp::FrontEndParams fe;  // the default preset
  nn::ModelConfig config;        // crnn
  config.n_mels = fe.n_mels;
  config.n_frames = fe.SegmentFrames();
  config.channels = {8, 16, 16, 16};
  config.rnn_hidden = 16;
  config.rnn_layers = 1;
  config.embedding_dim = 16;
  if (argc == 4) {
    nlohmann::json j = config.ToJson();
    const nlohmann::json overrides =
        nlohmann::json::parse(argv[3], nullptr, /*allow_exceptions=*/false);
    if (!overrides.is_object()) {
      std::cerr << "mer_make_test_bundle: CONFIG_JSON is not a JSON object\n";
      return 2;
    }
    // A new arch takes its own default channels and pools.
    if (overrides.contains("arch")) {
      for (const char* k : {"channels", "freq_pools", "time_pools"}) j.erase(k);
    }
    j.update(overrides);
    auto parsed = nn::ModelConfig::FromJson(j);
    if (!parsed.ok()) {
      std::cerr << parsed.status().ToString() << "\n";
      return 2;
    }
    config = *parsed;
  }
  auto model = nn::MakeModel(config);
  if (!model.ok()) {
    std::cerr << model.status().ToString() << "\n";
    return 1;
  }
  if (argc == 4) {
    torch::NoGradGuard no_grad;
    for (auto& b : (*model)->named_buffers()) {
      if (b.key().find("running_mean") != std::string::npos) {
        b.value().normal_(0, 0.5);
      } else if (b.key().find("running_var") != std::string::npos) {
        b.value().uniform_(0.5, 2.0);
      }
    }
  }
  (*model)->eval();
  nn::BundleManifest manifest;
  manifest.front_end = fe.ToJson();
  manifest.front_end_digest = fe.Digest();
  // A descriptor branch reads the default descriptors.
  if (config.Resolved().descriptor_rows > 0) {
    manifest.descriptors = dsp::DescriptorParams().ToJson();
  }
  manifest.extra = {{"note", "random weights, for tests"}};
  std::string id;
  if (auto s = nn::SaveBundle(argv[1], *model, manifest, &id); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  std::cout << id << "\n";
  return 0;
}
