// The robustness benchmark's perturbations: each kind as OpenCV defines it at its level's
// strength, stronger levels change a face more, deterministic per seed, errors on bad names.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "ferkit/data/augment.h"
#include "ferkit/data/perturb.h"
#include "ferkit/util/error.h"

namespace ferkit {
namespace {

cv::Mat textured_face() {
  cv::Mat g(48, 48, CV_8UC1);
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 48; ++x) g.at<uint8_t>(y, x) = static_cast<uint8_t>(128 + 60 * std::sin(x * 0.4) * std::cos(y * 0.3) + (x * 7 + y * 13) % 20);
  cv::circle(g, {16, 18}, 4, 20, -1);
  cv::circle(g, {32, 18}, 4, 20, -1);
  cv::ellipse(g, {24, 34}, {10, 4}, 0, 0, 180, 230, 2);
  return g;
}

double mean_abs_change(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat d;
  cv::absdiff(a, b, d);
  return cv::mean(d)[0];
}

TEST(Perturb, FixedKindsAreTheOpenCvOperationsAtTheirStrength) {
  const cv::Mat g = textured_face();
  cv::Mat unit;
  g.convertTo(unit, CV_32F, 1.0 / 255.0);
  const auto grey_levels = [](const cv::Mat& f) {
    cv::Mat out;
    f.convertTo(out, CV_8U, 255.0);
    return out;
  };
  cv::Mat blurred;
  cv::GaussianBlur(unit, blurred, cv::Size(0, 0), 1.2, 1.2, cv::BORDER_REFLECT_101);
  EXPECT_EQ(cv::norm(perturb_image(g, "blur", 2, 0), grey_levels(blurred), cv::NORM_INF), 0);
  std::vector<uint8_t> bytes;
  cv::imencode(".jpg", g, bytes, {cv::IMWRITE_JPEG_QUALITY, 10});
  EXPECT_EQ(cv::norm(perturb_image(g, "jpeg", 3, 0), cv::imdecode(bytes, cv::IMREAD_GRAYSCALE), cv::NORM_INF), 0);
  cv::Mat down, up;
  cv::resize(unit, down, {24, 24}, 0, 0, cv::INTER_AREA);
  cv::resize(down, up, g.size(), 0, 0, cv::INTER_LINEAR);
  EXPECT_EQ(cv::norm(perturb_image(g, "resolution", 2, 0), grey_levels(up), cv::NORM_INF), 0);
  // a flat image stays flat under everything but tone (which may move its level); JPEG's
  // quantised DC term may move it by a grey level or two
  const cv::Mat flat(48, 48, CV_8UC1, cv::Scalar(90));
  for (const char* kind : {"framing", "blur", "resolution"})
    EXPECT_EQ(cv::norm(perturb_image(flat, kind, 3, 5), flat, cv::NORM_INF), 0) << kind;
  EXPECT_LE(cv::norm(perturb_image(flat, "jpeg", 3, 5), flat, cv::NORM_INF), 2);
}

// Robustness training and the benchmark are one operation: the augmentation (data/augment.h)
// fixed at a level's strength gives the benchmark's perturbation at that level, to the grey level
// the perturbation rounds to (both go through data/image_ops.h).
TEST(Perturb, AugmentationAtALevelsStrengthIsThatPerturbation) {
  const cv::Mat g = textured_face();
  Preprocess pre;  // 48x48 gray, no normalisation: the augmented image in [0, 1]
  int compared = 0;
  for (const PerturbationLevel& p : perturbation_table()) {
    if (p.fixed == 0) continue;  // framing and tone draw their parameters per image
    AugmentConfig c;
    if (p.kind == "blur") {
      c.ops = "blur";
      c.blur_p = 1;
      c.blur_sigma_min = c.blur_sigma = p.fixed;
    } else if (p.kind == "resolution") {
      c.ops = "lowres";
      c.lowres_p = 1;
      c.lowres_factor_min = c.lowres_factor = p.fixed;
    } else {
      ASSERT_EQ(p.kind, "jpeg");
      c.ops = "jpeg";
      c.jpeg_p = 1;
      c.jpeg_quality_min = c.jpeg_quality_max = p.fixed;
    }
    Rng rng(7);
    cv::Mat augmented(48, 48, CV_32F);
    augment_image(g, c, pre, true, rng, augmented.ptr<float>());
    cv::Mat perturbed;
    perturb_image(g, p.kind, p.level, 3).convertTo(perturbed, CV_32F, 1.0 / 255.0);
    EXPECT_LE(cv::norm(augmented, perturbed, cv::NORM_INF), 0.5 / 255 + 1e-6) << p.kind << " level " << p.level;
    // and the augmentation did something: it is not the clean face
    cv::Mat clean;
    g.convertTo(clean, CV_32F, 1.0 / 255.0);
    EXPECT_GT(cv::norm(augmented, clean, cv::NORM_INF), 2.0 / 255) << p.kind << " level " << p.level;
    ++compared;
  }
  EXPECT_EQ(compared, 9);  // blur, resolution and JPEG at three levels
}

TEST(Perturb, StrongerLevelsChangeAFaceMoreAndDrawsAreDeterministic) {
  const cv::Mat g = textured_face();
  for (const auto& kind : perturbation_kinds()) {
    double previous = 0;
    for (int level = 1; level <= 3; ++level) {
      double change = 0;  // averaged over draws: framing and tone are random per image
      for (uint64_t draw = 0; draw < 20; ++draw) change += mean_abs_change(g, perturb_image(g, kind, level, draw)) / 20;
      EXPECT_GT(change, previous) << kind << " level " << level;
      previous = change;
    }
    EXPECT_EQ(cv::norm(perturb_image(g, kind, 2, 7), perturb_image(g, kind, 2, 7), cv::NORM_INF), 0) << kind;
  }
  EXPECT_GT(cv::norm(perturb_image(g, "framing", 2, 1), perturb_image(g, "framing", 2, 2), cv::NORM_INF), 0);
}

TEST(Perturb, ImagesOfATensorAreEachPerturbedWithTheirOwnDraw) {
  const cv::Mat g = textured_face();
  torch::Tensor images = torch::empty({3, 48, 48}, torch::kUInt8);
  for (int i = 0; i < 3; ++i) std::memcpy(images[i].data_ptr<uint8_t>(), g.data, 48 * 48);
  const torch::Tensor out = perturb_images(images, "framing", 1, 4);
  EXPECT_TRUE(torch::equal(images[0], images[1]));  // the input is untouched
  for (int i = 0; i < 3; ++i) {
    const cv::Mat expected = perturb_image(g, "framing", 1, 4 * 1000003ULL + i);
    EXPECT_EQ(std::memcmp(out[i].contiguous().data_ptr<uint8_t>(), expected.data, 48 * 48), 0) << i;
  }
  EXPECT_FALSE(torch::equal(out[0], out[1]));
}

TEST(Perturb, UnknownKindsAndLevelsAreErrors) {
  const cv::Mat g = textured_face();
  try {
    perturb_image(g, "fog", 1, 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown perturbation 'fog' (known: blur, framing, jpeg, resolution, tone)"), std::string::npos);
  }
  EXPECT_THROW(perturb_image(g, "blur", 0, 0), Error);
  EXPECT_THROW(perturb_image(g, "blur", 4, 0), Error);
  EXPECT_EQ(perturbation_table().size(), 15u);
  EXPECT_EQ(perturbation_table()[0].kind, "framing");
  EXPECT_EQ(perturbation_table()[2].level, 3);
}

}  // namespace
}  // namespace ferkit
