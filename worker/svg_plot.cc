#include "worker/svg_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

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

std::string LearningCurvesSvg(const std::string& title,
                              const std::vector<Curve>& curves) {
  constexpr double W = 720, H = 420, L = 70, R = 70, T = 40, B = 50;
  size_t n = 0;
  double lo = INFINITY, hi = -INFINITY;
  for (const Curve& c : curves) {
    n = std::max(n, c.y.size());
    if (c.right_axis) continue;
    for (double v : c.y) {
      if (std::isnan(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (!(lo <= hi)) lo = 0, hi = 1;
  if (hi - lo < 1e-9) hi = lo + 1;
  lo = std::min(0.0, lo);
  const double pw = W - L - R, ph = H - T - B;
  auto x_of = [&](size_t i) { return L + (n > 1 ? pw * i / (n - 1) : pw / 2); };
  auto y_left = [&](double v) { return T + ph * (1 - (v - lo) / (hi - lo)); };
  auto y_right = [&](double v) { return T + ph * (1 - v); };
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" "
      "height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"22\" "
      "font-size=\"15\" "
      "text-anchor=\"middle\">{}</text>\n",
      W, H, W / 2, Escape(title));
  s += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" "
      "stroke=\"#444\"/>\n",
      L, T, pw, ph);
  for (int k = 0; k <= 5; ++k) {
    const double v = lo + (hi - lo) * k / 5, y = y_left(v);
    s += fmt::format(
        "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" "
        "stroke=\"#ddd\"/>\n",
        L, y, L + pw, y);
    s += fmt::format(
        "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.3g}</text>\n",
        L - 6, y + 4, v);
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\">{:.1f}</text>\n", L + pw + 6,
                     y_right(k / 5.0) + 4, k / 5.0);
  }
  const size_t tick = std::max<size_t>(1, n / 10);
  for (size_t i = 0; i < n; i += tick) {
    s += fmt::format(
        "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
        x_of(i), T + ph + 18, i + 1);
  }
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">epoch</text>\n",
      L + pw / 2, H - 10);
  s += fmt::format(
      "<text x=\"16\" y=\"{}\" transform=\"rotate(-90 16 {})\" "
      "text-anchor=\"middle\">loss</text>\n",
      T + ph / 2, T + ph / 2);
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" transform=\"rotate(90 {} {})\" "
      "text-anchor=\"middle\">macro-F1 / accuracy</text>\n",
      W - 16, T + ph / 2, W - 16, T + ph / 2);
  int legend = 0;
  for (const Curve& c : curves) {
    std::string pts;
    for (size_t i = 0; i < c.y.size(); ++i) {
      if (std::isnan(c.y[i])) continue;
      const double y = c.right_axis ? y_right(c.y[i]) : y_left(c.y[i]);
      pts += fmt::format("{:.1f},{:.1f} ", x_of(i), y);
    }
    if (pts.empty()) continue;
    s += fmt::format(
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" "
        "stroke-width=\"2\"/>\n",
        pts, c.color);
    const double ly = T + 14 + 16 * legend++;
    s += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
        "stroke-width=\"2\"/>\n",
        L + 10, ly - 4, L + 30, ly - 4, c.color);
    s += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", L + 36, ly,
                     Escape(c.name));
  }
  s += "</svg>\n";
  return s;
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

core::Status WriteTextFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return core::Status::IOError(tmp, "cannot create the file");
    out << text;
    if (!out.flush()) return core::Status::IOError(tmp, "write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return core::Status::IOError(path, ec.message());
  return core::Status::Ok();
}

}  // namespace mer::worker
