#include "worker/trainer_scoring.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/nn/metrics.h"

namespace mer::worker::internal {

TrackScores ScoreTracks(nn::EmotionModel& model, const TrainingData& data,
                        const std::vector<int>& tracks, const TrainerOptions& o,
                        const torch::Device& device, comm::Communicator& comm) {
  TrackScores s;
  s.tracks = tracks;
  const size_t n = tracks.size();
  s.probs.assign(n * 4, 0.0f);
  s.va.assign(n * 2, 0.0f);
  s.num_tags = o.model.num_tags;
  s.tag_probs.assign(n * s.num_tags, 0.0f);
  if (n == 0) return s;
  model->eval();
  torch::NoGradGuard no_grad;
  const int frames = o.model.n_frames, mels = data.n_mels();
  const int hop =
      o.eval_hop_frames > 0 ? o.eval_hop_frames : std::max(1, frames / 2);
  for (size_t k = comm.rank(); k < n; k += comm.size()) {
    const TrainingTrack& t = data.tracks()[tracks[k]];
    const std::vector<int> starts =
        EvalWindowStarts(t.n_frames, frames, hop, o.eval_max_windows);
    torch::Tensor x = torch::empty(
        {static_cast<int64_t>(starts.size()), mels, frames}, torch::kFloat);
    float* px = x.data_ptr<float>();
    for (size_t w = 0; w < starts.size(); ++w) {
      CopyWindow(t.mel, mels, t.n_frames, starts[w], frames,
                 px + w * static_cast<size_t>(mels) * frames);
    }
    nn::ModelOutput out = model->forward(x.to(device));
    torch::Tensor p =
        torch::softmax(out.quadrant_logits, 1).mean(0).to(torch::kCPU);
    torch::Tensor va = out.va.mean(0).to(torch::kCPU);
    for (int c = 0; c < 4; ++c) s.probs[k * 4 + c] = p[c].item<float>();
    s.va[k * 2] = va[0].item<float>();
    s.va[k * 2 + 1] = va[1].item<float>();
    if (s.num_tags > 0) {
      torch::Tensor tp = torch::sigmoid(out.tag_logits)
                             .mean(0)
                             .to(torch::kCPU, torch::kFloat)
                             .contiguous();
      std::copy(tp.data_ptr<float>(), tp.data_ptr<float>() + s.num_tags,
                s.tag_probs.begin() + k * s.num_tags);
    }
  }
  if (comm.size() > 1) {
    comm.AllreduceSum(s.probs.data(), s.probs.size());
    comm.AllreduceSum(s.va.data(), s.va.size());
    if (!s.tag_probs.empty()) {
      comm.AllreduceSum(s.tag_probs.data(), s.tag_probs.size());
    }
  }
  return s;
}

void Classify(const TrainingData& data, const TrackScores& s, double* accuracy,
              double* macro_f1, double* loss) {
  std::vector<int> truth, pred = nn::ArgmaxRows(s.probs, 4);
  double l = 0;
  int counted = 0;
  for (size_t k = 0; k < s.tracks.size(); ++k) {
    const int q = data.tracks()[s.tracks[k]].quadrant;
    truth.push_back(q);
    if (q >= 0) {
      l -= std::log(std::max(1e-7f, s.probs[k * 4 + q]));
      ++counted;
    }
  }
  if (counted == 0) {
    *accuracy = *macro_f1 = *loss = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  const nn::ClassificationReport r = nn::EvaluateClassification(truth, pred, 4);
  *accuracy = r.accuracy;
  *macro_f1 = r.macro_f1;
  *loss = l / counted;
}

std::vector<float> TagPosWeights(const TrainingData& data,
                                 const std::vector<int>& train) {
  std::vector<float> w;
  for (int64_t pos : TagPositives(data, train)) {
    const double neg = static_cast<double>(train.size()) - pos;
    const double r = pos > 0 ? neg / pos : kMaxTagPosWeight;
    w.push_back(
        static_cast<float>(std::clamp(r, 1.0, double{kMaxTagPosWeight})));
  }
  return w;
}

}  // namespace mer::worker::internal
