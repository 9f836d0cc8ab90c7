// Knowledge distillation (--teacher): the mixing rule against hand-computed values, the teachers'
// targets against their own forward pass, and teachers that cannot teach this run.
#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/data/classes.h"
#include "ferkit/models/bundle.h"
#include "ferkit/train/distill.h"
#include "ferkit/util/error.h"
#include "infer/model_fixtures.h"
#include "test_util.h"

namespace ferkit {
namespace {

TEST(Distill, MixesTheTeachersMeanProbabilityAtTheTemperature) {
  const auto targets = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}});
  // softmax([0, ln 3]) = [0.25, 0.75]; at T = 2: softmax([0, ln 3 / 2]) = [1, sqrt 3] / (1 + sqrt 3).
  const auto z = torch::tensor({{0.0f, static_cast<float>(std::log(3.0))}, {0.0f, static_cast<float>(std::log(3.0))}});
  auto t = distilled_targets(targets, {z}, 0.5, 1.0);
  EXPECT_NEAR(t[0][0].item<float>(), 0.625, 1e-6);
  EXPECT_NEAR(t[0][1].item<float>(), 0.375, 1e-6);
  EXPECT_NEAR(t[1][1].item<float>(), 0.875, 1e-6);
  t = distilled_targets(targets, {z}, 1.0, 2.0);
  EXPECT_NEAR(t[0][0].item<float>(), 1.0 / (1.0 + std::sqrt(3.0)), 1e-6);
  // Two teachers: their mean. The second says [0.5, 0.5].
  t = distilled_targets(targets, {z, torch::zeros({2, 2})}, 1.0, 1.0);
  EXPECT_NEAR(t[0][0].item<float>(), (0.25 + 0.5) / 2, 1e-6);
  EXPECT_NEAR(t.sum(1)[0].item<float>(), 1.0, 1e-6);  // rows still sum to 1
}

std::string save_teacher(const test::TempDir& tmp, const std::string& name, int input_size, FerModel* out = nullptr) {
  FerModel model = test::tiny_model(5);
  if (out) *out = model;
  return test::save_test_bundle(tmp / name, model, input_size);
}

TEST(Distill, TeachersGiveTheirOwnSoftenedPredictions) {
  test::TempDir tmp;
  FerModel teacher{nullptr};
  DistillConfig c;
  c.teachers = save_teacher(tmp, "t.ferkit", 48, &teacher);
  c.weight = 1.0;
  c.temperature = 3.0;
  Preprocess pre;
  Teachers teachers(c, pre, 48, emotion_names());
  const auto images = torch::rand({4, 1, 48, 48});
  const auto votes = torch::full({4, kNumEmotions}, 1.0 / kNumEmotions);
  const auto mixed = teachers.targets(images, votes);
  torch::NoGradGuard ng;
  const auto expected = torch::softmax(teacher->forward(images) / 3.0, 1);
  EXPECT_TRUE(torch::allclose(mixed, expected, 1e-5, 1e-6));
}

TEST(Distill, ATeacherWithAnotherInputIsRefusedByName) {
  test::TempDir tmp;
  DistillConfig c;
  c.teachers = save_teacher(tmp, "big.ferkit", 64);
  try {
    Teachers teachers(c, Preprocess{}, 48, emotion_names());
    FAIL() << "a 64x64 teacher was accepted for a 48x48 student";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("big.ferkit: its input (64x64 gray"), std::string::npos) << e.what();
  }
  c.teachers = tmp / "missing.ferkit";
  EXPECT_THROW(Teachers(c, Preprocess{}, 48, emotion_names()), Error);
}

}  // namespace
}  // namespace ferkit
