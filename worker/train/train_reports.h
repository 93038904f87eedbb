// The reports of `mer train` (worker/train/train_job.h) as text, CSV, JSON
// and SVG, built from track scores and epoch metrics. Torch-free; internal
// to mer_train.
#ifndef MER_WORKER_TRAIN_TRAIN_REPORTS_H_
#define MER_WORKER_TRAIN_TRAIN_REPORTS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/core/status.h"
#include "common/nn/metrics.h"
#include "worker/train/track_scores.h"
#include "worker/train/trainer_options.h"
#include "worker/train/training_data.h"

namespace mer::worker {

// Metrics of track-level scores against the tracks' labels
// (AddClassificationJson keys, "valence"/"arousal" with V-A labels, "tags"
// with a tag head); `report` and `tags` (optional) get the reports.
nlohmann::json ScoreMetrics(const TrainingData& data, const TrackScores& s,
                            const std::vector<std::string>& names,
                            nn::ClassificationReport* report = nullptr,
                            nn::TagReport* tags = nullptr);

// history.csv: one row per (run, epoch).
using HistoryRows = std::vector<std::pair<std::string, EpochMetrics>>;
std::string HistoryCsv(const HistoryRows& rows);

// DIR/learning_curves.svg of one run's history.
core::Status WriteCurves(const std::string& dir, const std::string& title,
                         const std::vector<EpochMetrics>& history);

// cv_predictions.csv: the header (with a column per tag when `tag_names`
// is not empty) and one row per test track of a fold.
std::string PredictionsCsvHeader(const std::vector<std::string>& tag_names);
void AppendPredictionRows(const std::string& arch, int fold,
                          const TrainingData& data, const TrackScores& s,
                          std::string* csv);

// "path/NAME" for a file of the report folder.
std::string ReportFile(const std::string& dir, const std::string& name);

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_TRAIN_REPORTS_H_
