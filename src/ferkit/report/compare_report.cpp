// `ferkit compare RUN... --out FILE.html`: runs side by side, the page that answers "which recipe
// is stable": validation curves overlaid, and a table of final and stability figures.
#include <cmath>
#include <filesystem>
#include <unistd.h>

#include <fmt/format.h>

#include "ferkit/report/html.h"
#include "ferkit/report/html_page.h"
#include "ferkit/report/plots.h"
#include "ferkit/report/run_files.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"

namespace ferkit {
namespace fs = std::filesystem;

namespace {

// Validation accuracy, balanced accuracy and loss of every run, overlaid (EMA dashed).
void draw_compare_curves(const std::vector<RunFiles>& runs, const std::vector<std::string>& labels, const std::string& png) {
  const auto& p = plots::palette();
  plots::LineChart acc{"validation accuracy (%)", "epoch", "%", {}}, bal{"validation balanced accuracy (%)", "epoch", "%", {}},
      loss{"validation loss", "epoch", "loss", {}};
  for (size_t i = 0; i < runs.size(); ++i) {
    const std::vector<EpochRecord>& t = runs[i].metrics;
    const auto epochs = column(t, [](const EpochRecord& e) { return static_cast<double>(e.epoch); });
    const auto val = [&](double ValFigures::*f, double scale) {
      return column(t, [f, scale](const EpochRecord& e) { return scale * (e.val.*f); });
    };
    const auto ema = [&](double ValFigures::*f, double scale) {
      return ema_column(t, [f, scale](const ValFigures& v) { return scale * (v.*f); });
    };
    const std::string colour = p[i % p.size()];
    const bool with_ema = has_ema(t);
    acc.lines.push_back({labels[i], epochs, val(&ValFigures::accuracy, 100), colour, false});
    if (with_ema) acc.lines.push_back({labels[i] + " EMA", epochs, ema(&ValFigures::accuracy, 100), colour, true});
    bal.lines.push_back({labels[i], epochs, val(&ValFigures::balanced_accuracy, 100), colour, false});
    if (with_ema) bal.lines.push_back({labels[i] + " EMA", epochs, ema(&ValFigures::balanced_accuracy, 100), colour, true});
    loss.lines.push_back({labels[i], epochs, val(&ValFigures::loss, 1), colour, false});
    if (with_ema) loss.lines.push_back({labels[i] + " EMA", epochs, ema(&ValFigures::loss, 1), colour, true});
  }
  plots::line_charts(png, {acc, bal, loss}, 1500, 480);

}

// One row of figures per run; the headlines come back for the noise-floor note.
std::vector<std::vector<std::string>> figure_rows(const std::vector<RunFiles>& runs, const std::vector<std::string>& labels,
                                                  std::vector<RunHeadline>& heads) {
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunHeadline h = summarize_run(runs[i]);
    heads.push_back(h);
    auto stab = [](const Stability& s) {
      return s.epochs ? fmt::format("{:.2f} / {:.2f}", 100 * s.stddev, 100 * s.largest_drop) : std::string("&ndash;");
    };
    rows.push_back({html::escape(labels[i]), html::escape(h.recipe), html::escape(h.backbone), html::escape(h.status),
                    std::to_string(h.epochs_done),
                    html::percent(h.accuracy) + (std::isfinite(h.accuracy_low) ? " " + html::interval(h.accuracy_low, h.accuracy_high) : ""),
                    html::percent(h.balanced_accuracy), html::percent(h.macro_f1), html::percent(h.recall[5], 0),
                    html::percent(h.recall[7], 0), stab(h.raw), h.has_ema ? stab(h.ema) : "&ndash;",
                    std::isfinite(h.seconds) ? fmt::format("{:.0f}", h.seconds) : "&ndash;"});
  }
  return rows;
}

}  // namespace

std::string write_compare_report(const std::vector<std::string>& run_dirs, const std::string& out_path) {
  FERKIT_CHECK(!run_dirs.empty(), "compare: give at least one run folder");
  FERKIT_CHECK(!out_path.empty(), "compare: --out FILE.html is required");
  std::vector<std::string> inputs;
  for (const auto& d : run_dirs)
    for (const auto& f : RunFolder(d).read_files()) inputs.push_back(f);
  check_output_file(out_path, inputs, "--out");
  std::vector<RunFiles> runs;
  for (const auto& d : run_dirs) runs.push_back(read_run(d));
  // Two runs may share a folder name (a/run, b/run): then label them by their paths.
  std::vector<std::string> labels;
  for (const auto& r : runs) {
    int same = 0;
    for (const auto& o : runs) same += o.name == r.name;
    labels.push_back(same > 1 ? r.dir : r.name);
  }

  const fs::path tmp_dir = fs::temp_directory_path() / fmt::format("ferkit-compare-{}", ::getpid());
  fs::create_directories(tmp_dir);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{tmp_dir};

  const fs::path curves = tmp_dir / "compare_curves.png";
  draw_compare_curves(runs, labels, curves.string());
  std::vector<RunHeadline> heads;
  const auto rows = figure_rows(runs, labels, heads);
  std::string body = "<h1>ferkit: " + std::to_string(runs.size()) + " runs compared</h1>\n";
  std::vector<std::string> problems;
  for (size_t i = 0; i < runs.size(); ++i)
    for (const auto& pr : runs[i].problems) problems.push_back(labels[i] + ": " + pr);
  if (!problems.empty()) {
    body += "<div class=\"missing\" id=\"problems\"><b>Missing or damaged:</b><ul>";
    for (const auto& pr : problems) body += "<li>" + html::escape(pr) + "</li>";
    body += "</ul></div>\n";
  }
  body += "<h2 id=\"figures\">Figures</h2>\n";
  body += html::table({"run", "recipe", "backbone", "status", "epochs", "val accuracy [95% CI]", "balanced", "macro-F1", "disgust",
                       "contempt", "stability raw: sd / drop", "stability EMA: sd / drop", "seconds"},
                      rows);
  body += "<p class=\"note\">Final figures are those of each run's best weights (summary.json), or of its last epoch when "
          "it has not finished. Stability: over the last 10 epochs of validation accuracy, the standard deviation and the "
          "largest epoch-to-epoch drop, in points.</p>\n";
  // The noise floor: the smallest difference in accuracy this validation split resolves.
  for (const auto& h : heads)
    if (h.final && h.val_count > 0 && std::isfinite(h.accuracy)) {
      const double se = std::sqrt(h.accuracy * (1 - h.accuracy) / h.val_count);
      body += fmt::format("<p class=\"note\">Noise floor: at {} validation images and {:.1f}% accuracy, the standard error of one "
                          "run's accuracy is {:.2f} points; two independent runs must differ by about {:.1f} points to be told "
                          "apart at 95% (1.96 &middot; &radic;2 &middot; SE).</p>\n",
                          h.val_count, 100 * h.accuracy, 100 * se, 100 * 1.96 * std::sqrt(2.0) * se);
      break;
    }
  body += "<h2 id=\"curves\">Validation curves</h2>\n" + html::inline_png(curves.string(), "validation curves") +
          "\n<p class=\"note\">Solid: raw weights; dashed: EMA weights.</p>\n";
  atomic_write_text(out_path, html::page("ferkit compare", body));
  return out_path;
}

}  // namespace ferkit
