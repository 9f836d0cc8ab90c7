// `ferkit report --run RUN`: one page with everything a run knows about itself. The charts are
// drawn from the run's own files (metrics.csv, summary.json, eval-*.json), so the report of a
// run can be redrawn at any time, also while it trains or after it was stopped.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "ferkit/report/audit_section.h"
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

std::vector<std::string> class_names() {
  std::vector<std::string> n;
  for (int c = 0; c < kNumEmotions; ++c) n.push_back(emotion_name(c));
  return n;
}

std::vector<double> epochs_of(const std::vector<EpochRecord>& t) {
  return column(t, [](const EpochRecord& e) { return static_cast<double>(e.epoch); });
}

plots::Line line(const std::vector<EpochRecord>& t, std::vector<double> values, const std::string& label, const std::string& colour,
                 bool dashed = false, double scale = 1.0) {
  plots::Line l{label, epochs_of(t), std::move(values), colour, dashed};
  for (auto& v : l.y) v *= scale;
  if (std::none_of(l.y.begin(), l.y.end(), [](double v) { return std::isfinite(v); })) l.x.clear(), l.y.clear();
  return l;
}

std::string now_text() {
  const std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  return buf;
}

// Training curves: loss, accuracy (raw, EMA, balanced), learning rate; and per-class recall.
std::string curves_section(const RunFiles& r, const RunFolder& folder) {
  const std::vector<EpochRecord>& t = r.metrics;
  std::string s = "<h2 id=\"curves\">Training curves</h2>\n";
  if (t.empty()) return s + "<p class=\"missing\">No epoch in metrics.csv yet: no curves to draw.</p>\n";
  const auto& p = plots::palette();
  plots::LineChart loss{"loss", "epoch", "loss", {}};
  const auto val = [&](double ValFigures::*f) { return column(t, [f](const EpochRecord& e) { return e.val.*f; }); };
  const auto ema = [&](double ValFigures::*f) { return ema_column(t, [f](const ValFigures& v) { return v.*f; }); };
  loss.lines = {line(t, column(t, [](const EpochRecord& e) { return e.train_loss; }), "train", p[0]),
                line(t, val(&ValFigures::loss), "validation", p[1]), line(t, ema(&ValFigures::loss), "validation, EMA weights", p[1], true)};
  plots::LineChart acc{"accuracy (%)", "epoch", "%", {}};
  acc.lines = {line(t, column(t, [](const EpochRecord& e) { return e.train_acc; }), "train", p[0], false, 100),
               line(t, val(&ValFigures::accuracy), "validation", p[1], false, 100),
               line(t, ema(&ValFigures::accuracy), "validation, EMA", p[1], true, 100),
               line(t, val(&ValFigures::balanced_accuracy), "balanced, validation", p[2], false, 100),
               line(t, ema(&ValFigures::balanced_accuracy), "balanced, EMA", p[2], true, 100)};
  plots::LineChart lr{"learning rate (end of epoch)", "epoch", "lr", {}};
  const auto lrs = column(t, [](const EpochRecord& e) { return e.lr; });
  lr.lines = {line(t, lrs, "", p[4])};
  lr.log_y = true;
  {  // a cosine schedule ends near 0: show three decades below the peak, not ten
    double peak = 0;
    for (double v : lrs) peak = std::isfinite(v) ? std::max(peak, v) : peak;
    if (peak > 0) lr.ymin = peak / 1000, lr.ymax = peak;
  }
  const fs::path curves = folder.plot("curves.png");
  plots::line_charts(curves.string(), {loss, acc, lr});
  s += html::inline_png(curves.string(), "training curves") + "\n";
  s += "<p class=\"note\">Dashed: the EMA of the weights, evaluated beside the raw weights every epoch. A validation "
       "curve that jumps by more than the differences you compare cannot rank them: see Stability.</p>\n";

  plots::LineChart recall{"validation recall per class (%)", "epoch", "%", {}};
  for (int c = 0; c < kNumEmotions; ++c)
    recall.lines.push_back(line(t, column(t, [c](const EpochRecord& e) { return e.val.recall[c]; }), emotion_name(c), p[c % p.size()],
                                false, 100));
  recall.ymin = 0;
  recall.ymax = 100;
  if (!recall.lines[5].y.empty()) {
    const fs::path png = folder.plot("recall_per_epoch.png");
    plots::line_charts(png.string(), {recall}, 1000, 460);
    s += html::inline_png(png.string(), "per-class recall per epoch") + "\n";
  }
  return s;
}

