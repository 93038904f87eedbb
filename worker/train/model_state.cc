#include "worker/train/model_state.h"

#include <torch/torch.h>

#include <cstring>
#include <string>

#include "common/core/check.h"

namespace mer::worker {
namespace {

std::vector<torch::Tensor> StateTensors(const nn::EmotionModel& model) {
  std::vector<torch::Tensor> out;
  for (auto& [name, t] : nn::OrderedState(model)) out.push_back(t);
  return out;
}

}  // namespace

std::vector<float> FlattenState(const nn::EmotionModel& model) {
  std::vector<float> flat;
  for (const torch::Tensor& t : StateTensors(model)) {
    const torch::Tensor c =
        t.detach().to(torch::kCPU, torch::kFloat).contiguous();
    flat.insert(flat.end(), c.data_ptr<float>(),
                c.data_ptr<float>() + c.numel());
  }
  return flat;
}

void LoadFlatState(const nn::EmotionModel& model,
                   const std::vector<float>& flat) {
  torch::NoGradGuard no_grad;
  size_t pos = 0;
  for (torch::Tensor& t : StateTensors(model)) {
    const int64_t n = t.numel();
    MER_CHECK(pos + static_cast<size_t>(n) <= flat.size());
    torch::Tensor src = torch::from_blob(const_cast<float*>(flat.data() + pos),
                                         t.sizes(), torch::kFloat);
    t.copy_(src.to(t.dtype()));
    pos += static_cast<size_t>(n);
  }
  MER_CHECK(pos == flat.size());
}

void BroadcastState(const nn::EmotionModel& model, comm::Communicator& comm) {
  if (comm.size() == 1) return;
  std::string bytes;
  if (comm.rank() == 0) {
    const std::vector<float> flat = FlattenState(model);
    bytes.assign(reinterpret_cast<const char*>(flat.data()),
                 flat.size() * sizeof(float));
  }
  comm.BroadcastBytes(0, &bytes);
  if (comm.rank() != 0) {
    std::vector<float> flat(bytes.size() / sizeof(float));
    std::memcpy(flat.data(), bytes.data(), flat.size() * sizeof(float));
    LoadFlatState(model, flat);
  }
}

}  // namespace mer::worker
