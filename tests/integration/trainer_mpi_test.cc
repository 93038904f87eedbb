// mer train's trainer under MPI (and as a singleton): a synthetic corpus is
// learned; N ranks x batch b equal 1 rank x batch N*b, for a model without
// BatchNorm and, with synchronised BatchNorm, for the crnn; uneven slices (a
// rank without samples in a step) do not hang; resume equals a straight
// run, on the same rank count and on another with the same global batch; a
// bundle round-trips through eval; features of another front end are
// refused. The tag head's tests are in trainer_tags_mpi_test.cc.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>

#include "common/comm/communicator.h"
#include "common/dsp/front_end_params.h"
#include "common/nn/bundle_manifest.h"
#include "common/nn/emotion_model.h"
#include "common/nn/metrics.h"
#include "storage/feature_shard.h"
#include "tests/integration/trainer_test_util.h"
#include "tests/util/test_util.h"
#include "worker/extract_job.h"
#include "worker/track_predictor.h"
#include "worker/train/eval_job.h"
#include "worker/train/trainer.h"
#include "worker/train/training_data.h"

namespace mer::worker {
namespace {
using namespace test;  // NOLINT(build/namespaces): the shared fixture

TEST_F(TrainerTest, LearnsASyntheticCorpus) {
  SharedTempDir tmp(world_);
  WriteCorpus(tmp.path() + "/shards", 64, 1, SmallFrontEnd(), world_);
  auto data = TrainingData::FromShards(tmp.path() + "/shards");
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  TrainerOptions o = SmallOptions();
  o.epochs = 8;
  // The same global batch (so the same number of steps) on any rank count.
  o.batch_size = std::max(1, 8 / world_.size());
  auto out = TrainModel(*data, {Range(0, 48), Range(48, 64), {}}, o, QuietRun(), world_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->history.size(), 8u);
  EXPECT_GE(out->history.back().val_accuracy, 0.9);
  EXPECT_LT(out->history.back().train_loss, out->history.front().train_loss);
}

// A communicator of this rank alone, for "1 rank x N*b" beside the world.
class SelfComm {
 public:
  explicit SelfComm(comm::Communicator& world) {
    MPI_Comm_split(world.handle(), world.rank(), 0, &self_);
    comm_.emplace(self_);
  }
  ~SelfComm() {
    comm_.reset();
    MPI_Comm_free(&self_);
  }
  comm::Communicator& get() { return *comm_; }

