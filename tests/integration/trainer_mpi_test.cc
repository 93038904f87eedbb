// mer train's trainer under MPI (and as a singleton): a synthetic corpus is
// learned; N ranks x batch b equal 1 rank x batch N*b; uneven slices (a rank
// without samples in a step) do not hang; resume equals a straight run; a
// bundle round-trips through eval; features of another front end are
// refused. The tag head's tests are in trainer_tags_mpi_test.cc.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/comm/communicator.h"
#include "common/dsp/front_end_params.h"
#include "common/nn/bundle_manifest.h"
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

// Flattened state after training on `comm` with per-rank batch `batch`.
std::vector<float> TrainState(const TrainingData& data, int batch,
                              comm::Communicator& comm) {
  TrainerOptions o = SmallOptions();
  o.model.arch = "rnn";  // no BatchNorm: statistics are per rank
  o.model.channels.clear();
  o.model.rnn_dropout = 0;
  o.model.cnn_dropout = 0;
  o.epochs = 2;
  o.crops_per_track = 1;
  o.batch_size = batch;
  // 9 tracks, global batch 8: the second step has one sample, so rank 1
  // of 2 gets none.
  auto trainer = Trainer::Create(data, {Range(0, 9), {}, {}}, o, QuietRun(), comm);
  EXPECT_TRUE(trainer.ok()) << trainer.status().ToString();
  if (!trainer.ok()) return {};
  EXPECT_TRUE((*trainer)->Run().ok());
  return (*trainer)->FlatState();
}

TEST_F(TrainerTest, NRanksWithBatchBEqualOneRankWithBatchNB) {
  if (world_.size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  SharedTempDir tmp(world_);
  WriteCorpus(tmp.path() + "/shards", 9, 2, SmallFrontEnd(), world_);
  auto data = TrainingData::FromShards(tmp.path() + "/shards");
  ASSERT_TRUE(data.ok());
  const int b = 4;
  const std::vector<float> parallel = TrainState(*data, b, world_);
  // Each rank alone (a communicator of one) with batch N*b.
  MPI_Comm self;
  MPI_Comm_split(world_.handle(), world_.rank(), 0, &self);
  std::vector<float> single;
  {
    comm::Communicator one(self);
    single = TrainState(*data, b * world_.size(), one);
  }
  MPI_Comm_free(&self);
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
