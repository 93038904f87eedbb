#include "worker/rank_progress.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace mer::worker {

RankProgress::RankProgress(comm::Communicator& comm, int64_t total,
                           std::string label, bool enabled)
    : comm_(comm), enabled_(enabled) {
  if (!enabled_ || comm_.rank() != 0) return;
  ranks_.resize(comm_.size());
  final_.assign(comm_.size(), false);
  core::ProgressOptions o;
  o.label = std::move(label);
  line_ = std::make_unique<core::Progress>(o, total);
}

RankProgress::~RankProgress() { Finish(); }

std::function<void(const FeatureCounts&, bool)> RankProgress::Callback() {
  return [this](const FeatureCounts& c, bool final) { OnCounts(c, final); };
}

void RankProgress::OnCounts(const FeatureCounts& counts, bool final) {
  if (!enabled_ || finished_) return;
  if (comm_.rank() != 0) {
    last_ = counts;
    const auto now = std::chrono::steady_clock::now();
    if (final || now - last_post_ >= std::chrono::seconds(1)) {
      Post(counts, final);
      last_post_ = now;
    }
    return;
  }
  ranks_[0] = counts;
  final_[0] = final_[0] || final;
  Receive(/*wait=*/false);
  Show();
}

void RankProgress::Post(const FeatureCounts& counts, bool final) {
  if (sent_final_) return;
  sent_final_ = final;
  const nlohmann::json j = {{"done", counts.done},
                            {"failed", counts.failed},
                            {"audio", counts.audio_seconds},
                            {"final", final}};
  // Small and non-blocking; a failure here is a caller's mistake (rank 0
  // exists), so it only loses a progress update.
  (void)comm_.PostSend(0, comm::MessageTag::kProgress, j.dump());
  comm_.PollSends();
}

void RankProgress::Receive(bool wait) {
  auto all_final = [&] {
    for (bool f : final_) {
      if (!f) return false;
    }
    return true;
  };
  for (;;) {
    if (!wait && !comm_.IProbe(comm::kAnySource, comm::MessageTag::kProgress))
      return;
    if (wait && all_final()) return;
    const comm::ReceivedMessage m =
        comm_.RecvBytes(comm::kAnySource, comm::MessageTag::kProgress);
    const nlohmann::json j = nlohmann::json::parse(m.bytes, nullptr, false);
    if (j.is_discarded() || m.source <= 0 || m.source >= comm_.size()) continue;
    FeatureCounts& c = ranks_[m.source];
    c.done = j.value("done", c.done);
    c.failed = j.value("failed", c.failed);
    c.audio_seconds = j.value("audio", c.audio_seconds);
    final_[m.source] = final_[m.source] || j.value("final", false);
  }
}

void RankProgress::Show() {
  FeatureCounts sum;
  for (const FeatureCounts& c : ranks_) {
    sum.done += c.done;
    sum.failed += c.failed;
    sum.audio_seconds += c.audio_seconds;
  }
  line_->Update(sum.done, sum.failed, sum.audio_seconds);
}

void RankProgress::Finish() {
  if (!enabled_ || finished_) return;
  if (comm_.rank() != 0) {
    if (!sent_final_) {
      // An early return (an error before or while extracting) sends what
      // it has, so rank 0 stops waiting for it.
      Post(last_, true);
    }
    finished_ = true;
    return;
  }
  final_[0] = true;
  Receive(/*wait=*/true);
  finished_ = true;
  Show();
  line_->Finish();
}

}  // namespace mer::worker
