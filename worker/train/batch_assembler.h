// BatchAssembler: the training samples of one step on one rank (DESIGN.md
// §5, steps 2-3 of worker/train/trainer.h). Torch-free.
//
// An epoch's samples are (track, crop) pairs, indexed 0..n-1 with n =
// train tracks x crops_per_track, and shuffled by a permutation seeded by
// (seed, epoch). Step s covers positions [s * N * b, (s + 1) * N * b) of
// the permutation; rank r takes its b-slice (possibly empty on the last
// step). A sample's crop and augmentation are a function of (seed, epoch,
// sample index) only, so how samples are laid out over ranks never changes
// what a sample sees.
//
//   BatchAssembler batches(data, train, options, num_tags, rank, nranks);
//   batches.StartEpoch(epoch);
//   for (int s = 0; s < batches.steps(); ++s) {
//     const int global = batches.Assemble(s, &batch);  // batch.count may be 0
//   }
//
// Ownership: borrows `data` (it must outlive the assembler). Thread-safety:
// one thread at a time.
#ifndef MER_WORKER_TRAIN_BATCH_ASSEMBLER_H_
#define MER_WORKER_TRAIN_BATCH_ASSEMBLER_H_

#include <cstdint>
#include <vector>

#include "worker/train/data_split.h"
#include "worker/train/training_data.h"

namespace mer::worker {

struct BatchOptions {
  int frames = 256;         // crop length (the model's input frames)
  int batch_size = 24;      // samples per step and rank
  int crops_per_track = 4;  // random crops of each track per epoch
  uint64_t seed = 1;
  AugmentOptions augment;
  // Descriptor rows after the bands that the model reads (its
  // descriptor_rows; the data's rows beyond are left out). Default: 0.
  int descriptor_rows = 0;
};

// One rank's samples of one step.
struct TrainingBatch {
  int count = 0;                  // samples in this batch (0..batch_size)
  // [count][n_mels + descriptor_rows][frames]: dB, then the descriptors.
  std::vector<float> mel;
  std::vector<int64_t> quadrant;  // [count]; -1: no quadrant label
  std::vector<float> va;          // [count][2]; 0 where va_mask is 0
  std::vector<uint8_t> va_mask;   // [count]: 1 where the track has V-A
  bool any_va = false;
  std::vector<float> tags;  // [count][num_tags], 0/1
};

class BatchAssembler {
 public:
  // `train` indexes data.tracks(); `num_tags` is the model's tag outputs
  // (0: none).
  BatchAssembler(const TrainingData& data, std::vector<int> train,
                 const BatchOptions& options, int num_tags, int rank,
                 int nranks);

  int samples() const { return samples_; }  // per epoch, all ranks
  int global_batch() const { return global_batch_; }
  int steps() const { return steps_; }  // per epoch, every rank

  // Draws the epoch's permutation.
  void StartEpoch(int epoch);
  // Fills `batch` with this rank's slice of `step` of the current epoch;
  // returns the step's sample count over all ranks.
  int Assemble(int step, TrainingBatch* batch) const;

 private:
  const TrainingData& data_;
  const std::vector<int> train_;
  const BatchOptions options_;
  const int num_tags_, rank_;
  int samples_ = 0, global_batch_ = 0, steps_ = 0, epoch_ = 0;
  std::vector<int> permutation_;
};

// Writes an [n_mels + extra_rows][out_frames] crop of `mel` (at least that
// many rows of n_frames) into `out`. The start frame is drawn from `key` (0
// when the track is shorter; short tracks are tiled). With augment.enabled,
// gain and masks follow on the first n_mels rows (the masked cells take
// their mean value); the extra rows (descriptors) are cropped only.
void CropAndAugment(const float* mel, int n_mels, int n_frames, int out_frames,
                    uint64_t key, const AugmentOptions& augment, float* out,
                    int extra_rows = 0);

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_BATCH_ASSEMBLER_H_
