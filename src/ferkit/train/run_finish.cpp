// The last chapter of a training run: BatchNorm statistics for the SWA weights, the best weights
// with the post-hoc logit adjustment, the bundle, and summary.json. Rank 0 alone finishes.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ferkit/models/bundle.h"
#include "ferkit/train/calibration.h"
#include "ferkit/train/posthoc.h"
#include "ferkit/train/run_state.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/json_text.h"

namespace ferkit {
namespace {

// SWA: the averaged weights need BatchNorm statistics of their own, from one pass over the data;
// they become the best weights when they beat the best epoch.
void finish_swa(Run& r) {
  if (!r.swa || r.swa->count() == 0) return;
  LoaderConfig whole = r.loader_config;  // rank 0 alone, over the whole split
  whole.rank = 0;
  whole.world = 1;
  whole.batch_size = r.config.batch_size;
  BatchLoader bn_loader(*r.train_split, r.train_labels, whole, r.config.augment, r.pre);
  bn_loader.set_mixing(false);
  bn_loader.start_epoch(r.config.epochs);
  recompute_batchnorm(r.swa->model(), [&]() -> std::optional<at::Tensor> {
    auto b = bn_loader.next();
    if (!b) return std::nullopt;
    return b->images;
  });
  const Metrics swa_val = evaluate_split(r.swa->model(), *r.select_split, r.pre, r.eval_options);
  spdlog::info("SWA of the last {} epochs: {} acc {:.2f}% balanced {:.2f}%", r.swa->count(), r.select_split->name,
               100 * swa_val.accuracy, 100 * swa_val.balanced_accuracy);
  const double value = selection_value(swa_val, r.config.select_metric);
  const bool average_is_final = r.config.select_on.last;  // last: the SWA average is the final weights, unchosen
  if (average_is_final || value > r.state.best_metric) {
    r.state.best_metric = value;
    r.state.best_epoch = r.state.epoch;
    r.state.best_weights = "swa";
    save_checkpoint(r.folder.best_checkpoint(), r.swa->model(), *r.opt.optimizer, r.state);
  }
}

// --posthoc-tau: measures the tau curve on the selection split (validation, or the held-back share
// of --select-on holdout) and sets -tau * log(prior) into the model.
// Returns tau (0 without adjustment); the curve goes to the summary, the figures before the
// adjustment to `unadjusted`.
double adjust_logits(Run& r, FerModel& best, std::vector<PosthocPoint>& curve_out, Metrics& unadjusted) {
  const Adjustment a = adjust_for_prior(best, *r.select_split, log_prior(r.class_counts), r.config.posthoc_tau,
                                        r.config.posthoc_max_acc_drop, r.pre, r.eval_options);
  if (a.curve.empty()) return 0.0;
  unadjusted = a.curve.front().m;
  for (const auto& point : a.curve)
    curve_out.push_back({point.tau, point.m.accuracy, point.m.balanced_accuracy, point.m.macro_f1, point.m.recall});
  return a.tau;
}

// --calibrate temperature: T fitted on the selection split to the bundle's logits (adjustment
// included); the summary keeps it and the expected calibration error there before and after.
void calibrate(Run& r, FerModel& best, TrainSummary& s) {
  if (parse_calibration(r.config.calibrate) == Calibration::kNone) return;
  const LabelledSplit labels = label_split(*r.select_split, LabelMode::kMajority);
  const Predictions pred = predict_split(best, *r.select_split, labels, r.pre, r.eval_options);
  const double t = fit_temperature(pred.logits, pred.labels);
  MetricsOptions counting_only;
  counting_only.bootstrap = 0;
  const double before = compute_metrics(pred.logits, pred.labels, counting_only).ece;
  const double after = compute_metrics(pred.logits / t, pred.labels, counting_only).ece;
  best->set_temperature(t);
  s.temperature = t;
  spdlog::info("calibration: temperature {:.3f} fitted on {}: expected calibration error there {:.2f}% -> {:.2f}%", t,
               r.select_split->name, 100 * before, 100 * after);
}

void save_run_bundle(Run& r, FerModel& best, const TrainSummary& s) {
  const TrainConfig& c = r.config;
  BundleInfo info;
  info.spec = r.model->spec();  // as built: cut, freezing and BatchNorm policy included
  info.spec.temperature = best->spec().temperature;
  info.preprocess = r.pre;
  info.class_names = emotion_names();
  BundleProvenance& p = info.provenance;
  p.data = c.data;
  p.label_mode = label_mode_name(c.label_mode);
  p.recipe = c.recipe;
  p.epoch = s.best_epoch;
  p.weights = s.best_weights;
  p.posthoc_tau = s.posthoc_tau;
  p.val_split = c.val_split;
  p.select_on = select_on_text(c.select_on);
  p.val_accuracy = s.best_val.accuracy;
  p.val_balanced_accuracy = s.best_val.balanced_accuracy;
  p.image_size = c.image_size;
  save_bundle(s.bundle_path, best, info);
}

}  // namespace

TrainSummary finish_run(Run& r) {
  TrainSummary s;
  s.epochs = r.state.epoch;
  s.best_epoch = r.state.best_epoch;
  s.best_weights = r.state.best_weights;
  if (!r.lead) {  // rank 0 finishes the run
    s.lead = false;
    s.seconds = seconds_since(r.start);
    return s;
  }
  const TrainConfig& c = r.config;
  finish_swa(r);
  s.best_epoch = r.state.best_epoch;
  s.best_weights = r.state.best_weights;
  // The bundle carries the best weights, with the post-hoc logit adjustment when asked for.
  FerModel best(r.model->spec());
  load_checkpoint(r.folder.best_checkpoint(), best, nullptr);
  Metrics unadjusted;
  s.posthoc_tau = adjust_logits(r, best, s.posthoc_curve_val, unadjusted);
  const bool tau_chosen = c.posthoc_tau.mode == PosthocTau::Mode::kAuto;
  if (c.posthoc_tau.enabled()) s.posthoc_tau_chosen = tau_chosen;
  calibrate(r, best, s);
  // The figures of the bundle as shipped (adjustment included), with intervals and multi-target.
  EvalOptions final_options = r.eval_options;
  final_options.metrics.bootstrap = MetricsOptions{}.bootstrap;
  s.best_val = evaluate_split(best, *r.val_split, r.pre, final_options);
  s.select_on = select_on_text(c.select_on);
  if (r.select_split != r.val_split) s.best_select = evaluate_split(best, *r.select_split, r.pre, r.eval_options);
  const Metrics& chooser = s.best_select ? *s.best_select : s.best_val;
  if (c.posthoc_tau.enabled())
    spdlog::info("post-hoc logit adjustment tau {:.1f}{}: {} acc {:.2f}% -> {:.2f}%, balanced {:.2f}% -> {:.2f}%{}",
                 s.posthoc_tau, tau_chosen ? " (chosen on " + r.select_split->name + ")" : " (set, chosen on nothing)",
                 r.select_split->name, 100 * unadjusted.accuracy, 100 * chooser.accuracy, 100 * unadjusted.balanced_accuracy,
                 100 * chooser.balanced_accuracy,
                 s.best_select ? fmt::format("; {} (not chosen on) acc {:.2f}% balanced {:.2f}%", c.val_split,
                                             100 * s.best_val.accuracy, 100 * s.best_val.balanced_accuracy)
                 : tau_chosen  ? " (tau chosen on this split: judge it on another, or use --select-on holdout:0.1)"
                               : "");

  std::vector<double> raw_acc, ema_acc;
  for (const auto& e : r.history) {
    raw_acc.push_back(e.val.accuracy);
    if (e.ema) ema_acc.push_back(e.ema->accuracy);
  }
  s.raw_stability = stability(raw_acc, 10);
  if (r.ema) s.ema_stability = stability(ema_acc, 10);
  s.select_metric = select_metric_name(c.select_metric);
  s.train_images_per_second = r.train_seconds > 0 ? r.train_images / r.train_seconds : 0.0;
  s.resumed = r.resume;
  s.class_counts_train = r.class_counts;
  const auto val_counts = label_split(*r.val_split, LabelMode::kMajority).class_counts();
  s.class_counts = {{c.train_split + " (" + label_mode_name(c.label_mode) + ")", r.class_counts},
                    {c.val_split + " (majority)", std::vector<int64_t>(val_counts.begin(), val_counts.end())}};
  s.data_warnings = r.dataset.report.warnings;
  for (const auto& w : r.audit_warnings) s.data_warnings.push_back(w);
  if (r.dataset.report.skipped > 0)
    s.data_warnings.push_back(fmt::format("{} bad rows or images skipped (--skip-bad)", r.dataset.report.skipped));
  s.bundle_path = r.folder.bundle();
  save_run_bundle(r, best, s);
  s.seconds = seconds_since(r.start);
  atomic_write_text(r.folder.summary(), json_text(to_json(static_cast<const RunSummary&>(s)), 2) + "\n");
  spdlog::info("stability of val accuracy over the last {} epochs (points): raw sd {:.2f} (around the trend {:.2f}), "
               "largest drop {:.2f}{}",
               s.raw_stability.epochs, 100 * s.raw_stability.stddev, 100 * s.raw_stability.detrended_stddev,
               100 * s.raw_stability.largest_drop,
               s.ema_stability ? fmt::format("; EMA sd {:.2f} (around the trend {:.2f}), largest drop {:.2f}", 100 * s.ema_stability->stddev,
                                             100 * s.ema_stability->detrended_stddev, 100 * s.ema_stability->largest_drop)
                               : "");
  return s;
}

}  // namespace ferkit
