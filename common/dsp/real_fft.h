// RealFft: a forward real-to-complex FFT of one size (FFTW3, double
// precision), with its own aligned input and output buffers.
//
// Why double: a float32 FFT resolves a bin only to about 120 dB below the
// frame's loudest bin. Real music (MP3s low-passed at 11 kHz) puts mel bands
// there, and in float32 those bands carry rounding noise of several
// hundredths of a dB. In double the whole -100 dB range is exact to 1e-4 dB,
// for about 30 % more time per frame (the FFT is a small part of decode +
// log-mel). Input samples and outputs stay float32.
//
// FFTW's planner is not thread-safe, its execute functions are: plans are made
// once per size and process under one global mutex (FftwPlannerMutex) and kept
// for the life of the process (a process-wide cache keyed by size); each
// RealFft runs the shared plan on its own buffers with
// fftw_execute_dft_r2c, which takes no lock. Plans use FFTW_ESTIMATE, so a
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
  // Input buffer: size() doubles, SIMD-aligned. Fill it, then Execute().
  double* input() { return input_.get(); }
  // Output after Execute(): size() / 2 + 1 complex values as interleaved
  // (re, im) doubles, SIMD-aligned. Bin k is at output()[2k], output()[2k+1].
  const double* output() const { return output_.get(); }
  // Transforms input() into output(). input() is left unchanged.
  void Execute();

 private:
  struct FftwFree {
    void operator()(double* p) const;
  };
  int n_ = 0;
  void* plan_ = nullptr;  // fftw_plan owned by the process-wide cache
  std::unique_ptr<double, FftwFree> input_;
  std::unique_ptr<double, FftwFree> output_;
};

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_REAL_FFT_H_
