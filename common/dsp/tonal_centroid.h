// Tonal centroid and harmonic change (Harte, Sandler & Gasser 2006,
// "Detecting harmonic change in musical audio"), both from qm-dsp
// (TonalEstimator, ChangeDetectionFunction).
//
// Thread-safety: pure functions.
#ifndef MER_COMMON_DSP_TONAL_CENTROID_H_
#define MER_COMMON_DSP_TONAL_CENTROID_H_

#include <array>
#include <span>
#include <vector>

namespace mer::dsp {

using Chroma = std::array<double, 12>;      // index 0 = C
using TonalVector = std::array<double, 6>;  // Harte's 6-D space

// The 6-D tonal centroid of each chroma vector, L1-normalised first, with
// qm-dsp's radii: coordinates 0-1 on the circle of fifths (radius 1), 2-3 on
// that of major thirds (0.6; Harte 0.5), 4-5 on that of minor thirds (1.1;
// Harte 1). Pitch class l sits at angle l * 7 pi / 6, l * 2 pi / 3 and
// l * 3 pi / 2 (sine first). A chroma summing to (nearly) 0 gives the
// origin.
std::vector<TonalVector> TonalCentroids(std::span<const Chroma> chroma);

// Harte's harmonic change detection function: the centroids are smoothed
// along time by a Gaussian of 2 * half_width + 1 frames (sigma = that / 4.71;
// half_width 0: no smoothing), and value t is the Euclidean distance between
// smoothed frames t - 1 and t + 1 (qm-dsp ChangeDetectionFunction). qm-dsp's
// truncated Gaussian does not sum to 1; the distances are divided by its sum,
// so they are those of a unit-gain smoothing. qm-dsp treats frames beyond the
// ends as the origin, which makes the first and last values the centroid's
// own length; they are replaced by their neighbours' (fewer than three
// frames: 0).
std::vector<double> HarmonicChange(std::span<const TonalVector> centroids,
                                   int half_width);

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_TONAL_CENTROID_H_
