// ModelConfig: the architecture and hyper-parameters of an emotion model
// (DESIGN.md §5). Torch-free: the coordinator, the CLI and the model bundle's
// manifest use it without LibTorch.
//
// Input of every model: log-mel segments [batch, n_mels, n_frames], float32
// dB values (10*log10 of mel power). The model normalises them itself (see
// `input_norm`), so a bundle carries its own normalisation. A model with a
// descriptor branch reads [batch, n_mels + descriptor_rows, n_frames]: the
// hand-crafted descriptors follow the bands (dsp::FeatureExtractor).
//
// Architectures (`arch`):
//   "cnn"       conv blocks (conv3x3 -> BatchNorm -> ELU -> max-pool), global
//               max pooling over frequency and time -> embedding.
//   "rnn"       GRU over frames (each frame's n_mels vector), last step.
//   "crnn"      conv blocks whose pools collapse frequency to 1 row, GRU over
//               the remaining time steps, last step (the default).
//   "pcrnn"     a CNN branch and a GRU branch in parallel, concatenated.
//   "attn-lstm" optional conv front, LSTM over time, attention pooling.
//   "ensemble"  not trained: several trained models ("members", each any
//               arch above) run on the same windows, their V-A and
//               quadrant probabilities averaged with member_weights
//               (`mer ensemble`). Not in ArchNames().
//   "mlp"       no learned trunk: the classic model. Only the statistics
//               branches (stats_dim over the bands, descriptor_dim over the
//               hand-crafted descriptors; stats_dim 32 when neither is
//               given), with
//               embedding_dim > 0 a hidden layer, then the heads: a small
//               MLP over each window's summary statistics.
// Every model ends in the same heads: quadrant logits, V-A (tanh) and,
// when num_tags > 0, tag logits.
//
// Fields left at 0 or empty take a per-arch default in Resolved(); a bundle
// always stores the resolved config, so a later change of defaults never
// changes a saved model.
//
// Thread-safety: a value type.
#ifndef MER_COMMON_NN_MODEL_CONFIG_H_
#define MER_COMMON_NN_MODEL_CONFIG_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "common/core/status.h"

namespace mer::nn {

struct ModelConfig {
  // "cnn", "rnn", "crnn", "pcrnn", "attn-lstm", "mlp". Default: "crnn".
  std::string arch = "crnn";
  // Mel bands of the input. Default: 96.
  int n_mels = 96;
  // Frames per segment the model is trained on. Forward accepts any frame
  // count >= MinFrames(). Default: 256.
  int n_frames = 256;

  // Input normalisation inside the model:
  //   "affine":    x' = (x + input_offset) * input_scale; with the defaults
  //                (x + 40) / 40 maps the usual -100..+20 dB range to about
  //                -1.5..+1.5.
  //   "batchnorm": BatchNorm over the mel bands (learned, per band).
  // Default: "affine".
  std::string input_norm = "affine";
  float input_offset = 40.0f;  // Default: 40.
  float input_scale = 0.025f;  // Default: 1/40.

  // Average pooling of the normalised input before the trunk, along
  // frequency and time: {2, 2} gives the trunk 48 bands x 32 ms frames of a
  // 96-band, 16 ms front end, for about a quarter of the compute. The
  // statistics branch (stats_dim) still reads the full input. Default: 1, 1
  // (none).
  int input_freq_pool = 1;
  int input_time_pool = 1;

  // Output channels of each conv block (cnn: 5 blocks, crnn: 4, pcrnn's CNN
  // branch: 4, attn-lstm's conv front: 2). Empty: the arch's default.
  std::vector<int> channels;
  // Max-pool kernel (= stride) of each conv block along frequency and time.
  // Empty: computed. crnn: frequency pools whose floor divisions take n_mels
  // to exactly 1 (ascending), time pools 2. Must have channels.size() entries.
  std::vector<int> freq_pools;
  std::vector<int> time_pools;
  // Dropout after each conv block. Default: 0.1.
  float cnn_dropout = 0.1f;

  // GRU/LSTM hidden size and layers. Default: 64, 2.
  int rnn_hidden = 64;
  int rnn_layers = 2;
  // Dropout between recurrent layers and after the last step. Default: 0.1.
  float rnn_dropout = 0.1f;
  // Average-pools the frames by this factor before a recurrent branch that
  // reads frames directly (rnn, pcrnn's GRU branch, attn-lstm without conv
  // front). 0: the arch's default (rnn 1, pcrnn 4, attn-lstm 2).
  int rnn_time_pool = 0;
  // attn-lstm only: run the conv front before the LSTM. Default: true.
  bool attn_conv_front = true;
  // attn-lstm only: hidden size of the attention scorer. Default: 32.
  int attention_dim = 32;