std::string stability_section(const RunHeadline& h) {
  std::string s = "<h2 id=\"stability\">Stability</h2>\n";
  if (h.raw.epochs == 0) return s + "<p class=\"missing\">No epochs yet.</p>\n";
  auto row = [](const std::string& name, const Stability& st) {
    return std::vector<std::string>{name, std::to_string(st.epochs), fmt::format("{:.2f}", 100 * st.stddev),
                                     fmt::format("{:.2f}", 100 * st.detrended_stddev), fmt::format("{:.2f}", 100 * st.largest_drop)};
  };
  std::vector<std::vector<std::string>> rows = {row("raw weights", h.raw)};
  if (h.has_ema) rows.push_back(row("EMA weights", h.ema));
  s += html::table({"validation accuracy", "epochs", "std. dev. (points)", "around the trend", "largest drop"}, rows);
  s += "<p class=\"note\">Over the last 10 epochs (fewer when the run is shorter). \"Around the trend\" is the "
       "standard deviation around the least-squares line: the epoch-to-epoch noise without the learning trend.</p>\n";
  return s;
}

// Whether the configuration set the post-hoc tau (a number) rather than a split choosing it (auto):
// summary.json says so since it has posthoc_tau_chosen; for older runs, config.yaml does.
bool tau_set_by_hand(const RunFiles& r) {
  if (!r.summary || r.summary->posthoc_curve_val.empty()) return false;  // no adjustment
  if (r.summary->posthoc_tau_chosen) return !*r.summary->posthoc_tau_chosen;
  const std::string configured = config_value(r, "posthoc_tau");
  return !configured.empty() && configured != "auto";
}

std::string headline_section(const RunFiles& r, const RunHeadline& h) {
  std::string s;
  const Metrics* b = r.summary ? &r.summary->best_val : nullptr;
  std::vector<std::vector<std::string>> rows;
  auto ci = [&](const Interval Metrics::*key, bool bootstrap) {
    return b && (!bootstrap || b->bootstrap_resamples > 0) ? html::interval((b->*key).low, (b->*key).high) : std::string();
  };
  rows.push_back({"accuracy", html::percent(h.accuracy), ci(&Metrics::accuracy_ci, false)});
  rows.push_back({"balanced accuracy", html::percent(h.balanced_accuracy), ci(&Metrics::balanced_accuracy_ci, true)});
  rows.push_back({"macro-F1", html::percent(h.macro_f1), ci(&Metrics::macro_f1_ci, true)});
  if (b) {
    rows.push_back({"top-2 accuracy", html::percent(b->top2_accuracy), ""});
    if (std::isfinite(b->multi_target_accuracy))
      rows.push_back({"FER+ multi-target accuracy", html::percent(b->multi_target_accuracy), ""});
    rows.push_back({"negative log-likelihood", fmt::format("{:.4f}", b->loss), ""});
    rows.push_back({"expected calibration error", html::percent(b->ece), ""});
  }
  s += "<h2 id=\"summary\">Summary</h2>\n";
  if (h.final) {
    const RunSummary& sm = *r.summary;
    double epoch_seconds = 0;  // over all sessions of a resumed run (summary.json's wall time is the last one's)
    for (const auto& e : r.metrics) epoch_seconds += std::isfinite(e.seconds) ? e.seconds : 0;
    // How the bundled epoch was chosen: on a split by a metric, or (select_on last) not chosen at all.
    const std::string metric = html::escape(sm.select_metric.empty() ? "accuracy" : sm.select_metric);
    const std::string unchosen = ": the validation figures below chose nothing";
    const std::string chosen = sm.select_on == "last" ? "the last epoch, decided before training" + unchosen
                               : sm.best_select       ? "by " + metric + ", chosen on " + html::escape(sm.select_on) + unchosen
                                                      : "by " + metric + ", chosen on the validation split: its figures are "
                                                                         "chosen on, judge them on another";
    const std::string tau = tau_set_by_hand(r) ? fmt::format("{:.1f} (set, chosen on nothing)", sm.posthoc_tau)
                                               : fmt::format("{:.1f}", sm.posthoc_tau);
    s += fmt::format("<p>Best weights: <b>{}</b> of epoch {} ({}), post-hoc logit adjustment tau {}, calibration temperature "
                     "{}. Validation split: {} images, majority labels. {} epochs, {:.0f} s in training epochs.</p>\n",
                     html::escape(sm.best_weights.empty() ? "?" : sm.best_weights), sm.best_epoch, chosen, tau,
                     fmt::format("{:.3f}", sm.temperature), h.val_count, h.epochs_done,
                     epoch_seconds > 0 ? epoch_seconds : h.seconds);
  } else {
    s += "<p class=\"warn\">The run has not finished: the figures are those of the last epoch in metrics.csv (EMA "
         "weights when present), without intervals.</p>\n";
  }
  s += html::table({"validation", "value", "95% interval"}, rows);
  s += "<p class=\"note\">Intervals: Wilson score for accuracy and recall; percentile bootstrap (images resampled) for "
       "balanced accuracy and macro-F1. Two runs whose accuracy differs by less than about 1.4 times the half-width of "
       "the interval cannot be told apart on this split.</p>\n";
  return s;
}

