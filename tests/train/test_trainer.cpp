// A short training run on a small synthetic set: the run folder holds what DESIGN.md promises,
// and the bundle it writes scores the same as the evaluation loop said.
#include <filesystem>

#include <gtest/gtest.h>

#include "ferkit/data/synth.h"
#include "ferkit/eval/evaluator.h"
#include "ferkit/models/bundle.h"
#include "ferkit/report/html.h"  // the run report of a select_on last run
#include "ferkit/run/records.h"
#include "ferkit/train/config_specs.h"
#include "ferkit/train/recipes.h"
#include "ferkit/train/trainer.h"
#include "ferkit/util/error.h"
#include "test_util.h"

namespace ferkit {
namespace {
namespace fs = std::filesystem;

TEST(Trainer, ShortRunWritesConfigMetricsCheckpointsAndBundle) {
  test::TempDir tmp;
  SynthConfig sc;
  sc.out = tmp / "data";
  sc.scale = 0.15;  // 600 train, 120 valid
  write_synthetic_dataset(sc);

  TrainConfig c;
  c.data = sc.out;
  c.out = tmp / "run";
  c.epochs = 2;
  c.width = 0.25;
  c.workers = 1;
  const TrainSummary s = run_training(c);
  for (const char* f : {"config.yaml", "metrics.csv", "checkpoints/last.pt", "checkpoints/best.pt", "model.ferkit"})
    EXPECT_TRUE(fs::exists(fs::path(c.out) / f)) << f;
  const std::string csv = test_read(c.out + "/metrics.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);  // header and one row per epoch
  EXPECT_EQ(csv.rfind("epoch,lr,train_loss,train_acc,val_loss,val_acc", 0), 0u);

  // the bundle holds the best epoch's weights: scoring it again gives the same figure
  LoadedBundle b = load_bundle(s.bundle_path);
  const Dataset ds = load_dataset(c.data);
  const Metrics m = evaluate_split(b.model, ds.split("valid"), b.info.preprocess);
  EXPECT_DOUBLE_EQ(m.accuracy, s.best_val.accuracy);
  EXPECT_GE(s.best_epoch, 1);

  // the resolved config repeats the run's settings
  TrainConfig again;
  apply_config_yaml(again, c.out + "/config.yaml");
  EXPECT_EQ(again.epochs, 2);
  EXPECT_DOUBLE_EQ(again.width, 0.25);
}

}  // namespace
}  // namespace ferkit

namespace ferkit {
namespace {

// A small set and a config that exercises every stateful part: Adam moments, EMA, dropout
// (the random generator), mixup (the loader's per-batch seeds) and a cosine schedule.
TrainConfig stateful_config(const test::TempDir& tmp, const std::string& run) {
  if (!fs::exists(tmp / "data")) {
    SynthConfig sc;
    sc.out = tmp / "data";
    sc.scale = 0.1;
    write_synthetic_dataset(sc);
  }
  TrainConfig c;
  c.data = tmp / "data";
  c.out = tmp / run;
  c.epochs = 3;
  c.width = 0.25;
  c.workers = 2;
  c.threads = 1;  // bit-exact on CPU needs one thread
  c.optim.name = "adamw";
  c.optim.lr = 0.003;
  c.ema_decay = 0.9;
  c.head = "32,dropout=0.2";
  c.augment.mixup_alpha = 0.2;
  c.label_mode = LabelMode::kProbability;
  // airbench's options change what a checkpoint must hold (or, by design, must not): covered too
  c.init = "dirac,whiten";
  c.lookahead_steps = 4;
  c.optim.norm_bias_lr_mult = 4;
  c.progressive_resize = "32:1";  // the interrupted epoch 3 is at full size, the first at 32x32
  return c;
}

std::vector<std::pair<std::string, at::Tensor>> tensors_of(const std::string& file) {
  std::vector<std::pair<std::string, at::Tensor>> t;
  EXPECT_TRUE(read_ferkit_model_tensors(file, t)) << file;
  return t;
}

TEST(Trainer, ResumeAfterAnInterruptEndsWithTheSameWeights) {
  test::TempDir tmp;
  run_training(stateful_config(tmp, "straight"));

  // Interrupt in epoch 3 as Ctrl-C would, then resume.
  TrainConfig c = stateful_config(tmp, "resumed");
  TrainOptions interrupt;
  interrupt.on_epoch_end = [](int64_t epoch) { if (epoch == 2) stop_requested() = true; };
  EXPECT_THROW(run_training(c, interrupt), Interrupted);
  stop_requested() = false;
  const std::string partial = test_read(c.out + "/metrics.csv");
  EXPECT_EQ(std::count(partial.begin(), partial.end(), '\n'), 3);  // header + the two finished epochs
  TrainOptions resume;
  resume.resume = true;
  const TrainSummary s = run_training(c, resume);
  EXPECT_EQ(s.epochs, 3);

  const auto a = tensors_of(tmp / "straight/checkpoints/last.pt");
  const auto b = tensors_of(tmp / "resumed/checkpoints/last.pt");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(torch::equal(a[i].second, b[i].second)) << a[i].first;
  }
  EXPECT_EQ(test_read(tmp / "straight/metrics.csv").size(), test_read(tmp / "resumed/metrics.csv").size());
}

TEST(Trainer, HeadEpochsTrainOnlyTheHeadThenTheBackbone) {
  test::TempDir tmp;
  TrainConfig c = stateful_config(tmp, "run");
  c.head_epochs = 1;
  c.ema_decay = 0;
  c.init = "";  // the backbone is compared with the seed's initialisation below
  c.threads = 0;
  std::vector<std::vector<std::pair<std::string, at::Tensor>>> after;
  TrainOptions options;
  options.on_epoch_end = [&](int64_t) { after.push_back(tensors_of(c.out + "/checkpoints/last.pt")); };
  run_training(c, options);
  ASSERT_EQ(after.size(), 3u);
  // Epoch 1 changed the head only; the backbone's weights and BatchNorm statistics are as the
  // seed made them, which epoch 2 then changes.
  int backbone_same_1 = 0, backbone_changed_2 = 0, head_changed_1 = 0, backbone = 0;
  torch::manual_seed(c.seed);
  ModelSpec spec = model_spec(c);
  spec.bn_policy = "frozen";  // as the trainer builds it (freezing is applied after construction)
  FerModel start(spec);
  const auto named = start->named_parameters();
  const auto buffers = start->named_buffers();
  for (size_t i = 0; i < after[0].size(); ++i) {
    const auto& [name, t1] = after[0][i];
    const at::Tensor t0 = named.contains(name) ? named[name] : buffers.contains(name) ? buffers[name] : at::Tensor();
    if (!t0.defined() || name.find("num_batches_tracked") != std::string::npos) continue;
    if (name.rfind("backbone.", 0) == 0) {
      ++backbone;
      backbone_same_1 += torch::equal(t0, t1);
      backbone_changed_2 += !torch::equal(t1, after[1][i].second);
    } else if (name.rfind("head.", 0) == 0) {
      head_changed_1 += !torch::equal(t0, t1);
    }
  }
  EXPECT_GT(backbone, 0);
  EXPECT_EQ(backbone_same_1, backbone);
  EXPECT_EQ(backbone_changed_2, backbone);
  EXPECT_GT(head_changed_1, 0);
}

TEST(Trainer, AFolderWithARunIsRefusedUnlessResumedOrOverwritten) {
  test::TempDir tmp;
  TrainConfig c = stateful_config(tmp, "run");
  c.epochs = 1;
  c.progressive_resize = "";  // one epoch leaves none for a smaller side
  c.workers = 1;
  run_training(c);
  const std::string metrics_before = test_read(c.out + "/metrics.csv");
  try {
    run_training(c);
    FAIL() << "a finished run was trained over";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--resume continues it, --overwrite replaces it"), std::string::npos) << e.what();
  }
  EXPECT_EQ(test_read(c.out + "/metrics.csv"), metrics_before);  // untouched
  test::write_file(c.out + "/eval-test.json", "{}");             // the old run's evaluation ...
  test::write_file(c.out + "/notes.txt", "mine");                  // ... and a file of the user's
  TrainOptions overwrite;
  overwrite.overwrite = true;
  run_training(c, overwrite);
  EXPECT_FALSE(fs::exists(c.out + "/eval-test.json"));  // no longer describes the model there
  EXPECT_TRUE(fs::exists(c.out + "/notes.txt"));
  EXPECT_TRUE(fs::exists(c.out + "/summary.json"));
}

TEST(Trainer, EveryShippedRecipeIsAValidConfig) {
  for (const auto& name : recipe_names()) {
    TrainConfig c;
    apply_recipe(c, name);
    c.data = "x";
    c.out = "y";
    EXPECT_NO_THROW(validate_config(c)) << name;
    EXPECT_EQ(c.recipe, name);
  }
  TrainConfig c;
  EXPECT_THROW(apply_recipe(c, "fastest"), Error);
  apply_recipe(c, "seed");
  EXPECT_EQ(c.optim.name, "adam");
  EXPECT_EQ(c.bn_policy, "train");
  EXPECT_EQ(c.input_size, 224);
}

}  // namespace
}  // namespace ferkit

