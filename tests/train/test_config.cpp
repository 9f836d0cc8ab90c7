// Config keys from YAML and flags, the written config reading back, schedules, and the loss.
#include <functional>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/train/config.h"
#include "ferkit/train/schedule.h"
#include "ferkit/train/trainer.h"
#include "ferkit/util/error.h"
#include "test_util.h"

namespace ferkit {
namespace {

TEST(Config, YamlSetsKeysAndTheResolvedConfigReadsBack) {
  test::TempDir tmp;
  test::write_file(tmp / "a.yaml", "epochs: 3\nlr: 0.01\naugment: flip,crop\nmixup-alpha: 0.2\n");
  TrainConfig c;
  apply_config_yaml(c, tmp / "a.yaml");
  EXPECT_EQ(c.epochs, 3);
  EXPECT_DOUBLE_EQ(c.optim.lr, 0.01);
  EXPECT_EQ(c.augment.ops, "flip,crop");
  EXPECT_DOUBLE_EQ(c.augment.mixup_alpha, 0.2);
  c.data = "some dir: with colon";
  c.optim.lr = 0.1 + 0.2;  // not exactly representable in short decimal
  test::write_file(tmp / "resolved.yaml", config_to_yaml(c));
  TrainConfig d;
  apply_config_yaml(d, tmp / "resolved.yaml");
  EXPECT_EQ(config_to_yaml(d), config_to_yaml(c));
  EXPECT_EQ(d.optim.lr, c.optim.lr);
  EXPECT_EQ(d.data, c.data);
}

TEST(Config, UnknownKeysAndBadValuesNameTheFileAndLine) {
  test::TempDir tmp;
  test::write_file(tmp / "b.yaml", "epochs: 3\nlearning_rate: 0.1\n");
  TrainConfig c;
  try {
    apply_config_yaml(c, tmp / "b.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("b.yaml:2: unknown config key 'learning_rate'"), std::string::npos) << e.what();
  }
  test::write_file(tmp / "c.yaml", "epochs: three\n");
  try {
    apply_config_yaml(c, tmp / "c.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c.yaml:1: bad value 'three' for epochs"), std::string::npos) << e.what();
  }
  EXPECT_THROW(set_config_value(c, "resize", "maybe", "--resize"), Error);
  EXPECT_THROW(set_config_value(c, "seed", "-1", "--seed"), Error);
}

// The message names the key and the bad value, so a user knows what to change.
void expect_error_naming(const std::function<void()>& f, const std::vector<std::string>& words) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    for (const auto& w : words) EXPECT_NE(std::string(e.what()).find(w), std::string::npos) << "'" << w << "' not in: " << e.what();
  }
}

TEST(Config, ValidationNamesTheProblem) {
  TrainConfig c;
  c.data = "x";
  c.out = "y";
  validate_config(c);
  c.sampler = "balanced";
  expect_error_naming([&] { validate_config(c); }, {"sampler", "balanced"});
  c.sampler = "uniform";
  c.schedule = "linear";
  expect_error_naming([&] { validate_config(c); }, {"schedule", "linear", "cosine"});
  c.schedule = "cosine";
  c.epochs = 0;
  expect_error_naming([&] { validate_config(c); }, {"epochs"});
  // Typed options are checked where they are set, naming the key, the value and the place.
  expect_error_naming([&] { set_config_value(c, "select_metric", "f1", "run.yaml:4"); }, {"run.yaml:4", "select_metric", "'f1'"});
  expect_error_naming([&] { set_config_value(c, "posthoc-tau", "-1", "--posthoc-tau"); }, {"--posthoc-tau", "posthoc_tau", "'-1'"});
  expect_error_naming([&] { set_config_value(c, "device", "gpu", "--device"); }, {"device", "'gpu'", "cuda:N"});
  expect_error_naming([&] { set_config_value(c, "label_mode", "votes", "--label-mode"); }, {"label_mode", "'votes'"});
}

// A value that parses but fails validation (a range, a registry name) is named with the YAML line
// it came from; the same value given on the command line is not blamed on the file.
TEST(Config, ValidationErrorsOfYamlValuesNameTheirLine) {
  test::TempDir tmp;
  test::write_file(tmp / "v.yaml", "data: d\nout: o\nepochs: 4\nsampler: nonsense\nhead_epochs: 9\n");
  TrainConfig c;
  apply_config_yaml(c, tmp / "v.yaml");
  try {
    validate_config(c);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("v.yaml:5: head_epochs must be in [0, epochs)"), std::string::npos) << e.what();
  }
  c.head_epochs = 0;
  try {
    validate_config(c);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("v.yaml:4: unknown sampler 'nonsense'"), std::string::npos) << e.what();
  }
  set_config_value(c, "sampler", "other", "--sampler");
  try {
    validate_config(c);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("v.yaml"), std::string::npos) << e.what();
  }
}