std::string classes_section(const RunFiles& r, const RunFolder& folder) {
  if (!r.summary) return "";
  const Metrics& b = r.summary->best_val;
  std::string s = "<h2 id=\"classes\">Per class</h2>\n";
  std::vector<std::vector<std::string>> rows;
  plots::BarSeries recall{"recall", {}, {}, plots::palette()[0]};
  for (int c = 0; c < kNumEmotions; ++c) {
    const int64_t support = b.support[c];
    const double rc = b.recall[c];
    const Interval iv = b.recall_ci[c];  // NaN in summaries of older runs, which carry no intervals
    if (std::isfinite(iv.low)) recall.intervals.push_back(iv);
    recall.values.push_back(rc);
    rows.push_back({emotion_name(c), html::percent(b.precision[c], 1), html::percent(rc, 1),
                    html::interval(iv.low, iv.high), html::percent(b.f1[c], 1), std::to_string(support),
                    support ? fmt::format("{:.1f}", 100.0 / support) : "&ndash;"});
  }
  s += html::table({"class", "precision", "recall", "recall 95% CI", "F1", "support", "1 image = points of recall"}, rows);
  const fs::path png = folder.plot("recall.png");
  plots::bar_chart(png.string(), "validation recall per class, with 95% Wilson intervals", "recall (%)", class_names(),
                   {recall}, true);
  s += html::inline_png(png.string(), "per-class recall with intervals") + "\n";

  const Confusion& confusion = b.confusion;
  s += "<h2 id=\"confusion\">Confusion matrix</h2>\n";
  const fs::path cm = folder.plot("confusion.png");
  plots::confusion_heatmap(cm.string(), confusion, class_names(), "rows: true class, columns: predicted; colour: share of the row");
  s += html::inline_png(cm.string(), "confusion matrix") + "\n";
  std::vector<std::vector<std::string>> cm_rows;
  for (int t = 0; t < kNumEmotions; ++t) {
    std::vector<std::string> row{emotion_name(t)};
    for (int p = 0; p < kNumEmotions; ++p) row.push_back(std::to_string(confusion[t][p]));
    cm_rows.push_back(row);
  }
  std::vector<std::string> header{"true \\ predicted"};
  for (const auto& n : class_names()) header.push_back(n);
  s += html::table(header, cm_rows);

  if (!b.reliability.empty()) {
    const std::vector<ReliabilityBin>& bins = b.reliability;
    const fs::path rel = folder.plot("reliability.png");
    plots::reliability_diagram(rel.string(), bins, b.ece);
    s += "<h2 id=\"calibration\">Calibration</h2>\n" + html::inline_png(rel.string(), "reliability diagram") +
         "\n<p class=\"note\">Bars below the diagonal: the model is over-confident at that confidence.</p>\n";
  }
  return s;
}

