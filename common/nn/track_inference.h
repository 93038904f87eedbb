// TrackInference: the one path from a track's log-mel spectrogram to its
// emotion (DESIGN.md §5), shared by `mer index` (worker/index/), `mer
// predict` and `mer eval` (worker/track_predictor.h) and training validation
// (worker/train/), so every figure mer reports is computed the way users'
// tracks are labelled:
//
//   log-mel [n_mels][n_frames]
//     -> windows (track_windows.h: WindowPlan, short-clip tiling, the
//        optional max_windows cap)
//     -> forward passes of the track's own windows (Predictor): full
//        passes of the predictor's batch size, then the rest padded with
//        zero windows to a multiple of kPassAlign (at most a batch)
//     -> per-track aggregation (track_aggregator.h: mean probabilities,
//        V-A mean and spread, L2-normalised mean embedding, timeline);
//        for a "va"-head model the mood is then the quadrant of the track's
//        V-A point and its probabilities the bundle's calibration of that
//        point (va_calibration.h): one emotion per track.
//
//   TrackInference inference(&predictor, plan);
//   MER_ASSIGN_OR_RETURN(TrackPrediction p, inference.PredictMel(mel, 96, n));
//
// Why a track never shares a pass: BLAS and oneDNN pick kernels by shape and
// row position, so the same window can come out a float ulp apart in
// another batch (seen in the GRU). The passes a track gets depend on the
// track alone, so its numbers are bit for bit the same in `mer index`,
// `mer predict`, `mer eval` and training validation (for the same model,
// batch size and thread count), however tracks were grouped. The cost is
// at most kPassAlign - 1 padding windows per track.
//
// Windowing (Window) is separate from Predict so that a pipeline can cut
// windows on its decode threads and hand several tracks to its model
// thread at once.
//
// Torch-free header. Ownership: borrows the Predictor. Thread-safety: as the
// Predictor (one thread at a time); Window() is const and thread-safe.
#ifndef MER_COMMON_NN_TRACK_INFERENCE_H_
#define MER_COMMON_NN_TRACK_INFERENCE_H_

#include <span>
#include <vector>

#include "common/core/result.h"
#include "common/nn/predictor.h"
#include "common/nn/track_aggregator.h"
#include "common/nn/track_windows.h"

namespace mer::nn {

// The remainder pass of a track is padded to a multiple of this many
// windows.
inline constexpr int kPassAlign = 8;

class TrackInference {
 public:
  // `predictor` is not owned and must outlive this object; `plan` must be
  // valid (WindowPlan::Validate).
  TrackInference(Predictor* predictor, WindowPlan plan);

  const WindowPlan& plan() const { return plan_; }

  // The windows of one track ([n_mels][n_frames] dB, then any descriptor
  // rows: `n_mels` counts every row). Rows beyond the model's InputRows()
  // (descriptors of a model without a descriptor branch) are left out.
  TrackWindows Window(const float* mel, int n_mels, int n_frames) const;

  // One prediction per entry of `tracks`, in order (each track in passes of
  // its own). A track without a window is InvalidArgument; a model failure
  // (out of memory, a wrong shape) fails the whole call with a Status
  // naming the model, so a caller holding several tracks can retry them one
  // at a time to find the bad one.
  core::Result<std::vector<TrackPrediction>> Predict(
      std::span<const TrackWindows* const> tracks);

  // Window + Predict for one track.
  core::Result<TrackPrediction> PredictMel(const float* mel, int n_mels,
                                           int n_frames);

 private:
  core::Result<TrackPrediction> PredictOne(const TrackWindows& track);

  Predictor* predictor_;  // not owned
  WindowPlan plan_;
};

}  // namespace mer::nn

#endif  // MER_COMMON_NN_TRACK_INFERENCE_H_
