// Grouped splits and deterministic sampling for training (torch-free).
//
// * GroupedFolds: k folds over tracks such that no group (artist) is in two
//   folds, with the quadrant classes spread evenly (a stratified grouped
//   k-fold). Deterministic in (groups, labels, k, seed).
// * SampleKey / KeyUniform: the randomness of one training sample is a pure
//   function of (seed, epoch, global sample index), so how samples are laid
//   out over ranks never changes what a sample sees.
// * AugmentOptions: what CropAndAugment (batch_assembler.h) does to a crop.
//
// Thread-safety: pure functions.
#ifndef MER_WORKER_TRAIN_DATA_SPLIT_H_
#define MER_WORKER_TRAIN_DATA_SPLIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/core/status.h"

namespace mer::worker {

// fold[i] in [0, k) for track i. `labels[i]` is the class (-1 unknown) used
// to balance the folds. Fails when there are fewer groups than k.
core::Status GroupedFolds(const std::vector<std::string>& groups,
                          const std::vector<int>& labels, int k, uint64_t seed,
                          std::vector<int>* fold);

// SplitMix64 of the combined arguments: a 64-bit key per sample.
uint64_t SampleKey(uint64_t seed, uint64_t epoch, uint64_t index);
// The n-th uniform double in [0, 1) derived from `key`.
double KeyUniform(uint64_t key, uint64_t n);

// A deterministic permutation of [0, n) for (seed, epoch).
std::vector<int> EpochPermutation(int n, uint64_t seed, int epoch);

struct AugmentOptions {
  // Random gain in dB, uniform in [-gain_db, +gain_db]. Default: 6.
  float gain_db = 6.0f;
  // Frequency masks per crop and their maximum width in bands. Default: 1, 12.
  int freq_masks = 1;
  int freq_mask_width = 12;
  // Time masks per crop and their maximum width in frames. Default: 1, 32.
  int time_masks = 1;
  int time_mask_width = 32;
  // Master switch. Default: true.
  bool enabled = true;

  core::Status Validate() const;
};

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_DATA_SPLIT_H_
