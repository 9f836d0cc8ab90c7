// The charts of the reports, drawn with MathGL (Debian libmgl-dev) straight to PNG, without a
// display. Each function writes its file atomically and throws Error when it cannot.
#pragma once
#include <limits>
#include <string>
#include <vector>

#include "ferkit/eval/metrics.h"

namespace ferkit::plots {

struct Line {
  std::string label;
  std::vector<double> x, y;
  std::string colour;       // "#rrggbb"; empty: the palette's next colour
  bool dashed = false;
};

struct LineChart {
  std::string title, xlabel, ylabel;
  std::vector<Line> lines;
  double ymin = std::numeric_limits<double>::quiet_NaN();  // NaN: from the data
  double ymax = std::numeric_limits<double>::quiet_NaN();
  bool log_y = false;
};

// Charts side by side in one image (training curves: loss, accuracy, learning rate).
void line_charts(const std::string& png, const std::vector<LineChart>& panels, int width = 1500, int height = 460);

// Heatmap of the row-normalised confusion matrix with the counts written in the cells.
void confusion_heatmap(const std::string& png, const Confusion& counts, const std::vector<std::string>& class_names,
                       const std::string& title);

struct BarSeries {
  std::string label;
  std::vector<double> values;
  std::vector<Interval> intervals;  // empty: no error bars
  std::string colour;
};

// Grouped bars, one group per category, one bar per series; values written above the bars
// with `value_format` ("{:.0f}", "{:.0%}"-like handled by the caller: percent = true multiplies by 100).
void bar_chart(const std::string& png, const std::string& title, const std::string& ylabel,
               const std::vector<std::string>& categories, const std::vector<BarSeries>& series, bool percent,
               int width = 1000, int height = 460);

// Accuracy against mean confidence per bin, with the diagonal of perfect calibration.
void reliability_diagram(const std::string& png, const std::vector<ReliabilityBin>& bins, double ece);

// "#1f77b4"-style colours of the palette, in order.
const std::vector<std::string>& palette();

}  // namespace ferkit::plots
