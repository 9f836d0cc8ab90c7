// ferkit::train, train_yaml and read_run_summary (include/ferkit/train.h): the config layering of
// train/train_request.h and report/train_and_report.h's training, as `ferkit train` runs them.
#include <filesystem>

#include <spdlog/spdlog.h>

#include "ferkit/api/scores.h"
#include "ferkit/train.h"
#include "ferkit/train/train_request.h"
#include "ferkit/report/train_and_report.h"
#include "ferkit/run/records.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/train/recipes.h"
#include "ferkit/train/trainer.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/json_text.h"
#include "ferkit/util/threads.h"

namespace ferkit {
namespace fs = std::filesystem;

// The public view of a run folder's summary.json.
RunResult run_result_of(const std::string& run_folder) {
  const RunFolder folder(run_folder);
  const std::string file = folder.summary();
  FERKIT_CHECK(fs::is_regular_file(file), file + ": no such file (the run has not finished, or this is not a run folder)");
  const std::string text = read_text_file(file);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(file, 0, std::string("not valid JSON: ") + e.what());
  }
  const RunSummary s = run_summary_from_json(j, file);
  RunResult r;
  r.run = run_folder;
  r.bundle = folder.bundle();
  r.epochs = s.epochs;
  r.best_epoch = s.best_epoch;
  r.best_weights = s.best_weights;
  r.seconds = s.seconds;
  r.validation = scores_of(s.best_val);
  r.json = text;
  return r;
}

namespace {

RunResult run(TrainRequest q, const TrainControl& control) {
  q.values_origin = "key ";
  q.resume = control.resume;
  q.threads = control.threads;
  const TrainConfig config = resolve_train_config(q);
  set_threads(config.threads);
  TrainOptions options;
  options.resume = control.resume;
  options.overwrite = control.overwrite;
  options.stop = control.stop;
  if (control.progress) {
    options.on_step = [&control](const TrainStep& s) {
      TrainProgress p;
      p.epoch = s.epoch;
      p.epochs = s.epochs;
      p.step = s.step;
      p.steps = s.steps;
      p.loss = s.loss;
      p.lr = s.lr;
      if (s.validated) {
        const EpochRecord& rec = *s.validated;
        const ValFigures& v = rec.val;  // the raw weights' figures (metrics.csv's val_ columns)
        p.validated = true;
        p.val_accuracy = v.accuracy;
        p.val_balanced_accuracy = v.balanced_accuracy;
        p.val_macro_f1 = v.macro_f1;
        p.val_loss = v.loss;
      }
      control.progress(p);
    };
  }
  try {
    train_and_report(config, options);
  } catch (const Interrupted& e) {
    throw Error(e.what());  // the public type; the message says how to continue
  }
  return run_result_of(config.out);
}

}  // namespace

RunResult train(const std::map<std::string, std::string>& config, const TrainControl& control) {
  TrainRequest q;
  q.values = config;
  if (const auto it = q.values.find("recipe"); it != q.values.end()) {
    q.recipe = it->second;
    q.values.erase(it);
  }
  return run(std::move(q), control);
}

RunResult train_yaml(const std::string& yaml_text, const TrainControl& control) {
  TrainRequest q;
  q.config_text = yaml_text;
  return run(std::move(q), control);
}

RunResult read_run_summary(const std::string& run_folder) { return run_result_of(run_folder); }

}  // namespace ferkit