namespace ferkit {
namespace {

// --select-on holdout: the epoch and tau are chosen on a held-back share of the training split;
// the validation split's figures are reported beside them but choose nothing.
TEST(Trainer, SelectOnHoldoutChoosesEpochAndTauOnTheHeldBackShare) {
  test::TempDir tmp;
  TrainConfig c = stateful_config(tmp, "run");
  c.select_on = parse_select_on("holdout:0.25");
  c.posthoc_tau = parse_posthoc_tau("auto");
  c.workers = 1;
  const TrainSummary s = run_training(c);

  // The epoch: the best of the held-back columns (raw or EMA), not of the validation columns.
  std::vector<std::string> problems;
  const auto records = parse_metrics_csv(test_read(c.out + "/metrics.csv"), "metrics.csv", problems);
  ASSERT_EQ(records.size(), 3u);
  double best = -1;
  int64_t best_epoch = 0;
  for (const auto& r : records) {
    ASSERT_TRUE(r.select && r.select_ema) << "no held-back columns in metrics.csv";
    for (double v : {r.select->accuracy, r.select_ema->accuracy})
      if (v > best) best = v, best_epoch = r.epoch;
  }
  EXPECT_EQ(s.best_epoch, best_epoch);

  // The held-back images are not trained on, and the bundle's figures on them are what the
  // summary says; the tau curve was measured on them too.
  Dataset ds = load_dataset(c.data);
  const auto [kept, held] = hold_out(ds.split("train"), 0.25);
  LoadedBundle b = load_bundle(s.bundle_path);
  ASSERT_TRUE(s.best_select.has_value());
  EXPECT_EQ(s.select_on, "holdout:0.25");
  EXPECT_DOUBLE_EQ(evaluate_split(b.model, held, b.info.preprocess).accuracy, s.best_select->accuracy);
  EXPECT_DOUBLE_EQ(evaluate_split(b.model, ds.split("valid"), b.info.preprocess).accuracy, s.best_val.accuracy);
  bool found = false;
  for (const auto& p : s.posthoc_curve_val)
    if (std::abs(p.tau - s.posthoc_tau) < 1e-9) {
      found = true;
      EXPECT_NEAR(p.accuracy, s.best_select->accuracy, 1e-12);
    }
  EXPECT_TRUE(found);
  EXPECT_EQ(b.info.provenance.select_on, "holdout:0.25");
  EXPECT_EQ(s.posthoc_tau_chosen, std::optional<bool>(true));
  const std::string page = test_read(write_run_report(c.out));
  EXPECT_NE(page.find("chosen on holdout:0.25: the validation figures below chose nothing"), std::string::npos);
  EXPECT_NE(page.find("Tau was chosen on the held-back split (holdout:0.25)"), std::string::npos);

  // --calibrate temperature (the default): T fitted on the held-back share is in the bundle, and
  // there it lowers the negative log-likelihood against T = 1 (its fitting criterion).
  EXPECT_NE(s.temperature, 1.0);
  EXPECT_DOUBLE_EQ(b.info.spec.temperature, s.temperature);
  const double calibrated_nll = evaluate_split(b.model, held, b.info.preprocess).loss;
  b.model->set_temperature(1.0);
  EXPECT_LT(calibrated_nll, evaluate_split(b.model, held, b.info.preprocess).loss);
}

// --select-on last: the model is the last epoch's EMA weights, decided before training, even where
// the validation split would have chosen another epoch; what needs a split to choose on is refused.
TEST(Trainer, SelectOnLastKeepsTheLastEpochWhateverTheValidationSays) {
  test::TempDir tmp;
  const auto config = [&](const std::string& run) {
    TrainConfig c = stateful_config(tmp, run);
    c.workers = 1;
    c.calibrate = "none";
    return c;
  };
  // The control trains the same weights (one thread, same seed) and chooses on the validation
  // split: here not the last epoch's EMA weights, so the two settings can be told apart.
  const TrainSummary chosen = run_training(config("chosen"));
  ASSERT_FALSE(chosen.best_epoch == 3 && chosen.best_weights == "ema")
      << "the control chose the last epoch's EMA weights too: this test cannot tell the settings apart; change its config";

  TrainConfig last = config("last");
  last.select_on = parse_select_on("last");
  const TrainSummary s = run_training(last);
  EXPECT_EQ(s.best_epoch, 3);
  EXPECT_EQ(s.best_weights, "ema");
  EXPECT_EQ(s.select_on, "last");
  EXPECT_FALSE(s.best_select.has_value());
  std::vector<std::string> problems;
  const auto records = parse_metrics_csv(test_read(last.out + "/metrics.csv"), "metrics.csv", problems);
  ASSERT_EQ(records.size(), 3u);
  ASSERT_TRUE(records.back().ema.has_value());
  EXPECT_DOUBLE_EQ(s.best_val.accuracy, records.back().ema->accuracy);  // the bundle is the last EMA weights
  EXPECT_EQ(load_bundle(s.bundle_path).info.provenance.select_on, "last");
  EXPECT_NE(test_read(last.out + "/summary.json").find("\"select_on\": \"last\""), std::string::npos);
  const std::string page = test_read(write_run_report(last.out));
  EXPECT_NE(page.find("(the last epoch, decided before training: the validation figures below chose nothing)"), std::string::npos)
      << "the report must not say the validation split chose the epoch";
  EXPECT_EQ(page.find("by accuracy"), std::string::npos) << "no metric chose the epoch";

  const std::vector<std::pair<std::string, std::function<void(TrainConfig&)>>> refused = {
      {"posthoc_tau auto has no split", [](TrainConfig& c) { c.posthoc_tau = parse_posthoc_tau("auto"); }},
      {"calibrate temperature has no split", [](TrainConfig& c) { c.calibrate = "temperature"; }},
      {"early_stop watches a split", [](TrainConfig& c) { c.early_stop = 2; }},
      {"schedule plateau watches a split", [](TrainConfig& c) { c.schedule = "plateau"; }}};
  for (const auto& [message, refuse] : refused) {
    TrainConfig bad = last;
    refuse(bad);
    try {
      validate_config(bad);
      ADD_FAILURE() << "not refused: " << message;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
  TrainConfig fixed_tau = last;
  fixed_tau.posthoc_tau = parse_posthoc_tau("0.5");  // a number chooses nothing
  EXPECT_NO_THROW(validate_config(fixed_tau));
}

// --select-on last without EMA keeps the last epoch's raw weights; with SWA, the SWA average,
// where a control choosing on validation keeps an earlier epoch, and epoch 3 over the average.
TEST(Trainer, SelectOnLastKeepsRawWeightsWithoutEmaAndTheAverageWithSwa) {
  test::TempDir tmp;
  const auto config = [&](const std::string& run, const std::string& select_on, int swa_epochs) {
    TrainConfig c = stateful_config(tmp, run);
    c.workers = 1;
    c.calibrate = "none";
    c.ema_decay = 0;
    c.select_on = parse_select_on(select_on);
    c.swa_epochs = swa_epochs;
    return c;
  };
  const TrainSummary control = run_training(config("control", "valid", 0));
  ASSERT_NE(control.best_epoch, 3) << "the control chose the last epoch too: this test cannot tell the settings apart";
  const TrainSummary control_swa = run_training(config("control-swa", "valid", 2));
  ASSERT_NE(control_swa.best_weights, "swa") << "the control chose the SWA average too: change this test's config";

  TrainConfig raw = config("raw", "last", 0);
  const TrainSummary r = run_training(raw);
  EXPECT_EQ(r.best_epoch, 3);
  EXPECT_EQ(r.best_weights, "raw");
  std::vector<std::string> problems;
  const auto records = parse_metrics_csv(test_read(raw.out + "/metrics.csv"), "metrics.csv", problems);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_FALSE(records.back().ema.has_value());
  EXPECT_DOUBLE_EQ(r.best_val.accuracy, records.back().val.accuracy);

  const TrainSummary s = run_training(config("swa", "last", 2));
  EXPECT_EQ(s.best_weights, "swa");
  EXPECT_EQ(s.best_epoch, 3);
}

}  // namespace
}  // namespace ferkit

namespace ferkit {
namespace {

bool same_weights(const std::string& a_file, const std::string& b_file) {
  const auto a = tensors_of(a_file), b = tensors_of(b_file);
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].first != b[i].first || !torch::equal(a[i].second, b[i].second)) return false;
  return true;
}

// Options that change training must reach the trainer: the same config twice gives the same
// weights bit for bit (one thread), so a run whose weights equal the base run's ignored its option.
// (Each was disconnected on purpose once and passed the unit tests of its own part.)
TEST(Trainer, TrainingOptionsReachTheTrainer) {
  test::TempDir tmp;
  const auto config = [&](const std::string& run) {
    TrainConfig c = stateful_config(tmp, run);
    c.epochs = 2;
    c.workers = 1;
    c.init = "";
    return c;
  };
  run_training(config("base"));
  run_training(config("again"));
  const std::string base = tmp / "base/checkpoints/last.pt";
  ASSERT_TRUE(same_weights(base, tmp / "again/checkpoints/last.pt")) << "the control is not deterministic";

  TrainConfig full_size = config("full_size");
  full_size.progressive_resize = "";  // the base trains epoch 1 at 32x32
  run_training(full_size);
  EXPECT_FALSE(same_weights(base, tmp / "full_size/checkpoints/last.pt")) << "--progressive-resize changed nothing";

  // Against a run that loads the same teacher at weight 0 (loading a bundle draws from the random
  // generator, so "differs from the base run" alone would not show the targets reach the loss).
  TrainConfig untaught = config("untaught");
  untaught.distill.teachers = tmp / "base/model.ferkit";
  untaught.distill.weight = 0.0;
  run_training(untaught);
  TrainConfig taught = untaught;
  taught.out = tmp / "taught";
  taught.distill.weight = 0.9;
  run_training(taught);
  EXPECT_FALSE(same_weights(tmp / "untaught/checkpoints/last.pt", tmp / "taught/checkpoints/last.pt"))
      << "--teacher's targets did not reach the loss";

  TrainConfig held = config("held");
  held.select_on = parse_select_on("holdout:0.2");  // fewer training images
  run_training(held);
  EXPECT_FALSE(same_weights(base, tmp / "held/checkpoints/last.pt")) << "--select-on holdout trained on every image";

  // NHWC convolutions add up in another order: the weights differ in their last bits.
  TrainConfig nhwc = config("nhwc");
  nhwc.memory_format = "channels_last";
  run_training(nhwc);
  EXPECT_FALSE(same_weights(base, tmp / "nhwc/checkpoints/last.pt")) << "--memory-format channels_last changed nothing";
  nhwc.memory_format = "nchw";
  EXPECT_THROW(validate_config(nhwc), Error);
}

}  // namespace
}  // namespace ferkit
