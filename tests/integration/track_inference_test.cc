// The one track-inference path (common/nn/track_inference.h), end to end:
// the same 20-minute, 30-second and 2.5-second tracks, encoded here by the
// ffmpeg CLI, go through
//   1. training validation (Trainer::Score on the trainer's live model),
//   2. `mer predict` (TrackPredictor::PredictFile on the bundle it wrote),
//   3. `mer eval` (RunEval's per-track predictions file),
//   4. the `mer index` worker (InferencePipeline, tracks batched together),
// and every path gives the same quadrant probabilities, valence and arousal.
// An MPI singleton (the trainer takes a communicator).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/comm/communicator.h"
#include "common/comm/work_item.h"
#include "tests/util/test_util.h"
#include "worker/index/inference_pipeline.h"
#include "worker/track_predictor.h"
#include "worker/train/bundle_writer.h"
#include "worker/train/eval_job.h"
#include "worker/train/trainer.h"
#include "worker/train/training_data.h"

namespace mer::worker {
namespace {

// What one path says about one track.
struct Emotion {
  std::vector<float> probs;
  float valence = 0, arousal = 0;
};
using ByPath = std::map<std::string, Emotion>;  // track path -> emotion

bool HaveFfmpeg() {
  return std::system("ffmpeg -version > /dev/null 2>&1") == 0;
}

// A tone whose pitch and loudness move, plus pink noise: enough texture for
// windows to differ.
bool Encode(const std::string& path, double seconds, int seed) {
  const std::string d = std::to_string(seconds);
  const std::string cmd =
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i "
      "\"sine=frequency=" +
      std::to_string(200 + 90 * seed) + ":duration=" + d +
      "\" -f lavfi -i \"anoisesrc=color=pink:amplitude=0.2:seed=" +
      std::to_string(seed) + ":duration=" + d +
      "\" -filter_complex "
      "\"amix=inputs=2,volume='0.5+0.4*sin(t/7)':eval=frame\""
      " -ac 1 -ar 22050 '" +
      path + "'";
  return std::system(cmd.c_str()) == 0;
}

Emotion Of(const nn::TrackPrediction& p) {
  return {p.quadrant_probs, p.valence, p.arousal};
}

// Path 3: the predictions CSV of `mer eval` (floats to 9 digits: exact).
ByPath ReadEvalCsv(const std::string& file) {
  ByPath out;
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    if (cells.size() != 10) continue;
    Emotion e;
    for (int q = 0; q < 4; ++q) e.probs.push_back(std::stof(cells[4 + q]));
    e.valence = std::stof(cells[8]);
    e.arousal = std::stof(cells[9]);
    out[cells[1].substr(1, cells[1].size() - 2)] = e;  // unquote the path
  }
  return out;
}

// Path 4: the index worker's pipeline, all tracks submitted at once, with
// `decode_threads` decode threads and a model thread that decodes when idle
// (or never, as on a GPU).
ByPath RunPipeline(const std::string& model,
                   const std::vector<std::string>& paths, int decode_threads,
                   bool model_thread_decodes) {
  InferencePipelineOptions o;
  o.model_path = model;
  o.decode_threads = decode_threads;
  o.model_thread_decodes = model_thread_decodes;
  o.predictor.num_threads = 1;
  auto pipeline = InferencePipeline::Open(o);
  EXPECT_TRUE(pipeline.ok()) << pipeline.status().ToString();
  if (!pipeline.ok()) return {};
  for (size_t i = 0; i < paths.size(); ++i) {
    (*pipeline)->Submit(comm::WorkItem{"t" + std::to_string(i), paths[i], i});
  }
  ByPath out;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (out.size() < paths.size() &&
         std::chrono::steady_clock::now() < deadline) {
    (*pipeline)->WaitForOutput(std::chrono::milliseconds(100));
    while (auto r = (*pipeline)->TryPop()) {
      EXPECT_TRUE(r->status.ok()) << r->status.ToString();
      const storage::TrackResult& t = r->result;
      out[r->item.path] = {
          std::vector<float>(t.quadrant_probs.begin(), t.quadrant_probs.end()),
          t.valence, t.arousal};
    }
  }
  return out;
}

void ExpectSame(const Emotion& want, const Emotion& got,
                const std::string& what) {
  ASSERT_EQ(got.probs.size(), want.probs.size()) << what;
  for (size_t q = 0; q < want.probs.size(); ++q) {
    EXPECT_EQ(got.probs[q], want.probs[q]) << what << " p" << q;
  }
  EXPECT_EQ(got.valence, want.valence) << what;
  EXPECT_EQ(got.arousal, want.arousal) << what;
}

TEST(TrackInferenceTest, IndexPredictEvalAndValidationAgreeOnEveryTrack) {
  if (!HaveFfmpeg()) GTEST_SKIP() << "the ffmpeg CLI is not installed";
  test::TempDir dir;
  const std::vector<std::pair<std::string, double>> files = {
      {"long.mp3", 20 * 60}, {"clip.ogg", 30}, {"short.wav", 2.5}};
  std::string csv = "path,quadrant,artist\n";
  std::vector<std::string> paths;
  for (size_t i = 0; i < files.size(); ++i) {
    paths.push_back(dir.File(files[i].first));
    ASSERT_TRUE(Encode(paths.back(), files[i].second, static_cast<int>(i)))
        << files[i].first;
    csv += files[i].first + ",Q" + std::to_string(i + 1) + ",a" +
           std::to_string(i) + "\n";
  }
  std::ofstream(dir.File("labels.csv")) << csv;

  comm::Communicator world = comm::Communicator::DuplicateWorld();
  LabelsSourceOptions source;
  source.progress = false;  // the default front end, as a bundle's
  ASSERT_OK_AND_ASSIGN(
      TrainingData data,
      TrainingData::Open(dir.File("labels.csv"), source, world));
  ASSERT_EQ(data.tracks().size(), 3u);
  TrainerOptions o;
  o.model.channels = {4, 8, 8, 8};
  o.model.rnn_hidden = 8;
  o.model.rnn_layers = 1;
  o.model.n_frames = 256;
  o.epochs = 1;
  o.crops_per_track = 1;
  TrainerRunOptions run;
  run.progress = false;
  run.threads = 1;
  BundleRequest bundle;
  bundle.path = dir.File("model.merm");
  ASSERT_OK_AND_ASSIGN(auto trainer, Trainer::Create(data, {{0, 1, 2}, {}, {}},
                                                     o, run, world, &bundle));
  ASSERT_OK(trainer->Run());
  ASSERT_OK(trainer->Finish().status());

  // 1. Training validation, on the weights the bundle holds.
  const TrackScores scores = trainer->Score({0, 1, 2});
  ByPath validation;
  for (size_t k = 0; k < 3; ++k) {
    Emotion e;
    e.probs.assign(scores.probs.begin() + 4 * k,
                   scores.probs.begin() + 4 * k + 4);
    e.valence = scores.va[2 * k];
    e.arousal = scores.va[2 * k + 1];
    validation[data.tracks()[k].path] = e;
  }
  // 2. mer predict.
  TrackPredictorOptions po;
  po.predictor.num_threads = 1;
  ASSERT_OK_AND_ASSIGN(TrackPredictor predictor,
                       TrackPredictor::Open(bundle.path, po));
  ByPath predicted;
  for (const std::string& p : paths) {
    ASSERT_OK_AND_ASSIGN(nn::TrackPrediction t, predictor.PredictFile(p));
    predicted[p] = Of(t);
    EXPECT_EQ(t.timeline.size(), static_cast<size_t>(t.num_segments));
  }
  // 3. mer eval.
  EvalOptions e;
  e.model = bundle.path;
  e.data = dir.File("labels.csv");
  e.progress = false;
  e.predictions_csv = dir.File("predictions.csv");
  ASSERT_OK(RunEval(e, world).status());
  const ByPath evaluated = ReadEvalCsv(e.predictions_csv);
  // 4. The index worker: 2 decode threads and a model thread that helps;
  // none, the model thread decoding every track (a worker with one core);
  // 2 and a model thread that never decodes (a GPU worker's).
  const ByPath indexed = RunPipeline(bundle.path, paths, 2, true);
  const ByPath model_only = RunPipeline(bundle.path, paths, 0, true);
  const ByPath no_help = RunPipeline(bundle.path, paths, 2, false);
  InferencePipelineOptions nobody;
  nobody.model_path = bundle.path;
  nobody.decode_threads = 0;
  nobody.model_thread_decodes = false;
  EXPECT_FALSE(nobody.Validate().ok()) << "no thread would decode";

  for (const std::string& p : paths) {
    ASSERT_TRUE(validation.count(p) && evaluated.count(p) && indexed.count(p) &&
                model_only.count(p) && no_help.count(p))
        << p;
    ExpectSame(predicted[p], validation[p], "validation " + p);
    ExpectSame(predicted[p], evaluated.at(p), "eval " + p);
    ExpectSame(predicted[p], indexed.at(p), "index " + p);
    ExpectSame(predicted[p], model_only.at(p), "index, model thread only " + p);
    ExpectSame(predicted[p], no_help.at(p), "index, no help " + p);
  }
  // The three lengths give 1, about 14 and about 585 windows.
  EXPECT_EQ(predictor.PredictFile(paths[2])->num_segments, 1);
  EXPECT_GT(predictor.PredictFile(paths[0])->num_segments, 500);
}

}  // namespace
}  // namespace mer::worker
