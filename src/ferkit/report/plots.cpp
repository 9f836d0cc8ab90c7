// MathGL does the drawing (axes, ticks, text, anti-aliased PNG); ferkit decides the layout. Cells
// and bars are drawn as faces rather than with MathGL's Tile/Bars so that each has an exact
// position and colour (Tile interpolates; Bars has no per-bar intervals).
#include "ferkit/report/plots.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <mgl2/mgl.h>

#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"

namespace ferkit::plots {
namespace {

// MathGL reads TeX-like markup in text ('_' subscript, '^' superscript, braces, backslash).
std::string plain(const std::string& text) {
  std::string out;
  for (char ch : text) out += (ch == '_' || ch == '^' || ch == '{' || ch == '}' || ch == '\\') ? ' ' : ch;
  return out;
}

// "#1f77b4" -> "{x1F77B4}" (MathGL's colour syntax) with an optional line style suffix.
std::string pen(const std::string& colour, const std::string& suffix = "") {
  std::string hex = colour.size() == 7 && colour[0] == '#' ? colour.substr(1) : "000000";
  for (auto& ch : hex) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return "{x" + hex + "}" + suffix;
}

mglData to_data(const std::vector<double>& v) {
  mglData d(static_cast<long>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) d.a[i] = v[i];
  return d;
}

void ticks(mglGraph& gr, char axis, const std::vector<double>& at, const std::vector<std::string>& labels) {
  std::string joined;
  for (size_t i = 0; i < labels.size(); ++i) joined += (i ? "\n" : "") + plain(labels[i]);
  gr.SetTicksVal(axis, to_data(at), joined.c_str());
}

void write_png(mglGraph& gr, const std::string& png) {
  atomic_write(png, [&](const std::string& tmp) {
    gr.WritePNG(tmp.c_str(), "", false);
    std::error_code ec;
    if (!std::filesystem::exists(tmp, ec) || std::filesystem::file_size(tmp, ec) == 0)
      throw Error("cannot write chart " + png + (gr.Message() ? std::string(": ") + gr.Message() : ""));
  });
}

// Range of the finite values of a chart's lines, padded by 5 %.
std::pair<double, double> y_range(const LineChart& c) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& l : c.lines)
    for (double v : l.y)
      if (std::isfinite(v) && (!c.log_y || v > 0)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (!std::isnan(c.ymin)) lo = c.ymin;
  if (!std::isnan(c.ymax)) hi = c.ymax;
  if (c.log_y) {
    if (hi <= lo) hi = lo * 10;
    return {lo / 1.5, hi * 1.5};
  }
  if (hi - lo < 1e-9) lo -= 0.5, hi += 0.5;
  const double pad = 0.05 * (hi - lo);
  return {std::isnan(c.ymin) ? lo - pad : lo, std::isnan(c.ymax) ? hi + pad : hi};
}

}  // namespace

const std::vector<std::string>& palette() {
  static const std::vector<std::string> p = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                             "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
  return p;
}