// yaml-cpp 0.7 hangs on some control characters and on bytes that are not UTF-8 (fuzz/ found
// both): such a file is refused with its line before it reaches the parser.
TEST(Config, ControlCharactersAndBrokenUtf8AreRefusedWithTheirLine) {
  TrainConfig c;
  for (const auto& [text, says] : std::vector<std::pair<std::string, std::string>>{
           {std::string("epochs: 3\nlr: 0.1\x03\n"), "f.yaml:2: byte 0x03 is a control character"},
           {std::string("# \xa2\xa2\nepochs: 3\n"), "f.yaml:1: byte 0xa2 is not UTF-8"},
           {std::string("epochs: 3\n\xe2\x82"), "f.yaml:2: byte 0xe2 is not UTF-8"},
           {std::string("a: \0b", 5), "f.yaml:1: byte 0x00 is a control character"},
           {std::string("epochs: 3\n  ,\n"), "f.yaml:2: not a 'key: value' line"},
           {std::string("\xef\xbb\xbf,"), "f.yaml:1: not a 'key: value' line"},
           {std::string("# a comment\n&r:,\n"), "f.yaml:2: not a 'key: value' line"},
           {std::string("epochs: &a 3\n"), "f.yaml:1: the value of 'epochs' starts with '&'"},
           {std::string("augment: [flip, crop]\n"), "f.yaml:1: the value of 'augment' starts with '['"}}) {
    try {
      apply_config_yaml_text(c, text, "f.yaml");
      ADD_FAILURE() << "accepted: " << says;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(apply_config_yaml_text(c, "# caf\xc3\xa9 \xe2\x82\xac\tok\r\nepochs: 3\n", "f.yaml"));  // UTF-8, tab, CRLF
  EXPECT_EQ(c.epochs, 3);
}

TEST(Config, YamlKeyGivenTwiceOrASecondDocumentIsAnErrorWithItsLine) {
  TrainConfig c;
  expect_error_naming([&] { apply_config_yaml_text(c, "epochs: 3\nlr: 0.1\nlr: 0.2\n", "a.yaml"); },
                      {"a.yaml:3", "'lr' is given twice (first on line 2)"});
  expect_error_naming([&] { apply_config_yaml_text(c, "mixup_alpha: 0.1\nmixup-alpha: 0.2\n", "b.yaml"); }, {"b.yaml:2", "twice"});
  expect_error_naming([&] { apply_config_yaml_text(c, "epochs: 3\n---\nepochs: 4\n", "c.yaml"); }, {"c.yaml:3", "a second YAML document"});
  apply_config_yaml_text(c, "epochs: 3\nlr: 0.1\n", "ok.yaml");
  EXPECT_EQ(c.epochs, 3);
}

TEST(Config, TypedOptionsWriteBackTheSameWords) {
  TrainConfig c;
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"select_metric", "macro_f1"}, {"posthoc_tau", "auto"}, {"posthoc_tau", "1.5"}, {"device", "cuda:1"},
           {"device", "cuda"}, {"label_mode", "crossentropy"}}) {
    set_config_value(c, key, value, "test");
    TrainConfig read;
    apply_config_yaml_text(read, config_to_yaml(c), "config.yaml");
    EXPECT_EQ(config_to_yaml(read), config_to_yaml(c)) << key;
    for (auto& f : config_fields(read))
      if (f.key == key) EXPECT_EQ(f.get(), value);
  }
  EXPECT_EQ(c.posthoc_tau.mode, PosthocTau::Mode::kFixed);
  EXPECT_DOUBLE_EQ(c.posthoc_tau.tau, 1.5);
  EXPECT_TRUE(c.device.cuda);
  EXPECT_EQ(c.select_metric, SelectMetric::kMacroF1);
}

TEST(Schedule, WarmupThenCosineToZero) {
  ScheduleSpec s;
  s.base_lr = 0.1;
  s.warmup_steps = 10;
  s.total_steps = 110;
  EXPECT_NEAR(lr_at(s, 0), 0.01, 1e-12);
  EXPECT_NEAR(lr_at(s, 9), 0.1, 1e-12);
  EXPECT_NEAR(lr_at(s, 10), 0.1, 1e-12);
  EXPECT_NEAR(lr_at(s, 60), 0.05, 1e-12);  // halfway through the cosine
  EXPECT_NEAR(lr_at(s, 110), 0.0, 1e-12);
  s.name = "constant";
  EXPECT_NEAR(lr_at(s, 50), 0.1, 1e-12);
}

TEST(Schedule, OneCycleEqualsTorchOneCycleLR) {
  // torch.optim.lr_scheduler.OneCycleLR(max_lr=0.1, total_steps=100, pct_start=0.3), read
  // after 0, 10, 29, 50 and 99 steps (PyTorch 1.13).
  ScheduleSpec s;
  s.name = "onecycle";
  s.base_lr = 0.1;
  s.total_steps = 100;
  s.onecycle_pct = 0.3;
  EXPECT_NEAR(lr_at(s, 0), 0.0040000000000000036, 1e-12);
  EXPECT_NEAR(lr_at(s, 10), 0.029516394846410082, 1e-12);
  EXPECT_NEAR(lr_at(s, 29), 0.1, 1e-12);
  EXPECT_NEAR(lr_at(s, 50), 0.0793893450575732, 1e-12);
  EXPECT_NEAR(lr_at(s, 99), 4e-07, 1e-15);
}

TEST(Schedule, StepAndPlateau) {
  ScheduleSpec s;
  s.name = "step";
  s.base_lr = 0.1;
  s.warmup_steps = 5;
  s.step_every = 10;
  s.step_gamma = 0.5;
  EXPECT_NEAR(lr_at(s, 4), 0.1, 1e-12);
  EXPECT_NEAR(lr_at(s, 14), 0.1, 1e-12);
  EXPECT_NEAR(lr_at(s, 15), 0.05, 1e-12);
  EXPECT_NEAR(lr_at(s, 34), 0.025, 1e-12);
  EXPECT_NEAR(lr_at(s, 35), 0.0125, 1e-12);
  PlateauState p;
  for (double m : {0.5, 0.6, 0.6, 0.6}) p.on_epoch(m, /*patience=*/2, /*gamma=*/0.1);
  EXPECT_DOUBLE_EQ(p.factor, 1.0);  // two epochs without improvement: still patient
  p.on_epoch(0.6, 2, 0.1);
  EXPECT_DOUBLE_EQ(p.factor, 0.1);
  p.on_epoch(0.7, 2, 0.1);
  EXPECT_EQ(p.bad_epochs, 0);
}

}  // namespace
}  // namespace ferkit
