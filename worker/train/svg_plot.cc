#include "worker/train/svg_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace mer::worker {

namespace {

std::string Escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else
      o += c;
  }
  return o;
}

}  // namespace

namespace {

// The learning-curve chart's geometry: epochs on x, the left axis scaled to
// the curves without right_axis, the right axis [0, 1].
struct Chart {
  static constexpr double W = 720, H = 420, L = 70, R = 70, T = 40, B = 50;
  static constexpr double pw = W - L - R, ph = H - T - B;
  size_t n = 0;            // epochs
  double lo = 0, hi = 1;   // left axis range
  double x(size_t i) const { return L + (n > 1 ? pw * i / (n - 1) : pw / 2); }
  double y_left(double v) const { return T + ph * (1 - (v - lo) / (hi - lo)); }
  double y_right(double v) const { return T + ph * (1 - v); }
};

Chart ChartOf(const std::vector<Curve>& curves) {
  Chart c;
  double lo = INFINITY, hi = -INFINITY;
  for (const Curve& curve : curves) {
    c.n = std::max(c.n, curve.y.size());
    if (curve.right_axis) continue;
    for (double v : curve.y) {
      if (std::isnan(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (!(lo <= hi)) lo = 0, hi = 1;
  if (hi - lo < 1e-9) hi = lo + 1;
  c.lo = std::min(0.0, lo);
  c.hi = hi;
  return c;
}

// Frame, grid, tick labels and axis titles.
std::string AxesSvg(const Chart& c) {
  using C = Chart;
  std::string s = fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" "
      "stroke=\"#444\"/>\n",
      C::L, C::T, C::pw, C::ph);
  for (int k = 0; k <= 5; ++k) {
    const double v = c.lo + (c.hi - c.lo) * k / 5, y = c.y_left(v);
    s += fmt::format(
        "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" "
        "stroke=\"#ddd\"/>\n",
        C::L, y, C::L + C::pw, y);
    s += fmt::format(
        "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.3g}</text>\n",
        C::L - 6, y + 4, v);
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\">{:.1f}</text>\n",
                     C::L + C::pw + 6, c.y_right(k / 5.0) + 4, k / 5.0);
  }
  const size_t tick = std::max<size_t>(1, c.n / 10);
  for (size_t i = 0; i < c.n; i += tick) {
    s += fmt::format(
        "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
        c.x(i), C::T + C::ph + 18, i + 1);
  }
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">epoch</text>\n",
      C::L + C::pw / 2, C::H - 10);
  s += fmt::format(
      "<text x=\"16\" y=\"{}\" transform=\"rotate(-90 16 {})\" "
      "text-anchor=\"middle\">loss</text>\n",
      C::T + C::ph / 2, C::T + C::ph / 2);
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" transform=\"rotate(90 {} {})\" "
      "text-anchor=\"middle\">macro-F1 / accuracy</text>\n",
      C::W - 16, C::T + C::ph / 2, C::W - 16, C::T + C::ph / 2);
  return s;
}

// One polyline per curve with a value, and its legend entry.
std::string CurvesSvg(const Chart& c, const std::vector<Curve>& curves) {
  std::string s;
  int legend = 0;
  for (const Curve& curve : curves) {
    std::string pts;
    for (size_t i = 0; i < curve.y.size(); ++i) {
      if (std::isnan(curve.y[i])) continue;
      const double y =
          curve.right_axis ? c.y_right(curve.y[i]) : c.y_left(curve.y[i]);
      pts += fmt::format("{:.1f},{:.1f} ", c.x(i), y);
    }
    if (pts.empty()) continue;
    s += fmt::format(
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" "
        "stroke-width=\"2\"/>\n",
        pts, curve.color);
    const double ly = Chart::T + 14 + 16 * legend++;
    s += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
        "stroke-width=\"2\"/>\n",
        Chart::L + 10, ly - 4, Chart::L + 30, ly - 4, curve.color);
    s += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", Chart::L + 36, ly,
                     Escape(curve.name));
  }
  return s;
}

}  // namespace

std::string LearningCurvesSvg(const std::string& title,
                              const std::vector<Curve>& curves) {
  const Chart chart = ChartOf(curves);
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" "
      "height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"22\" "
      "font-size=\"15\" "
      "text-anchor=\"middle\">{}</text>\n",
      Chart::W, Chart::H, Chart::W / 2, Escape(title));
  return s + AxesSvg(chart) + CurvesSvg(chart, curves) + "</svg>\n";
}

std::string ConfusionSvg(const std::string& title,
                         const std::vector<std::vector<int64_t>>& confusion,
                         const std::vector<std::string>& labels) {
  const int k = static_cast<int>(confusion.size());
  constexpr double cell = 70, L = 110, T = 70;
  const double W = L + cell * k + 30, H = T + cell * k + 50;
  int64_t max = 1;
  for (const auto& row : confusion)
    for (int64_t v : row) max = std::max(max, v);
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"13\">\n<rect width=\"100%\" "
      "height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"22\" "
      "font-size=\"15\" "
      "text-anchor=\"middle\">{}</text>\n",
      W, H, W / 2, Escape(title));
  s += fmt::format(
      "<text x=\"{}\" y=\"48\" text-anchor=\"middle\">predicted</text>\n",
      L + cell * k / 2);
  s += fmt::format(
      "<text x=\"18\" y=\"{}\" transform=\"rotate(-90 18 {})\" "
      "text-anchor=\"middle\">true</text>\n",
      T + cell * k / 2, T + cell * k / 2);
  for (int t = 0; t < k; ++t) {
    const std::string name =
        t < static_cast<int>(labels.size()) ? labels[t] : std::to_string(t);
    s += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
        L + cell * t + cell / 2, T - 6, Escape(name));
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                     L - 8, T + cell * t + cell / 2 + 4, Escape(name));
    for (int p = 0; p < k; ++p) {
      const double f = static_cast<double>(confusion[t][p]) / max;
      const int shade = static_cast<int>(255 - 200 * f);
      s += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
          "fill=\"rgb({},{},255)\" stroke=\"#888\"/>\n",
          L + cell * p, T + cell * t, cell, cell, shade, shade);
      s += fmt::format(
          "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" "
          "fill=\"{}\">{}</text>\n",
          L + cell * p + cell / 2, T + cell * t + cell / 2 + 5,
          f > 0.6 ? "white" : "black", confusion[t][p]);
    }
  }
  s += "</svg>\n";
  return s;
}

}  // namespace mer::worker