void line_charts(const std::string& png, const std::vector<LineChart>& panels, int width, int height) {
  FERKIT_CHECK(!panels.empty(), "line chart " + png + ": no panels");
  mglGraph gr(0, width, height);
  gr.SetFontSize(3.2);
  for (size_t i = 0; i < panels.size(); ++i) {
    const LineChart& c = panels[i];
    gr.SubPlot(static_cast<int>(panels.size()), 1, static_cast<int>(i), "<_^");
    gr.Title(plain(c.title).c_str(), "", -1.2);
    double x_lo = INFINITY, x_hi = -INFINITY;
    for (const auto& l : c.lines)
      for (double v : l.x) x_lo = std::min(x_lo, v), x_hi = std::max(x_hi, v);
    if (!std::isfinite(x_lo)) x_lo = 0, x_hi = 1;
    if (x_hi - x_lo < 1e-9) x_lo -= 0.5, x_hi += 0.5;
    const auto [y_lo, y_hi] = y_range(c);
    gr.SetFunc("", c.log_y ? "lg(y)" : "");
    gr.SetRanges(x_lo, x_hi, y_lo, y_hi);
    gr.SetTicks('x');
    gr.SetTicks('y');
    gr.Grid("xy", "{xDDDDDD}");
    gr.Box("k", false);
    gr.Axis();
    gr.Label('x', plain(c.xlabel).c_str(), 0);
    gr.Label('y', plain(c.ylabel).c_str(), 0);
    gr.ClearLegend();
    bool upper = false, legend = false;  // where the lines end decides where the legend goes
    for (size_t k = 0; k < c.lines.size(); ++k) {
      const Line& l = c.lines[k];
      if (l.x.empty()) continue;
      std::vector<double> x, y;
      for (size_t j = 0; j < l.x.size() && j < l.y.size(); ++j)
        if (std::isfinite(l.y[j]) && (!c.log_y || l.y[j] > 0)) x.push_back(l.x[j]), y.push_back(l.y[j]);
      if (x.empty()) continue;
      const std::string colour = l.colour.empty() ? palette()[k % palette().size()] : l.colour;
      const std::string style = pen(colour, std::string(l.dashed ? ";" : "-") + "2" + (x.size() <= 40 ? "o" : ""));
      gr.Plot(to_data(x), to_data(y), style.c_str());
      if (!l.label.empty()) {
        gr.AddLegend(plain(l.label).c_str(), pen(colour, std::string(l.dashed ? ";" : "-") + "2").c_str());
        legend = true;
      }
      const double frac = c.log_y ? (std::log(y.back()) - std::log(y_lo)) / (std::log(y_hi) - std::log(y_lo))
                                  : (y.back() - y_lo) / (y_hi - y_lo);
      if (frac > 0.5) upper = true;
    }
    if (legend) gr.Legend(upper ? 1 : 3, "#", "size -0.8");
  }
  gr.SetFunc("", "");
  write_png(gr, png);
}

void confusion_heatmap(const std::string& png, const Confusion& counts, const std::vector<std::string>& class_names,
                       const std::string& title) {
  const int n = kNumEmotions;
  mglGraph gr(0, 820, 760);
  gr.SetFontSize(2.6);
  gr.SubPlot(1, 1, 0, "<_^");
  gr.Title(plain(title).c_str(), "", -1.1);
  gr.SetRanges(-0.5, n - 0.5, -0.5, n - 0.5);
  std::vector<double> at;
  std::vector<std::string> rows;
  for (int i = 0; i < n; ++i) at.push_back(i);
  for (int i = n - 1; i >= 0; --i) rows.push_back(class_names[i]);  // true classes top to bottom
  ticks(gr, 'x', at, class_names);
  ticks(gr, 'y', at, rows);
  for (int t = 0; t < n; ++t) {
    int64_t support = 0;
    for (int p = 0; p < n; ++p) support += counts[t][p];
    for (int p = 0; p < n; ++p) {
      const double v = support ? static_cast<double>(counts[t][p]) / support : 0.0;
      // White to dark blue (#08306b), the colour the row share.
      const int r = static_cast<int>(std::lround(255 + v * (8 - 255))), g = static_cast<int>(std::lround(255 + v * (48 - 255))),
                b = static_cast<int>(std::lround(255 + v * (107 - 255)));
      const double y = n - 1 - t;
      gr.Face(mglPoint(p - 0.5, y - 0.5), mglPoint(p + 0.5, y - 0.5), mglPoint(p - 0.5, y + 0.5), mglPoint(p + 0.5, y + 0.5),
              fmt::format("{{x{:02X}{:02X}{:02X}}}", r, g, b).c_str());
      const std::string text = fmt::format("{}", counts[t][p]);
      gr.Puts(mglPoint(p, y + 0.12), text.c_str(), v > 0.5 ? "w:C" : "k:C", -1.1);
      if (support) gr.Puts(mglPoint(p, y - 0.2), fmt::format("{:.0f}%", 100 * v).c_str(), v > 0.5 ? "w:C" : "H:C", -0.8);
    }
  }
  gr.Box("k", false);
  gr.Axis("xy");
  write_png(gr, png);
}

