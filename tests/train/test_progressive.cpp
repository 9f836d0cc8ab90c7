// Progressive resizing (train/progressive.h): the schedule of training sides, its parsing and
// validation (errors name the problem), and the batch shrink (antialiased, so a fine pattern
// becomes its average rather than an alias of it).
#include <functional>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/train/config.h"
#include "ferkit/train/progressive.h"
#include "ferkit/util/error.h"

namespace ferkit {
namespace {

void expect_error_containing(const std::function<void()>& f, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one containing: " << text;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST(ProgressiveResize, ParsesStagesAndGivesEachEpochItsSide) {
  EXPECT_TRUE(parse_progressive_resize("").empty());
  EXPECT_TRUE(parse_progressive_resize("none").empty());
  const auto stages = parse_progressive_resize("32:4,40:3");
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[0].size, 32);
  EXPECT_EQ(stages[0].epochs, 4);
  EXPECT_EQ(stages[1].size, 40);
  EXPECT_EQ(stages[1].epochs, 3);
  const int expected[] = {32, 32, 32, 32, 40, 40, 40, 48, 48, 48, 48, 48};
  for (int e = 0; e < 12; ++e) EXPECT_EQ(training_side_at(stages, e, 48), expected[e]) << "epoch " << e;
  EXPECT_EQ(training_side_at({}, 0, 48), 48);
  for (const char* bad : {"32", "32:", ":4", "32:4,", "a:4", "32:4x", "32:0", "0:4", "32:-1", "32:4;40:2"})
    EXPECT_THROW(parse_progressive_resize(bad), std::invalid_argument) << bad;
}

TEST(ProgressiveResize, RefusesStagesThatCannotWork) {
  const auto ok = parse_progressive_resize("32:4,40:4");
  EXPECT_NO_THROW(validate_progressive_resize(ok, 48, 12, 16));
  expect_error_containing([&] { validate_progressive_resize(ok, 48, 8, 16); },
                                "its stages take 8 of the 8 epochs; at least the last must train at input_size 48");
  expect_error_containing([&] { validate_progressive_resize(parse_progressive_resize("40:2,32:2"), 48, 12, 16); },
                                "sides must grow from stage to stage (32 after 40)");
  expect_error_containing([&] { validate_progressive_resize(parse_progressive_resize("48:2"), 48, 12, 16); },
                                "side 48 is not below input_size 48");
  expect_error_containing([&] { validate_progressive_resize(parse_progressive_resize("12:2"), 48, 12, 16); },
                                "side 12 is below the backbone's smallest input, 16");
}

// Through the training config: a key, checked with the rest, its file and line named from YAML.
TEST(ProgressiveResize, IsAConfigKeyCheckedWithTheRest) {
  TrainConfig c;
  c.data = "d";
  c.out = "o";
  c.epochs = 12;
  set_config_value(c, "progressive_resize", "32:4,40:4", "cli");
  EXPECT_NO_THROW(validate_config(c));
  c.epochs = 6;
  expect_error_containing([&] { validate_config(c); }, "progressive_resize: its stages take 8 of the 6 epochs");
  apply_config_yaml_text(c, "epochs: 12\nprogressive_resize: 32-4\n", "run.yaml");
  expect_error_containing([&] { validate_config(c); }, "run.yaml:2: progressive_resize: '32-4' is not SIZE:EPOCHS");
}

TEST(ProgressiveResize, ShrinksTheBatchWithAntialiasing) {
  // A one-pixel checkerboard shrunk by 3: every output pixel averages several input pixels, so it
  // is close to the mean 0.5 (plain bilinear sampling would alias it to 0s and 1s).
  const torch::Tensor ramp = torch::arange(48).view({1, 48});
  const torch::Tensor checker = ((ramp + ramp.t()) % 2).to(torch::kFloat32).view({1, 1, 48, 48}).repeat({2, 1, 1, 1});
  const torch::Tensor small = resize_training_batch(checker, 16);
  ASSERT_EQ(small.sizes(), (std::vector<int64_t>{2, 1, 16, 16}));
  EXPECT_LT((small - 0.5).abs().max().item<float>(), 0.15f);
  // A smooth image keeps its values (a constant exactly), and the full side is no copy at all.
  const torch::Tensor flat = torch::full({1, 1, 48, 48}, 0.25f);
  EXPECT_TRUE(torch::allclose(resize_training_batch(flat, 32), torch::full({1, 1, 32, 32}, 0.25f), 1e-6, 1e-6));
  EXPECT_TRUE(resize_training_batch(checker, 48).is_same(checker));
}

}  // namespace
}  // namespace ferkit