 private:
  MPI_Comm self_ = MPI_COMM_NULL;
  std::optional<comm::Communicator> comm_;
};

// Flattened state after training tracks [0, tracks) with `o` on `comm`
// with per-rank batch `batch`.
std::vector<float> TrainedState(const TrainingData& data, TrainerOptions o,
                                int batch, int tracks,
                                comm::Communicator& comm) {
  o.batch_size = batch;
  auto trainer =
      Trainer::Create(data, {Range(0, tracks), {}, {}}, o, QuietRun(), comm);
  EXPECT_TRUE(trainer.ok()) << trainer.status().ToString();
  if (!trainer.ok()) return {};
  EXPECT_OK((*trainer)->Run());
  return (*trainer)->FlatState();
}

// A model without BatchNorm or dropout.
TrainerOptions RnnOptions() {
  TrainerOptions o = SmallOptions();
  o.model.arch = "rnn";
  o.model.channels.clear();
  o.model.rnn_dropout = 0;
  o.model.cnn_dropout = 0;
  o.epochs = 2;
  o.crops_per_track = 1;
  return o;
}

TEST_F(TrainerTest, NRanksWithBatchBEqualOneRankWithBatchNB) {
  if (world_.size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  SharedTempDir tmp(world_);
  WriteCorpus(tmp.path() + "/shards", 9, 2, SmallFrontEnd(), world_);
  auto data = TrainingData::FromShards(tmp.path() + "/shards");
  ASSERT_TRUE(data.ok());
  // 9 tracks, global batch 8: the second step has one sample, so rank 1
  // of 2 gets none.
  const int b = 4;
  const std::vector<float> parallel =
      TrainedState(*data, RnnOptions(), b, 9, world_);
  // Each rank alone (a communicator of one) with batch N*b.
  std::vector<float> single;
  {
    SelfComm self(world_);
    single = TrainedState(*data, RnnOptions(), b * world_.size(), 9,
                          self.get());
  }
  ASSERT_EQ(parallel.size(), single.size());
  ASSERT_FALSE(parallel.empty());
  double worst = 0;
  for (size_t i = 0; i < parallel.size(); ++i) {
    worst = std::max(worst,
                     static_cast<double>(std::fabs(parallel[i] - single[i])));
  }
  EXPECT_LE(worst, 1e-5);
  // Every rank holds the same parameters.
  std::vector<float> sum = parallel;
  world_.AllreduceSum(sum.data(), sum.size());
  for (size_t i = 0; i < sum.size(); ++i) {
    ASSERT_NEAR(sum[i] / world_.size(), parallel[i], 1e-6) << i;
  }
}

// The crnn with all three kinds of BatchNorm (input, conv blocks, the
// statistics branch) and no dropout (its masks are drawn per rank).
TrainerOptions BatchNormOptions() {
  TrainerOptions o = SmallOptions();
  o.model.input_norm = "batchnorm";
  o.model.stats_dim = 8;
  o.model.cnn_dropout = 0;
  o.model.rnn_dropout = 0;
  o.crops_per_track = 1;
  o.epochs = 2;
  return o;
}

// Largest difference (relative where a value exceeds 1) of two flattened
// states of `o`'s model, leaving out
// the conv biases before BatchNorm and the running means of those
// BatchNorms: BatchNorm cancels the biases, so their gradient is rounding
// noise that Adam's normalised steps turn into moves of the learning rate's
// size, different on every layout and harmless to the model; the running
// mean of a conv's output carries its bias along.
double WorstDifference(const TrainerOptions& o, const std::vector<float>& a,
                       const std::vector<float>& b) {
  nn::ModelConfig c = o.model;
  c.n_mels = kMels;
  auto model = nn::MakeModel(c.Resolved());
  EXPECT_TRUE(model.ok());
  EXPECT_EQ(a.size(), b.size());
  if (!model.ok() || a.size() != b.size()) return 1e9;
  double worst = 0;
  size_t pos = 0;
  for (const auto& [name, t] : nn::OrderedState(*model)) {
    const size_t n = static_cast<size_t>(t.numel());
    auto ends_with = [&](const std::string& tail) {
      return name.size() >= tail.size() &&
             name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
    };
    const bool cancelled =
        ends_with("conv.bias") ||
        (name.rfind("blocks.", 0) == 0 && ends_with(".bn.running_mean"));
    for (size_t i = pos; i < pos + n && !cancelled; ++i) {
      // Relative above 1 (the input BatchNorm's running variance of dB
      // values is ~70, where float rounding alone is ~1e-5).
      const double d = std::fabs(static_cast<double>(a[i]) - b[i]) /
                       std::max(1.0, std::fabs(static_cast<double>(b[i])));
      if (!(d <= worst)) worst = d;  // a NaN sticks
    }
    pos += n;
  }
  EXPECT_EQ(pos, a.size());
  return worst;
}

TEST_F(TrainerTest, SyncBatchNormMakesNRanksEqualOneRankForTheCrnn) {
  if (world_.size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  SharedTempDir tmp(world_);
  WriteCorpus(tmp.path() + "/shards", 10, 6, SmallFrontEnd(), world_);
  auto data = TrainingData::FromShards(tmp.path() + "/shards");
  ASSERT_TRUE(data.ok());
  // 10 samples, global batch 4 x N: the last step of each epoch leaves the
  // last ranks without samples (they run a stand-in batch in the
  // BatchNorm reductions).
  const int b = 4;
  TrainerOptions o = BatchNormOptions();
  ASSERT_TRUE(o.sync_batchnorm);  // the default
  const std::vector<float> parallel = TrainedState(*data, o, b, 10, world_);
  std::vector<float> single;
  {
    SelfComm self(world_);
    single = TrainedState(*data, o, b * world_.size(), 10, self.get());
  }
  ASSERT_FALSE(parallel.empty());
  // Not bit for bit: the all-reduced statistics round differently, and
  // Adam's normalised steps magnify that for gradients near zero (~1e-5
  // in a GRU weight after 4 steps).
  const double synced = WorstDifference(o, parallel, single);
  EXPECT_LE(synced, 1e-4);
  // Every rank holds the same parameters and running statistics.
  std::vector<float> sum = parallel;
  world_.AllreduceSum(sum.data(), sum.size());
  for (size_t i = 0; i < sum.size(); ++i) {
    ASSERT_NEAR(sum[i] / world_.size(), parallel[i], 1e-5) << i;
  }

  // Per-rank statistics are another computation: the comparison above
  // would have seen it.
  o.sync_batchnorm = false;
  const std::vector<float> per_rank = TrainedState(*data, o, b, 10, world_);
  const double apart = WorstDifference(o, per_rank, single);
  EXPECT_GT(apart, 1e-3);
  if (world_.rank() == 0) {
    std::printf("%d ranks x %d vs 1 x %d: largest difference %.3g with "
                "synchronised BatchNorm, %.3g with per-rank statistics\n",
                world_.size(), b, b * world_.size(), synced, apart);
  }
}

TEST_F(TrainerTest, ResumeOnAnotherRankCountKeepsTheGlobalBatch) {
  if (world_.size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  SharedTempDir tmp(world_);
  WriteCorpus(tmp.path() + "/shards", 10, 7, SmallFrontEnd(), world_);
  auto data = TrainingData::FromShards(tmp.path() + "/shards");
  ASSERT_TRUE(data.ok());
  const int n = world_.size(), b = 4;
  TrainerOptions o = BatchNormOptions();
  o.epochs = 4;
  const TrainSplit split{Range(0, 10), {}, {}};

  // Straight: one rank, global batch N x b.
  std::vector<float> straight;
  {
    SelfComm self(world_);
    TrainerOptions one = o;
    one.batch_size = n * b;
    ASSERT_OK_AND_ASSIGN(
        auto t, Trainer::Create(*data, split, one, QuietRun(), self.get()));
    ASSERT_OK(t->Run());
    straight = t->FlatState();
  }

  // Two epochs on N ranks x b, then resumed on one rank.
  TrainerRunOptions run = QuietRun();
  run.checkpoint_dir = tmp.path() + "/ckpt";
  o.batch_size = b;
  {
    ASSERT_OK_AND_ASSIGN(auto first,
                         Trainer::Create(*data, split, o, run, world_));
    ASSERT_OK(first->Run(2));
  }
  // Each rank resumes alone from its own copy (a run writes its checkpoint).
  world_.Barrier();
  const std::string mine =
      tmp.path() + "/ckpt-" + std::to_string(world_.rank());
  fs::create_directories(mine);
  fs::copy_file(run.checkpoint_dir + "/checkpoint.pt", mine + "/checkpoint.pt");
  world_.Barrier();
  SelfComm self(world_);
  run.checkpoint_dir = mine;
  run.resume = true;

  // The user's per-rank batch with another global batch: refused, saying
  // what to pass.
  auto refused = Trainer::Create(*data, split, o, run, self.get());
  ASSERT_OK(refused.status());
  const core::Status why = (*refused)->Run();
  ASSERT_FALSE(why.ok());
  EXPECT_NE(why.message().find("global batch of " + std::to_string(n * b) +
                               " (" + std::to_string(n) + " ranks x " +
                               std::to_string(b) + ")"),
            std::string::npos)
      << why.ToString();
  EXPECT_NE(why.message().find("pass --batch-size " + std::to_string(n * b)),
            std::string::npos)
      << why.ToString();

  // No --batch-size given: the per-rank batch follows the global batch and
  // the run ends where the straight one did.
  run.batch_follows_checkpoint = true;
  ASSERT_OK_AND_ASSIGN(auto resumed,
                       Trainer::Create(*data, split, o, run, self.get()));
  ASSERT_OK(resumed->Run());
  ASSERT_EQ(resumed->history().size(), 4u);
  EXPECT_LE(WorstDifference(o, resumed->FlatState(), straight), 1e-4);
}

TEST_F(TrainerTest, ResumeEqualsAnUninterruptedRun) {
  SharedTempDir tmp(world_);
  WriteCorpus(tmp.path() + "/shards", 24, 3, SmallFrontEnd(), world_);
  auto data = TrainingData::FromShards(tmp.path() + "/shards");
  ASSERT_TRUE(data.ok());
  TrainerOptions o = SmallOptions();
  o.epochs = 4;
  const TrainSplit split{Range(0, 18), Range(18, 24), {}};
  ASSERT_OK_AND_ASSIGN(auto straight,
                       Trainer::Create(*data, split, o, QuietRun(), world_));
  ASSERT_OK(straight->Run());
  const std::vector<float> straight_state = straight->FlatState();

  // A run interrupted after 2 epochs (its trainer dropped), then resumed by
  // a new one from the checkpoint.
  TrainerRunOptions run = QuietRun();
  run.checkpoint_dir = tmp.path() + "/ckpt";
  {
    ASSERT_OK_AND_ASSIGN(auto first,
                         Trainer::Create(*data, split, o, run, world_));
    ASSERT_OK(first->Run(2));
    EXPECT_EQ(first->epochs_done(), 2);
    EXPECT_EQ(first->history().size(), 2u);
  }
  EXPECT_TRUE(fs::exists(run.checkpoint_dir + "/checkpoint.pt"));
  run.resume = true;
  ASSERT_OK_AND_ASSIGN(auto resumed,
                       Trainer::Create(*data, split, o, run, world_));
  ASSERT_OK(resumed->Run());
  ASSERT_EQ(resumed->history().size(), 4u);
  const std::vector<float> resumed_state = resumed->FlatState();
  ASSERT_EQ(resumed_state.size(), straight_state.size());
  for (size_t i = 0; i < straight_state.size(); ++i) {
    ASSERT_NEAR(resumed_state[i], straight_state[i], 1e-6) << i;
  }
  EXPECT_DOUBLE_EQ(resumed->history()[3].train_loss,
                   straight->history()[3].train_loss);
  // How the run goes (threads, progress) may change on resume.
  run.threads = 2;
  run.progress = true;
  run.label = "again";
  ASSERT_OK_AND_ASSIGN(auto again, Trainer::Create(*data, split, o, run, world_));
  EXPECT_OK(again->Run());

  // Other training options: the checkpoint is refused, not silently mixed.
  o.learning_rate = 1e-2;
  auto refused = TrainModel(*data, split, o, run, world_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("learning_rate 0.005 -> 0.01"),
            std::string::npos)
      << refused.status().ToString();
}

// A finished run resubmitted with --resume (as mer-train.sbatch always
// does) trains nothing and leaves the bundle, and its model id, as they are.
TEST_F(TrainerTest, AFinishedRunResumedKeepsItsBundle) {
  SharedTempDir tmp(world_);
  WriteCorpus(tmp.path() + "/shards", 16, 8, SmallFrontEnd(), world_);
  auto data = TrainingData::FromShards(tmp.path() + "/shards");
  ASSERT_TRUE(data.ok());
  TrainerOptions o = SmallOptions();
  o.epochs = 2;
  const TrainSplit split{Range(0, 12), Range(12, 16), {}};
  BundleRequest bundle;
  bundle.path = tmp.path() + "/model.merm";
  TrainerRunOptions run = QuietRun();
  run.checkpoint_dir = tmp.path() + "/model.ckpt";
  run.resume = true;  // no checkpoint yet: starts afresh
  ASSERT_OK_AND_ASSIGN(TrainOutcome first,
                       TrainModel(*data, split, o, run, world_, &bundle));
  auto read = [&] {
    std::ifstream in(bundle.path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::string bytes;
  if (world_.rank() == 0) bytes = read();
  ASSERT_OK_AND_ASSIGN(TrainOutcome again,
                       TrainModel(*data, split, o, run, world_, &bundle));
  EXPECT_EQ(again.model_id, first.model_id);
  if (world_.rank() == 0) {
    EXPECT_FALSE(first.model_id.empty());
    EXPECT_EQ(read(), bytes);
  }
  // Another bundle at that path (not the one written from this
  // checkpoint) is replaced.
  world_.Barrier();
  if (world_.rank() == 0) fs::remove(bundle.path);
  ASSERT_OK_AND_ASSIGN(TrainOutcome rewritten,
                       TrainModel(*data, split, o, run, world_, &bundle));
  if (world_.rank() == 0) {
    EXPECT_TRUE(fs::exists(bundle.path));
    EXPECT_FALSE(rewritten.model_id.empty());
  }
}

TEST_F(TrainerTest, BundleRoundTripsThroughEvalAndRefusesAnotherFrontEnd) {
  SharedTempDir tmp(world_);
  WriteCorpus(tmp.path() + "/shards", 32, 4, SmallFrontEnd(), world_);
  WriteCorpus(tmp.path() + "/other", 8, 5, SmallFrontEnd(128), world_);
  auto data = TrainingData::FromShards(tmp.path() + "/shards");
  ASSERT_TRUE(data.ok());
  TrainerOptions o = SmallOptions();
  BundleRequest bundle;
  bundle.path = tmp.path() + "/model.merm";
  auto out =
      TrainModel(*data, {Range(0, 24), Range(24, 32), {}}, o, QuietRun(), world_, &bundle);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->model_id.empty(), world_.rank() != 0);

  // Eval of the bundle on the validation tracks agrees with the trainer's
  // own scores of the kept model.
  int correct = 0;
  for (size_t k = 0; k < out->val.tracks.size(); ++k) {
    int best = 0;
    for (int c = 1; c < 4; ++c) {
      if (out->val.probs[k * 4 + c] > out->val.probs[k * 4 + best]) best = c;
    }
    correct += best == data->tracks()[out->val.tracks[k]].quadrant;
  }
  EvalOptions e;
  e.model = bundle.path;
  e.data = tmp.path() + "/shards";
  e.progress = false;
  auto report = RunEval(e, world_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->json["tracks"].get<int>(), 32);
  EXPECT_TRUE(report->json.contains("macro_f1"));
  // The confidence's calibration error is reported, and no track's V-A
  // point lies outside its mood (the default "va" head).
  ASSERT_TRUE(report->json["ece"].is_number()) << report->json.dump();
  EXPECT_GE(report->json["ece"].get<double>(), 0.0);
  EXPECT_LE(report->json["ece"].get<double>(), 1.0);
  EXPECT_EQ(report->json["va_mood_contradictions"].get<int>(), 0);
  EXPECT_GE(report->json["accuracy"].get<double>() * 32,
            correct);  // val subset correct too

  e.data = tmp.path() + "/other";
  auto refused = RunEval(e, world_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().ToString().find("front end"), std::string::npos)
      << refused.status().ToString();
}

}  // namespace
}  // namespace mer::worker
