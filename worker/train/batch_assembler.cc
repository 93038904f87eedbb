#include "worker/train/batch_assembler.h"

#include <algorithm>
#include <utility>

#include "common/nn/track_windows.h"

namespace mer::worker {

BatchAssembler::BatchAssembler(const TrainingData& data, std::vector<int> train,
                               const BatchOptions& options, int num_tags,
                               int rank, int nranks)
    : data_(data),
      train_(std::move(train)),
      options_(options),
      num_tags_(num_tags),
      rank_(rank) {
  samples_ = static_cast<int>(train_.size()) * options_.crops_per_track;
  global_batch_ = options_.batch_size * nranks;
  steps_ = (samples_ + global_batch_ - 1) / global_batch_;
}

void BatchAssembler::StartEpoch(int epoch) {
  epoch_ = epoch;
  permutation_ = EpochPermutation(samples_, options_.seed, epoch);
}

int BatchAssembler::Assemble(int step, TrainingBatch* batch) const {
  const int lo = step * global_batch_;
  const int global_count = std::min(global_batch_, samples_ - lo);
  const int my_lo =
      std::min(lo + rank_ * options_.batch_size, lo + global_count);
  const int my_hi = std::min(my_lo + options_.batch_size, lo + global_count);
  const int count = my_hi - my_lo;
  // The model's rows: the bands, then the descriptor rows it reads.
  const int mels = data_.n_mels(), frames = options_.frames;
  const int extra = options_.descriptor_rows;
  const size_t seg = static_cast<size_t>(mels + extra) * frames;
  batch->count = count;
  batch->mel.resize(count * seg);
  batch->quadrant.assign(count, -1);
  batch->va.assign(static_cast<size_t>(count) * 2, 0.0f);
  batch->va_mask.assign(count, 0);
  batch->any_va = false;
  batch->tags.assign(static_cast<size_t>(count) * num_tags_, 0.0f);
  for (int j = 0; j < count; ++j) {
    const int sample = permutation_[my_lo + j];
    const TrainingTrack& t =
        data_.tracks()[train_[sample / options_.crops_per_track]];
    CropAndAugment(t.mel, mels, t.n_frames, frames,
                   SampleKey(options_.seed, epoch_, sample), options_.augment,
                   batch->mel.data() + j * seg, extra);
    batch->quadrant[j] = t.quadrant;
    if (t.has_va) {
      batch->va[j * 2] = t.valence;
      batch->va[j * 2 + 1] = t.arousal;
      batch->va_mask[j] = 1;
      batch->any_va = true;
    }
    for (int k = 0; k < num_tags_; ++k) {
      batch->tags[j * num_tags_ + k] = t.tags[k];
    }
  }
  return global_count;
}

void CropAndAugment(const float* mel, int n_mels, int n_frames, int out_frames,
                    uint64_t key, const AugmentOptions& augment, float* out,
                    int extra_rows) {
  int start = 0;
  if (n_frames > out_frames) {
    start = static_cast<int>(KeyUniform(key, 0) * (n_frames - out_frames + 1));
    start = std::min(start, n_frames - out_frames);
  }
  nn::CopyWindow(mel, n_mels + extra_rows, n_frames, start, out_frames, out);
  if (!augment.enabled) return;
  const size_t n = static_cast<size_t>(n_mels) * out_frames;
  const float gain =
      static_cast<float>((2 * KeyUniform(key, 1) - 1) * augment.gain_db);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    out[i] += gain;
    sum += out[i];
  }
  const float fill = static_cast<float>(sum / static_cast<double>(n));
  uint64_t draw = 2;
  for (int i = 0; i < augment.freq_masks; ++i) {
    const int w =
        static_cast<int>(KeyUniform(key, draw++) *
                         (std::min(augment.freq_mask_width, n_mels) + 1));
    const int f0 = static_cast<int>(KeyUniform(key, draw++) * (n_mels - w + 1));
    for (int m = f0; m < f0 + w && m < n_mels; ++m) {
      std::fill(out + static_cast<size_t>(m) * out_frames,
                out + static_cast<size_t>(m + 1) * out_frames, fill);
    }
  }
  for (int i = 0; i < augment.time_masks; ++i) {
    const int w =
        static_cast<int>(KeyUniform(key, draw++) *
                         (std::min(augment.time_mask_width, out_frames) + 1));
    const int t0 =
        static_cast<int>(KeyUniform(key, draw++) * (out_frames - w + 1));
    for (int m = 0; m < n_mels; ++m) {
      float* row = out + static_cast<size_t>(m) * out_frames;
      for (int t = t0; t < t0 + w && t < out_frames; ++t) row[t] = fill;
    }
  }
}

}  // namespace mer::worker
