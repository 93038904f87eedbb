// Grouped splits and deterministic sampling for training (torch-free).
//
// * GroupedFolds: k folds over tracks such that no group (artist) is in two
//   folds, with the quadrant classes spread evenly (a stratified grouped
//   k-fold). Deterministic in (groups, labels, k, seed).
// * SampleKey / KeyUniform: the randomness of one training sample is a pure
//   function of (seed, epoch, global sample index), so how samples are laid
//   out over ranks never changes what a sample sees.
// * CropAndAugment: a random crop of a whole-track spectrogram with gain and
//   SpecAugment-style frequency/time masks.
//
// Thread-safety: pure functions.
#ifndef MER_WORKER_DATA_SPLIT_H_
#define MER_WORKER_DATA_SPLIT_H_

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

// Writes an [n_mels][out_frames] crop of `mel` ([n_mels][n_frames]) into
// `out`. The start frame is drawn from `key` (0 when the track is shorter;
// short tracks are tiled). With augment.enabled, gain and masks follow (the
// masked cells take the crop's mean value).
void CropAndAugment(const float* mel, int n_mels, int n_frames, int out_frames,
                    uint64_t key, const AugmentOptions& augment, float* out);

// Start frames of the evaluation windows of a track of `n_frames` frames:
// every `hop` frames, at most `max_windows` evenly spread (0 = all); one
// window at 0 for a track shorter than `frames`.
std::vector<int> EvalWindowStarts(int n_frames, int frames, int hop,
                                  int max_windows);

// Copies the [n_mels][frames] window starting at `start` (tiled when the
// track is shorter) into `out`.
void CopyWindow(const float* mel, int n_mels, int n_frames, int start,
                int frames, float* out);

}  // namespace mer::worker

#endif  // MER_WORKER_DATA_SPLIT_H_