  // Segment statistics beside the trunk: > 0 adds a branch that takes each
  // mel band's mean, standard deviation and mean |frame-to-frame change| over
  // the segment (the classic timbre/dynamics summary), batch-normalises them
  // and projects them (Linear + ELU) to this many features, concatenated to
  // the trunk's output. Gives every architecture the summary statistics a
  // classic SVM uses, next to what it learns. 0: no branch. Default: 0.
  int stats_dim = 0;

  // The joint model: > 0 adds a branch over the hand-crafted descriptor rows
  // that follow the mel bands in the input (descriptor_extractor.h: chroma,
  // key, tonal centroid, dissonance, onsets, tempo, loudness, spectral
  // shape, MFCCs, ...). Like the statistics branch it takes each row's mean,
  // standard deviation and mean |frame-to-frame change| over the segment,
  // batch-normalises them (which also puts Hz, dB and BPM on one scale) and
  // projects them (Linear + ELU) to this many features, concatenated to the
  // trunk's output; trained end to end with the trunk. Needs
  // descriptor_rows > 0. 0: no branch. Default: 0.
  int descriptor_dim = 0;
  // Descriptor rows in the input after the n_mels bands: set from the
  // training data (dsp::kNumDescriptors) when descriptor_dim > 0; 0
  // otherwise.
  int descriptor_rows = 0;

  // Size of the embedding (the activation before the heads). 0: the trunk's
  // output (with the statistics branch, if any) is the embedding (crnn:
  // rnn_hidden + stats_dim + descriptor_dim). > 0: a Linear + ELU projects
  // it to this size.
  // Default: 0.
  int embedding_dim = 0;
  // Classes of the quadrant head. Default: 4 (happy, tense, sad, calm).
  int num_quadrants = 4;
  // How the quadrant is predicted:
  //   "va":      from the valence/arousal head (one emotion per track): the
  //              logit of each quadrant is log sigmoid(+-k_v z_v) + log
  //              sigmoid(+-k_a z_a), with z the V-A head's pre-tanh output
  //              and k two learned scales, so the quadrant probabilities are
  //              P(V sign) x P(A sign) and the most probable quadrant is the
  //              one the V-A point lies in. Needs num_quadrants 4.
  //   "softmax": an independent linear head (models saved before "va"
  //              existed; their manifests lack the key and read as this).
  // Default: "va".
  std::string quadrant_head = "va";
  // Outputs of the tag head; 0: no tag head. Default: 0.
  int num_tags = 0;

  // arch "ensemble" only: the members' resolved configs (2 or more, none an
  // ensemble, all with the same n_mels, n_frames, num_quadrants and
  // quadrant_head, no tag head) and their weights (positive, one per
  // member, summing to 1). The ensemble's input rows are the widest
  // member's; each member reads its own prefix of them. Its descriptor_rows
  // (the widest member's) say whether the input carries descriptors.
  std::vector<ModelConfig> members;
  std::vector<float> member_weights;

  // The named configs.
  static ModelConfig ForArch(const std::string& arch);
  // The seed paper's CRNN: 96 mels x 1366 frames padded to 1440, four conv
  // blocks pooling (2,2),(3,3),(4,4),(4,4) to 1 x 15 x 128, a 2-layer GRU,
  // dropout 0.5 (CNN) / 0.3 (RNN).
  static ModelConfig Paper2019();
  // Named config by name: "default" (crnn), an arch name, or "paper2019".
  static core::Result<ModelConfig> Named(const std::string& name);

  // A copy with every default filled in (channels, pools, rnn_time_pool).
  ModelConfig Resolved() const;
  // Checks the resolved config; the message names the bad field.
  core::Status Validate() const;

  // Smallest frame count forward accepts (resolved config).
  int MinFrames() const;
  // Mel bands the trunk sees: n_mels / input_freq_pool.
  int TrunkMels() const { return n_mels / input_freq_pool; }
  // Values per input frame: the mel bands, then the descriptor rows.
  int InputRows() const { return n_mels + descriptor_rows; }
  // Size of the embedding the model produces (resolved config); an
  // ensemble's is its members' side by side.
  int EmbeddingDim() const;
  // An ensemble of `members` weighted by `weights` (normalised to sum 1;
  // empty: equal), resolved; Validate() it.
  static ModelConfig Ensemble(std::vector<ModelConfig> members,
                              std::vector<float> weights = {});

  nlohmann::json ToJson() const;
  // Unknown keys are refused (a typo must not silently fall back to a
  // default); missing keys keep their defaults.
  static core::Result<ModelConfig> FromJson(const nlohmann::json& j);

  bool operator==(const ModelConfig&) const = default;
};

// The architecture names, in documentation order.
const std::vector<std::string>& ArchNames();

}  // namespace mer::nn

#endif  // MER_COMMON_NN_MODEL_CONFIG_H_
