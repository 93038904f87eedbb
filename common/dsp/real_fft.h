// RealFft: a forward real-to-complex FFT of one size (FFTW3, single
// precision), with its own aligned input and output buffers.
//
// FFTW's planner is not thread-safe, its execute functions are: plans are made
// once per size and process under one global mutex (FftwPlannerMutex) and kept
// for the life of the process (a process-wide cache keyed by size); each
// RealFft runs the shared plan on its own buffers with
// fftwf_execute_dft_r2c, which takes no lock. Plans use FFTW_ESTIMATE, so a
// given build on a given CPU computes bit-identical spectra in every run
// (FFTW_MEASURE picks algorithms by timing, which varies between runs).
//
// Thread-safety: construction is thread-safe; one RealFft must not be used by
// two threads at once. Move-only.
#ifndef MER_COMMON_DSP_REAL_FFT_H_
#define MER_COMMON_DSP_REAL_FFT_H_

#include <memory>
#include <mutex>

namespace mer::dsp {

// The mutex that guards every call into FFTW's planner (plan creation and
// destruction, wisdom) in this process. Anything else in mer that plans with
// FFTW must hold it too.
std::mutex& FftwPlannerMutex();

class RealFft {
 public:
  // n >= 1. Plans (under FftwPlannerMutex) only the first time a size is seen.
  explicit RealFft(int n);
  ~RealFft();
  RealFft(RealFft&&) noexcept;
  RealFft& operator=(RealFft&&) noexcept;
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  int size() const { return n_; }
  // Input buffer: size() floats, SIMD-aligned. Fill it, then Execute().
  float* input() { return input_.get(); }
  // Output after Execute(): size() / 2 + 1 complex values as interleaved
  // (re, im) floats, SIMD-aligned. Bin k is at output()[2k], output()[2k + 1].
  const float* output() const { return output_.get(); }
  // Transforms input() into output(). input() is left unchanged.
  void Execute();

 private:
  struct FftwFree {
    void operator()(float* p) const;
  };
  int n_ = 0;
  void* plan_ = nullptr;  // fftwf_plan owned by the process-wide cache
  std::unique_ptr<float, FftwFree> input_;
  std::unique_ptr<float, FftwFree> output_;
};

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_REAL_FFT_H_
