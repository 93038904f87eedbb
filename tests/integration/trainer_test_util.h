// Shared by the trainer's MPI tests (trainer_mpi_test.cc,
// trainer_tags_mpi_test.cc): a temp folder every rank agrees on, a small
// front end, a synthetic 4-class corpus in a feature shard, small trainer
// options and the fixture holding a duplicate of MPI_COMM_WORLD.
#ifndef MER_TESTS_INTEGRATION_TRAINER_TEST_UTIL_H_
#define MER_TESTS_INTEGRATION_TRAINER_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/comm/communicator.h"
#include "common/dsp/front_end_params.h"
#include "storage/feature_shard.h"
#include "tests/util/test_util.h"
#include "worker/train/bundle_writer.h"
#include "worker/train/trainer.h"

namespace mer::worker::test {
namespace fs = std::filesystem;


inline constexpr int kMels = 16;
inline constexpr int kTrackFrames = 160;
inline constexpr int kCrop = 48;

// A folder name every rank agrees on (rank 0 makes it under
// test::TestTempRoot()), removed at the end. test::TempDir is per process.
class SharedTempDir {
 public:
  explicit SharedTempDir(comm::Communicator& comm) : comm_(comm) {
    std::string name;
    if (comm.rank() == 0) {
      name = (::mer::test::TestTempRoot() /
              ("trainer-" + std::to_string(::getpid()) + "-" +
               std::to_string(std::random_device{}())))
                 .string();
      fs::create_directories(name);
    }
    comm.BroadcastBytes(0, &name);
    path_ = name;
  }
  ~SharedTempDir() {
    comm_.Barrier();
    if (comm_.rank() == 0) fs::remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  comm::Communicator& comm_;
  std::string path_;
};

inline dsp::FrontEndParams SmallFrontEnd(int hop = 256) {
  dsp::FrontEndParams p;
  p.n_mels = kMels;
  p.hop_length = hop;
  return p;
}

// Rank 0 writes one shard of `tracks` synthetic tracks ("t<i>", group
// "g<i/2>", 5 s of kTrackFrames frames; `tag_names` as in
// FeatureShardWriter::Create); `fill(i, rng, noise, mel, track)`
// draws track i's [kMels][kTrackFrames] dB values and labels from one
// generator seeded by `seed`. Every rank returns after the shard exists.
template <typename Fill>
void WriteSyntheticShard(const std::string& dir, int tracks, uint32_t seed,
                         const dsp::FrontEndParams& fe,
                         std::optional<std::vector<std::string>> tag_names,
                         comm::Communicator& comm, Fill fill) {
  if (comm.rank() == 0) {
    fs::create_directories(dir);
    auto w = storage::FeatureShardWriter::Create(storage::ShardPath(dir, 0, 1),
                                                 kMels, fe.ToJson(),
                                                 fe.Digest(),
                                                 std::move(tag_names));
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise(0.0f, 4.0f);
    for (int i = 0; i < tracks; ++i) {
      std::vector<float> mel(kMels * kTrackFrames);
      storage::ShardTrack t;
      t.track_id = "t" + std::to_string(i);
      t.group = "g" + std::to_string(i / 2);
      t.seconds = 5;
      fill(i, rng, noise, mel.data(), &t);
      ASSERT_TRUE((*w)->Add(t, mel.data(), kTrackFrames).ok());
    }
    ASSERT_TRUE((*w)->Finish().ok());
  }
  comm.Barrier();
}

// Tracks of 4 classes that differ in "tempo" and "mode": class 0 fast
// pulses in the upper bands, 1 fast pulses in the lower bands, 2 slow
// pulses upper, 3 slow pulses lower; noise and phase per track.
inline void WriteCorpus(const std::string& dir, int tracks, uint32_t seed,
                        const dsp::FrontEndParams& fe,
                        comm::Communicator& comm) {
  WriteSyntheticShard(
      dir, tracks, seed, fe, std::nullopt, comm,
      [](int i, std::mt19937& rng, std::normal_distribution<float>& noise,
         float* mel, storage::ShardTrack* track) {
        const int label = i % 4;
        const int period = label < 2 ? 6 : 24;
        const bool upper = label % 2 == 0;
        const int phase = static_cast<int>(rng() % period);
        for (int m = 0; m < kMels; ++m) {
          const bool band = upper ? m >= kMels / 2 : m < kMels / 2;
          for (int t = 0; t < kTrackFrames; ++t) {
            const bool on = band && (t + phase) % period < period / 3;
            mel[m * kTrackFrames + t] =
                -60.0f + noise(rng) + (on ? 35.0f : 0.0f);
          }
        }
        track->quadrant = static_cast<core::Quadrant>(label);
      });
}

inline TrainerOptions SmallOptions() {
  TrainerOptions o;
  o.model.arch = "crnn";
  o.model.n_frames = kCrop;
  o.model.channels = {8, 16, 16, 16};
  o.model.rnn_hidden = 16;
  o.model.rnn_layers = 1;
  o.epochs = 6;
  o.batch_size = 8;
  o.learning_rate = 5e-3;
  o.crops_per_track = 2;
  o.augment.freq_mask_width = 2;
  o.augment.time_mask_width = 6;
  return o;
}

inline TrainerRunOptions QuietRun() {
  TrainerRunOptions r;
  r.progress = false;
  r.threads = 1;
  return r;
}

inline std::vector<int> Range(int lo, int hi) {
  std::vector<int> v;
  for (int i = lo; i < hi; ++i) v.push_back(i);
  return v;
}

class TrainerTest : public ::testing::Test {
 protected:
  comm::Communicator world_ = comm::Communicator::DuplicateWorld();
};

}  // namespace mer::worker::test

#endif  // MER_TESTS_INTEGRATION_TRAINER_TEST_UTIL_H_
