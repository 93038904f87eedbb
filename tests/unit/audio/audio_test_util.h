// Helpers for the mer_audio tests: the ffmpeg CLI to make real encoded
// files, and measurements of a decoded sine (TempDir: tests/util).
#ifndef MER_TESTS_UNIT_AUDIO_AUDIO_TEST_UTIL_H_
#define MER_TESTS_UNIT_AUDIO_AUDIO_TEST_UTIL_H_

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tests/util/test_util.h"

namespace mer::audio::testing {

namespace fs = std::filesystem;

using ::mer::test::TempDir;

// True when the ffmpeg CLI can be run.
inline bool HaveFfmpeg() {
  static const bool have =
      std::system("ffmpeg -nostdin -hide_banner -version >/dev/null 2>&1") == 0;
  return have;
}

// Runs `ffmpeg -nostdin -v error -y <args>`; returns its error output (empty
// on success, or "exit N: ...").
inline std::string RunFfmpeg(const std::string& args, const TempDir& dir) {
  const std::string log = dir.File("ffmpeg.log");
  const std::string cmd =
      "ffmpeg -nostdin -hide_banner -v error -y " + args + " 2>" + log;
  const int rc = std::system(cmd.c_str());
  if (rc == 0) return "";
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  return "exit " + std::to_string(rc) + ": " + cmd + "\n" + text;
}

// Input arguments for a stereo sine at 44.1 kHz, amplitude 0.5 in both
// channels, `seconds` long.
inline std::string SineInput(double seconds, int frequency = 440) {
  const std::string s = "0.5*sin(2*PI*" + std::to_string(frequency) + "*t)";
  return "-f lavfi -i \"aevalsrc=" + s + "|" + s +
         ":s=44100:d=" + std::to_string(seconds) + "\"";
}

inline void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// RMS of x[begin, end).
inline double Rms(const std::vector<float>& x, size_t begin, size_t end) {
  double sum = 0;
  for (size_t i = begin; i < end; ++i) sum += double{x[i]} * x[i];
  return end > begin ? std::sqrt(sum / static_cast<double>(end - begin)) : 0;
}

// Frequency of a sine from its rising zero crossings in x[begin, end),
// located to a fraction of a sample by linear interpolation.
inline double ZeroCrossingHz(const std::vector<float>& x, size_t begin,
                             size_t end, int rate) {
  double first = -1, last = -1;
  int crossings = 0;
  for (size_t i = begin + 1; i < end; ++i) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const double t = (i - 1) + x[i - 1] / (double{x[i - 1]} - x[i]);
      if (first < 0) first = t;
      last = t;
      ++crossings;
    }
  }
  if (crossings < 2) return 0;
  return (crossings - 1) * rate / (last - first);
}

}  // namespace mer::audio::testing

#endif  // MER_TESTS_UNIT_AUDIO_AUDIO_TEST_UTIL_H_
