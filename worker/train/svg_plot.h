// Plain SVG plots a person can open in a browser (no plotting dependency):
// learning curves (train loss, validation loss and macro-F1 per epoch) and a
// confusion-matrix heat map with counts. Torch-free.
//
// Thread-safety: pure functions.
#ifndef MER_WORKER_TRAIN_SVG_PLOT_H_
#define MER_WORKER_TRAIN_SVG_PLOT_H_

#include <cstdint>
#include <string>
#include <vector>


namespace mer::worker {

struct Curve {
  std::string name;
  std::vector<double> y;    // one value per epoch (NaN: missing)
  std::string color;        // CSS colour
  bool right_axis = false;  // plotted against the [0, 1] axis on the right
};

// Line chart over epochs 1..n: left axis auto-scaled for the curves without
// right_axis, right axis [0, 1] for the others.
std::string LearningCurvesSvg(const std::string& title,
                              const std::vector<Curve>& curves);

// Heat map of confusion[t][p] with the count in each cell.
std::string ConfusionSvg(const std::string& title,
                         const std::vector<std::vector<int64_t>>& confusion,
                         const std::vector<std::string>& labels);

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_SVG_PLOT_H_