void bar_chart(const std::string& png, const std::string& title, const std::string& ylabel,
               const std::vector<std::string>& categories, const std::vector<BarSeries>& series, bool percent,
               int width, int height) {
  const int k = static_cast<int>(categories.size()), s = static_cast<int>(series.size());
  FERKIT_CHECK(k > 0 && s > 0, "bar chart " + png + ": nothing to draw");
  double hi = 0;
  for (const auto& se : series) {
    for (double v : se.values) hi = std::max(hi, v);
    for (const auto& iv : se.intervals) hi = std::max(hi, iv.high);
  }
  if (hi <= 0) hi = 1;
  const double scale = percent ? 100.0 : 1.0;
  hi *= scale;
  mglGraph gr(0, width, height);
  gr.SetFontSize(3.2);
  gr.SubPlot(1, 1, 0, "<_^");
  gr.Title(plain(title).c_str(), "", -1.2);
  gr.SetRanges(-0.5, k - 0.5, 0, hi * 1.18);
  std::vector<double> at;
  for (int i = 0; i < k; ++i) at.push_back(i);
  ticks(gr, 'x', at, categories);
  gr.SetTicks('y');
  gr.Grid("y", "{xDDDDDD}");
  const double group = 0.8, bar = group / s;
  gr.ClearLegend();
  for (int j = 0; j < s; ++j) {
    const BarSeries& se = series[j];
    const std::string colour = se.colour.empty() ? palette()[j % palette().size()] : se.colour;
    for (int i = 0; i < k && i < static_cast<int>(se.values.size()); ++i) {
      const double x0 = i - group / 2 + j * bar, x1 = x0 + bar * 0.92, v = scale * se.values[i];
      gr.Face(mglPoint(x0, 0), mglPoint(x1, 0), mglPoint(x0, v), mglPoint(x1, v), pen(colour).c_str());
      double top = v;
      if (i < static_cast<int>(se.intervals.size())) {
        const double xm = (x0 + x1) / 2, w = bar * 0.2;
        const Interval iv{scale * se.intervals[i].low, scale * se.intervals[i].high};
        gr.Line(mglPoint(xm, iv.low), mglPoint(xm, iv.high), "k1");
        gr.Line(mglPoint(xm - w, iv.low), mglPoint(xm + w, iv.low), "k1");
        gr.Line(mglPoint(xm - w, iv.high), mglPoint(xm + w, iv.high), "k1");
        top = std::max(top, iv.high);
      }
      const std::string text = fmt::format("{:.0f}", v);
      gr.Puts(mglPoint((x0 + x1) / 2, top + hi * 0.035), text.c_str(), "k:C", s > 2 ? -0.6 : -0.8);
    }
    if (!se.label.empty()) gr.AddLegend(plain(se.label).c_str(), pen(colour, "-4").c_str());
  }
  gr.Box("k", false);
  gr.Axis();
  gr.Label('y', plain(ylabel).c_str(), 0);
  if (s > 1 || !series[0].label.empty()) gr.Legend(3, "#", "size -0.8");
  write_png(gr, png);
}

void reliability_diagram(const std::string& png, const std::vector<ReliabilityBin>& bins, double ece) {
  mglGraph gr(0, 620, 560);
  gr.SetFontSize(3.2);
  gr.SubPlot(1, 1, 0, "<_^");
  gr.Title(fmt::format("reliability (ECE {:.1f}%)", 100 * ece).c_str(), "", -1.2);
  gr.SetRanges(0, 1, 0, 1);
  gr.Grid("xy", "{xDDDDDD}");
  for (const auto& b : bins) {
    if (b.count == 0) continue;
    const double x0 = b.low + 0.004, x1 = b.high - 0.004;
    gr.Face(mglPoint(x0, 0), mglPoint(x1, 0), mglPoint(x0, b.accuracy), mglPoint(x1, b.accuracy), "{x6BAED6}");
    gr.Line(mglPoint(b.mean_confidence, 0), mglPoint(b.mean_confidence, b.mean_confidence), "{xD62728}1");
  }
  gr.Line(mglPoint(0, 0), mglPoint(1, 1), "k;1");
  gr.ClearLegend();
  gr.AddLegend("accuracy of the bin", "{x6BAED6}-4");
  gr.AddLegend("mean confidence", "{xD62728}-1");
  gr.AddLegend("perfect calibration", "k;1");
  gr.Legend(2, "#", "size -0.8");
  gr.Box("k", false);
  gr.Axis();
  gr.Label('x', "confidence (top probability)", 0);
  gr.Label('y', "accuracy", 0);
  write_png(gr, png);
}

}  // namespace ferkit::plots