std::string distribution_section(const RunFiles& r, const RunFolder& folder) {
  std::string s = "<h2 id=\"distribution\">Class distribution</h2>\n";
  if (!r.summary || r.summary->class_counts.empty())
    return s + "<p class=\"missing\">summary.json holds no class counts (an unfinished run, or one from an older "
               "ferkit): see <code>ferkit data stats</code>.</p>\n";
  std::vector<plots::BarSeries> series;
  std::vector<std::vector<std::string>> rows(kNumEmotions);
  std::vector<std::string> header{"class"};
  for (int c = 0; c < kNumEmotions; ++c) rows[c].push_back(emotion_name(c));
  for (const auto& [split, counts] : r.summary->class_counts) {
    plots::BarSeries se{split, {}, {}, ""};
    double total = 0;
    for (int c = 0; c < kNumEmotions && c < static_cast<int>(counts.size()); ++c) total += static_cast<double>(counts[c]);
    for (int c = 0; c < kNumEmotions; ++c) {
      const int64_t n = c < static_cast<int>(counts.size()) ? counts[c] : 0;
      se.values.push_back(total > 0 ? n / total : 0.0);
      rows[c].push_back(fmt::format("{} ({:.1f}%)", n, total > 0 ? 100 * n / total : 0.0));
    }
    header.push_back(html::escape(split));
    series.push_back(se);
  }
  const fs::path png = folder.plot("class_distribution.png");
  plots::bar_chart(png.string(), "class distribution (share of each split, %)", "%", class_names(), series, true);
  s += html::inline_png(png.string(), "class distribution") + "\n" + html::table(header, rows);
  return s;
}

std::string posthoc_section(const RunFiles& r, const RunFolder& folder) {
  if (!r.summary || r.summary->posthoc_curve_val.empty()) return "";
  const RunSummary& sm = *r.summary;
  const auto& curve = sm.posthoc_curve_val;
  // The curve is measured where tau is chosen: the held-back part of training with --select-on
  // holdout, else the validation split.
  const std::string where = sm.best_select ? "the held-back split (" + sm.select_on + ")" : std::string("the validation split");
  plots::LineChart chart{"post-hoc logit adjustment on " + where, "tau", "%", {}};
  plots::Line acc{"accuracy", {}, {}, plots::palette()[1]}, bal{"balanced accuracy", {}, {}, plots::palette()[2]},
      dis{"disgust recall", {}, {}, plots::palette()[5], true}, con{"contempt recall", {}, {}, plots::palette()[7], true};
  for (const auto& p : curve) {
    for (auto* l : {&acc, &bal, &dis, &con}) l->x.push_back(p.tau);
    acc.y.push_back(100 * p.accuracy);
    bal.y.push_back(100 * p.balanced_accuracy);
    dis.y.push_back(100 * p.recall[5]);
    con.y.push_back(100 * p.recall[7]);
  }
  chart.lines = {acc, bal, dis, con};
  chart.ymin = 0;
  chart.ymax = 100;
  const fs::path png = folder.plot("posthoc.png");
  plots::line_charts(png.string(), {chart}, 1000, 460);
  const std::string how =
      tau_set_by_hand(r) ? std::string("Tau was set in the configuration, not chosen on any split.")
      : sm.best_select   ? "Tau was chosen on " + html::escape(where) + "; the validation figures above did not choose it."
                         : "Tau was chosen on this validation split, so these figures are optimistic: judge the choice on "
                           "another split, or train with --select-on holdout:0.1.";
  return "<h2 id=\"posthoc\">Imbalance: post-hoc logit adjustment</h2>\n" + html::inline_png(png.string(), "post-hoc curve") +
         fmt::format("\n<p class=\"note\">logits &minus; tau &middot; log(training prior), for the best weights, measured on {}. "
                     "The bundle uses tau = {:.1f}. {}</p>\n",
                     html::escape(where), sm.posthoc_tau, how);
}

