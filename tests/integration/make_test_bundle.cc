// mer_make_test_bundle OUT.merm [SEED]: writes a small randomly initialised
// CRNN emotion model with the default front end, for pipeline tests of
// `mer index` (structure and consistency, not accuracy). A tool, so that the
// test binaries and mer_worker never include or link LibTorch themselves.
#include <torch/torch.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "common/dsp/front_end_params.h"
#include "common/nn/emotion_model.h"
#include "common/nn/model_bundle.h"

int main(int argc, char** argv) {
  using namespace mer;
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: mer_make_test_bundle OUT.merm [SEED]\n";
    return 2;
  }
  torch::manual_seed(argc == 3 ? std::atoi(argv[2]) : 1);
  const dsp::FrontEndParams fe;  // the default preset
  nn::ModelConfig config;        // crnn
  config.n_mels = fe.n_mels;
  config.n_frames = fe.SegmentFrames();
  config.channels = {8, 16, 16, 16};
  config.rnn_hidden = 16;
  config.rnn_layers = 1;
  config.embedding_dim = 16;
  auto model = nn::MakeModel(config);
  if (!model.ok()) {
    std::cerr << model.status().ToString() << "\n";
    return 1;
  }
  (*model)->eval();
  nn::BundleManifest manifest;
  manifest.front_end = fe.ToJson();
  manifest.front_end_digest = fe.Digest();
  manifest.extra = {{"note", "random weights, for tests"}};
  std::string id;
  if (auto s = nn::SaveBundle(argv[1], *model, manifest, &id); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  std::cout << id << "\n";
  return 0;
}
