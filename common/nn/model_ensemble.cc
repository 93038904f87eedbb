#include "common/nn/model_ensemble.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "common/core/csv.h"
#include "common/core/emotion.h"
#include "common/nn/architectures.h"
#include "common/nn/fold_statistics.h"
#include "common/nn/metrics.h"
#include "common/nn/model_bundle.h"
#include "common/nn/va_calibration.h"

namespace mer::nn {
namespace {

using core::Status;

// One track's out-of-fold prediction.
struct OofRow {
  int fold = 0;
  int quadrant = -1;
  double valence = 0, arousal = 0;
};

// track_id -> row, from a `mer train --folds` cv_predictions.csv (the first
// architecture's rows, when the run compared several).
core::Result<std::map<std::string, OofRow>> ReadOutOfFold(
    const std::string& path) {
  MER_ASSIGN_OR_RETURN(auto csv, core::CsvReader::Open(path));
  const int c_arch = csv->Column("arch"), c_fold = csv->Column("fold"),
            c_id = csv->Column("track_id"), c_q = csv->Column("quadrant"),
            c_v = csv->Column("valence"), c_a = csv->Column("arousal");
  if (std::min({c_arch, c_fold, c_id, c_q, c_v, c_a}) < 0) {
    return Status::InvalidArgument(
        path, "not a cv_predictions.csv of `mer train --folds` (needs arch, "
              "fold, track_id, quadrant, valence, arousal)");
  }
  std::map<std::string, OofRow> rows;
  std::string arch;
  for (;;) {
    MER_ASSIGN_OR_RETURN(auto record, csv->Next());
    if (!record) break;
    const std::vector<std::string>& r = *record;
    if (arch.empty()) arch = r[c_arch];
    if (r[c_arch] != arch) continue;
    try {
      OofRow row{std::stoi(r[c_fold]), std::stoi(r[c_q]), std::stod(r[c_v]),
                 std::stod(r[c_a])};
      if (!rows.emplace(r[c_id], row).second) {
        return Status::InvalidArgument(
            path, "track " + r[c_id] + " appears twice (line " +
                      std::to_string(csv->line()) + ")");
      }
    } catch (const std::exception&) {
      return Status::InvalidArgument(
          path, "line " + std::to_string(csv->line()) + ": not a number");
    }
  }
  if (rows.empty()) return Status::InvalidArgument(path, "no predictions");
  return rows;
}

// Every member's out-of-fold predictions of the same tracks on the same
// folds, joined by track id.
struct OutOfFoldSet {
  std::vector<int> fold, quadrant;
  // [member][track]
  std::vector<std::vector<double>> valence, arousal;
  size_t size() const { return fold.size(); }
};

core::Result<OutOfFoldSet> ReadOutOfFoldSet(
    const std::vector<std::string>& paths) {
  std::vector<std::map<std::string, OofRow>> files;
  for (const std::string& p : paths) {
    MER_ASSIGN_OR_RETURN(auto rows, ReadOutOfFold(p));
    files.push_back(std::move(rows));
  }
  OutOfFoldSet set;
  set.valence.resize(files.size());
  set.arousal.resize(files.size());
  for (const auto& [id, first] : files.front()) {
    for (size_t i = 0; i < files.size(); ++i) {
      auto it = files[i].find(id);
      if (it == files[i].end()) {
        return Status::InvalidArgument(paths[i], "has no prediction of track " +
                                                     id + " (" + paths[0] +
                                                     " has)");
      }
      if (it->second.fold != first.fold) {
        return Status::InvalidArgument(
            paths[i], "track " + id + " is in another fold than in " +
                          paths[0] + ": the runs used other folds");
      }
      set.valence[i].push_back(it->second.valence);
      set.arousal[i].push_back(it->second.arousal);
    }
    set.fold.push_back(first.fold);
    set.quadrant.push_back(first.quadrant);
  }
  for (size_t i = 1; i < files.size(); ++i) {
    if (files[i].size() != files[0].size()) {
      return Status::InvalidArgument(paths[i], "holds other tracks than " +
                                                   paths[0]);
    }
  }
  return set;
}

// The weighted V-A of every track of `set`.
void WeightedVa(const OutOfFoldSet& set, const std::vector<float>& w,
                std::vector<float>* valence, std::vector<float>* arousal) {
  valence->assign(set.size(), 0.0f);
  arousal->assign(set.size(), 0.0f);
  for (size_t i = 0; i < w.size(); ++i) {
    for (size_t k = 0; k < set.size(); ++k) {
      (*valence)[k] += static_cast<float>(w[i] * set.valence[i][k]);
      (*arousal)[k] += static_cast<float>(w[i] * set.arousal[i][k]);
    }
  }
}

// Macro-F1 over every labelled track of the moods of the weighted V-A.
double PooledMacroF1(const OutOfFoldSet& set, const std::vector<float>& w) {
  std::vector<float> v, a;
  WeightedVa(set, w, &v, &a);
  std::vector<int> pred(set.size());
  for (size_t k = 0; k < set.size(); ++k) {
    pred[k] = static_cast<int>(core::QuadrantOf(v[k], a[k]));
  }
  return EvaluateClassification(set.quadrant, pred, 4).macro_f1;
}

// Calibration fitted on the weighted out-of-fold V-A of every track, and
// the cross-validation figures (macro-F1 per fold, cross-fitted ECE).
std::pair<VaCalibration, nlohmann::json> FitOnOutOfFold(
    const OutOfFoldSet& set, const std::vector<float>& w) {
  const std::vector<int>& fold = set.fold;
  const std::vector<int>& quadrant = set.quadrant;
  std::vector<float> valence, arousal;
  WeightedVa(set, w, &valence, &arousal);
  const int folds = *std::max_element(fold.begin(), fold.end()) + 1;
  const std::string on = "weighted out-of-fold predictions of " +
                         std::to_string(w.size()) + " members, " +
                         std::to_string(fold.size()) + " tracks";
  VaCalibration calibration = FitVaCalibration(valence, arousal, quadrant, on);
  // Per fold: the mood is the quadrant of the V-A point; its confidence
  // comes from scales fitted on the other folds (a held-out ECE).
  std::vector<double> f1, confidence;
  std::vector<int> correct;
  for (int f = 0; f < folds; ++f) {
    std::vector<float> v, a;
    std::vector<int> q;
    std::vector<int> truth, pred;
    for (size_t k = 0; k < fold.size(); ++k) {
      if (fold[k] != f) {
        v.push_back(valence[k]);
        a.push_back(arousal[k]);
        q.push_back(quadrant[k]);
      }
    }
    const VaCalibration other = FitVaCalibration(v, a, q, "");
    for (size_t k = 0; k < fold.size(); ++k) {
      if (fold[k] != f || quadrant[k] < 0) continue;
      const int mood = static_cast<int>(core::QuadrantOf(valence[k], arousal[k]));
      truth.push_back(quadrant[k]);
      pred.push_back(mood);
      confidence.push_back(QuadrantProbs(valence[k], arousal[k], other)[mood]);
      correct.push_back(mood == quadrant[k]);
    }
    if (!truth.empty()) f1.push_back(EvaluateClassification(truth, pred, 4).macro_f1);
  }
  const MeanStd m = MeanAndStd(f1);
  nlohmann::json cv = {
      {"source", on},
      {"folds", folds},
      {"macro_f1_per_fold", f1},
      {"macro_f1", {{"mean", m.mean}, {"std", m.std}}},
      {"ece_cross_fitted", ExpectedCalibrationError(confidence, correct)}};
  return std::make_pair(std::move(calibration), std::move(cv));
}

}  // namespace

core::Result<EnsembleSummary> BuildEnsemble(const EnsembleOptions& options,
                                            const std::string& out_path) {
  const size_t n = options.members.size();
  if (n < 2) return Status::InvalidArgument("ensemble", "needs >= 2 members");
  if (!options.weights.empty() && options.weights.size() != n) {
    return Status::InvalidArgument(
        "ensemble", "give one weight per member (" + std::to_string(n) + ")");
  }
  if (!options.out_of_fold.empty() && options.out_of_fold.size() != n) {
    return Status::InvalidArgument(
        "ensemble",
        "give one cv_predictions.csv per member (" + std::to_string(n) + ")");
  }
  std::vector<LoadedModel> loaded;
  std::vector<ModelConfig> configs;
  nlohmann::json descriptors;
  for (const std::string& path : options.members) {
    MER_ASSIGN_OR_RETURN(LoadedModel m, LoadBundle(path));
    const BundleManifest& first = loaded.empty() ? m.manifest
                                                 : loaded.front().manifest;
    if (m.manifest.config.arch == "ensemble") {
      return Status::InvalidArgument(path, "is an ensemble already");
    }
    if (m.manifest.front_end_digest != first.front_end_digest) {
      return Status::InvalidArgument(
          path, "front end " + m.manifest.front_end_digest + " differs from " +
                    first.front_end_digest + " of " + options.members[0]);
    }
    if (!m.manifest.descriptors.is_null()) {
      if (!descriptors.is_null() && descriptors != m.manifest.descriptors) {
        return Status::InvalidArgument(
            path, "reads descriptors made with other parameters than an "
                  "earlier member's");
      }
      descriptors = m.manifest.descriptors;
    }
    configs.push_back(m.manifest.config);
    loaded.push_back(std::move(m));
  }
  std::vector<float> weights = options.weights;
  OutOfFoldSet oof;
  if (!options.out_of_fold.empty()) {
    MER_ASSIGN_OR_RETURN(oof, ReadOutOfFoldSet(options.out_of_fold));
  }
  if (!options.weight_grid.empty()) {
    if (n != 2 || options.out_of_fold.empty() || !options.weights.empty()) {
      return Status::InvalidArgument(
          "ensemble", "choosing the weight needs two members, their "
                      "out-of-fold predictions and no fixed weights");
    }
    double best = -1;
    for (float g : options.weight_grid) {
      if (!(g > 0 && g < 1)) {
        return Status::InvalidArgument("ensemble",
                                       "grid weights must lie in (0, 1)");
      }
      const double f1 = PooledMacroF1(oof, {g, 1 - g});
      if (weights.empty() || f1 > best + 1e-12 ||
          (std::abs(f1 - best) <= 1e-12 &&
           std::abs(g - 0.5) < std::abs(weights[0] - 0.5))) {
        best = f1;
        weights = {g, 1 - g};
      }
    }
  }
  const ModelConfig config = ModelConfig::Ensemble(configs, weights);
  MER_RETURN_IF_ERROR(config.Validate().WithContext("ensemble"));
  MER_ASSIGN_OR_RETURN(EmotionModel model, MakeModel(config));
  auto* ensemble = dynamic_cast<EnsembleImpl*>(model.ptr().get());
  MER_CHECK(ensemble != nullptr);
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < n; ++i) {
      const auto to = ensemble->members()[i]->named_parameters();
      for (const auto& p : loaded[i].model->named_parameters()) {
        to[p.key()].copy_(p.value());
      }
      const auto to_buffers = ensemble->members()[i]->named_buffers();
      for (const auto& b : loaded[i].model->named_buffers()) {
        to_buffers[b.key()].copy_(b.value());
      }
    }
  }
  model->eval();

  BundleManifest manifest = loaded.front().manifest;
  manifest.model_id.clear();
  manifest.created.clear();
  manifest.descriptors = config.descriptor_rows > 0 ? descriptors : nullptr;
  manifest.training_data_digest.clear();
  manifest.metrics = nlohmann::json::object();
  manifest.extra = nlohmann::json::object();
  EnsembleSummary summary;
  summary.weights = config.member_weights;
  nlohmann::json members = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i) {
    const BundleManifest& m = loaded[i].manifest;
    summary.member_ids.push_back(m.model_id);
    members.push_back({{"model_id", m.model_id},
                       {"path", options.members[i]},
                       {"arch", m.config.arch},
                       {"weight", config.member_weights[i]},
                       {"training_data_digest", m.training_data_digest},
                       {"metrics", m.metrics}});
  }
  manifest.extra["ensemble"] = {{"members", members}};
  if (!options.out_of_fold.empty()) {
    const auto fitted = FitOnOutOfFold(oof, config.member_weights);
    manifest.calibration = fitted.first;
    manifest.metrics["cross_validation"] = fitted.second;
    summary.cross_validation = fitted.second;
  } else {
    VaCalibration averaged;
    averaged.valence_scale = averaged.arousal_scale = 0;
    for (size_t i = 0; i < n; ++i) {
      const VaCalibration& c = loaded[i].manifest.calibration;
      averaged.valence_scale += config.member_weights[i] * c.valence_scale;
      averaged.arousal_scale += config.member_weights[i] * c.arousal_scale;
    }
    averaged.fitted = false;
    averaged.fitted_on = "not fitted for the ensemble: the members' weighted "
                         "mean scales";
    manifest.calibration = averaged;
  }
  summary.calibration = manifest.calibration.ToJson();
  MER_RETURN_IF_ERROR(SaveBundle(out_path, model, manifest, &summary.model_id));
  return summary;
}

}  // namespace mer::nn