std::string evals_section(const RunFiles& r) {
  if (r.evals.empty()) return "";
  std::string s = "<h2 id=\"evals\">Evaluations</h2>\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [file, e] : r.evals) {
    const Metrics& m = e.metrics;
    auto ci = [&](const Interval& iv, bool bootstrap) {
      return !bootstrap || m.bootstrap_resamples > 0 ? " " + html::interval(iv.low, iv.high) : std::string();
    };
    const std::string recalls = fmt::format("{} / {}", html::percent(m.recall[5], 0), html::percent(m.recall[7], 0));
    rows.push_back({html::escape(file), html::escape(e.split), html::escape(e.tta), std::to_string(m.count),
                    html::percent(m.accuracy) + ci(m.accuracy_ci, false),
                    html::percent(m.balanced_accuracy) + ci(m.balanced_accuracy_ci, true), html::percent(m.macro_f1), recalls});
    if (e.without_copies) {  // the leakage-free figure beside it
      const Metrics& w = *e.without_copies;
      rows.push_back({html::escape(file) + " without copies in " + html::escape(e.copies_of), html::escape(e.split), html::escape(e.tta),
                      std::to_string(w.count) + " (" + std::to_string(e.excluded) + " left out)", html::percent(w.accuracy),
                      html::percent(w.balanced_accuracy), html::percent(w.macro_f1),
                      fmt::format("{} / {}", html::percent(w.recall[5], 0), html::percent(w.recall[7], 0))});
    }
  }
  return s + html::table({"file", "split", "TTA", "images", "accuracy", "balanced accuracy", "macro-F1", "disgust / contempt recall"}, rows);
}

std::string warnings_section(const RunFiles& r) {
  std::vector<std::string> items;
  if (r.summary)
    for (const auto& w : r.summary->data_warnings) items.push_back(html::escape(w));
  // Runs from before the audit at training start: say what one image is worth here.
  const bool audited = std::any_of(items.begin(), items.end(), [](const std::string& i) { return i.find("points of") != std::string::npos; });
  if (!audited && r.summary)
    for (int c = 0; c < kNumEmotions; ++c) {
      const int64_t n = r.summary->best_val.support[c];
      if (n > 0 && n < 100)
        items.push_back(fmt::format("{}: {} validation images, so one image moves its recall by {:.1f} points", emotion_name(c), n,
                                    100.0 / n));
    }
  std::string s = "<h2 id=\"warnings\">Data warnings</h2>\n";
  if (items.empty()) return s + "<p>None.</p>\n";
  s += "<ul>";
  for (const auto& i : items) s += "<li>" + i + "</li>";
  return s + "</ul>\n";
}

}  // namespace

std::string write_run_report(const std::string& run_dir, const std::string& out_path) {
  const RunFolder folder(run_dir);
  const std::string out = out_path.empty() ? folder.report() : out_path;
  check_output_file(out, folder.read_files(), "--out");
  const RunFiles r = read_run(run_dir);
  const RunHeadline h = summarize_run(r);
  fs::create_directories(folder.plots());
  folder.remove_stale_temp_files();  // charts a killed drawing left half-written

  std::string body = "<h1>ferkit run: " + html::escape(r.name) + "</h1>\n";
  body += fmt::format("<p class=\"meta\">{} &middot; recipe {} &middot; {} &middot; {} &middot; report drawn {}</p>\n",
                      html::escape(fs::absolute(run_dir).lexically_normal().string()), html::escape(h.recipe.empty() ? "?" : h.recipe),
                      html::escape(h.backbone.empty() ? "?" : h.backbone), html::escape(h.status), now_text());
  if (!r.problems.empty()) {
    body += "<div class=\"missing\" id=\"problems\"><b>Missing or damaged:</b><ul>";
    for (const auto& p : r.problems) body += "<li>" + html::escape(p) + "</li>";
    body += "</ul></div>\n";
  }
  body += headline_section(r, h);
  body += curves_section(r, folder);
  body += stability_section(h);
  body += classes_section(r, folder);
  body += distribution_section(r, folder);
  body += posthoc_section(r, folder);
  body += evals_section(r);
  if (r.audit) {
    try {
      body += audit_section_html(r.audit->detail, folder.plot("duplicate_pairs.png"), false);
    } catch (const nlohmann::json::exception& e) {  // a hand-edited or foreign audit.json
      body += "<p class=\"missing\">audit.json: not an audit of this ferkit (" + html::escape(e.what()) + ")</p>\n";
    }
  }
  body += warnings_section(r);
  body += "<h2 id=\"config\">Configuration</h2>\n";
  body += r.config_yaml.empty() ? "<p class=\"missing\">config.yaml is missing.</p>\n"
                                : "<pre>" + html::escape(r.config_yaml) + "</pre>\n";
  atomic_write_text(out, html::page("ferkit run " + r.name, body));
  return out;
}

}  // namespace ferkit
