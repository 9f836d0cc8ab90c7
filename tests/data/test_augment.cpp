// Geometry and determinism of the augmentations and the batch loader.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/data/augment.h"
#include "ferkit/data/loader.h"
#include "ferkit/util/error.h"

namespace ferkit {
namespace {

cv::Mat ramp_image(int s = 48) {
  cv::Mat m(s, s, CV_8U);
  for (int y = 0; y < s; ++y)
    for (int x = 0; x < s; ++x) m.at<uint8_t>(y, x) = static_cast<uint8_t>((x * 5 + y * 3) % 256);
  return m;
}

torch::Tensor run(const cv::Mat& img, const AugmentConfig& cfg, const Preprocess& pre, bool train, uint64_t seed,
                  Geometry* g = nullptr) {
  Rng rng(seed);
  torch::Tensor out = torch::empty({pre.channels, pre.input_size, pre.input_size});
  augment_image(img, cfg, pre, train, rng, out.data_ptr<float>(), g);
  return out;
}

torch::Tensor as_unit(const cv::Mat& img) {
  return torch::from_blob(img.data, {1, img.rows, img.cols}, torch::kUInt8).to(torch::kFloat32) / 255.0;
}

TEST(Augment, NoOpsAtSourceSizeIsIdentity) {
  const cv::Mat img = ramp_image();
  AugmentConfig cfg;
  cfg.ops = "none";
  EXPECT_TRUE(torch::allclose(run(img, cfg, {}, true, 1), as_unit(img), 0, 1e-6));
  cfg.ops = "flip,affine,color";
  EXPECT_TRUE(torch::allclose(run(img, cfg, {}, false, 1), as_unit(img), 0, 1e-6));  // eval: no augmentation
}

TEST(Augment, FlipMirrorsExactlyAndTwiceIsIdentity) {
  const cv::Mat img = ramp_image();
  AugmentConfig cfg;
  cfg.ops = "flip";
  cfg.flip_p = 1.0;
  EXPECT_TRUE(torch::allclose(run(img, cfg, {}, true, 1), as_unit(img).flip({2}), 0, 1e-6));
  cfg.ops = "flip,flip";
  EXPECT_TRUE(torch::allclose(run(img, cfg, {}, true, 1), as_unit(img), 0, 1e-6));
}

TEST(Augment, AlternatingFlipShowsEveryImageBothWaysInAnyTwoEpochs) {
  AugmentConfig cfg;
  cfg.ops = "altflip";
  Rng rng(1);
  auto flipped = [&](int64_t image, int64_t epoch, uint64_t seed) {
    return sample_geometry(48, cfg, rng, DrawKey{image, epoch, seed}).source_to_output(0, 0) < 0;
  };
  int first_epoch = 0;
  for (int64_t image = 0; image < 1000; ++image) {
    const bool f0 = flipped(image, 0, 7);
    first_epoch += f0;
    for (int64_t epoch = 1; epoch < 6; ++epoch) ASSERT_EQ(flipped(image, epoch, 7), (epoch % 2 == 1) != f0) << image;
    ASSERT_EQ(flipped(image, 0, 7), f0);  // a function of (seed, image, epoch), not of the generator
  }
  EXPECT_NEAR(first_epoch, 500, 60);  // a fair coin per image
  int differ = 0;
  for (int64_t image = 0; image < 1000; ++image) differ += flipped(image, 0, 7) != flipped(image, 0, 8);
  EXPECT_NEAR(differ, 500, 60);  // another seed, other coins
  // The flip itself is flip's exact mirror.
  const cv::Mat img = ramp_image();
  Preprocess pre;
  torch::Tensor out = torch::empty({1, 48, 48});
  int64_t image = 0;
  while (!flipped(image, 0, 7)) ++image;
  Rng r2(1);
  augment_image(img, cfg, pre, true, r2, out.data_ptr<float>(), nullptr, DrawKey{image, 0, 7});
  EXPECT_TRUE(torch::allclose(out, as_unit(img).flip({2}), 0, 1e-6));
  augment_image(img, cfg, pre, true, r2, out.data_ptr<float>(), nullptr, DrawKey{image, 1, 7});
  EXPECT_TRUE(torch::allclose(out, as_unit(img), 0, 1e-6));
}

TEST(Augment, RandomResizedCropStaysInsideTheImage) {
  AugmentConfig cfg;
  cfg.ops = "crop";
  cfg.crop_area_min = 0.3;
  cfg.crop_ratio_max = 2.0;
  Rng rng(7);
  for (int i = 0; i < 2000; ++i) {
    const Geometry g = sample_geometry(48, cfg, rng);
    const cv::Rect2d& r = g.last_crop;
    ASSERT_GE(r.x, 0.0);
    ASSERT_GE(r.y, 0.0);
    ASSERT_LE(r.x + r.width, 48.0 + 1e-9);
    ASSERT_LE(r.y + r.height, 48.0 + 1e-9);
    // the crop's corners map to the output's corners
    const cv::Vec3d tl(r.x - 0.5, r.y - 0.5, 1);
    const cv::Vec2d out = g.source_to_output * tl;
    ASSERT_NEAR(out[0], -0.5, 1e-9);
    ASSERT_NEAR(out[1], -0.5, 1e-9);
  }
}

TEST(Augment, AffineShiftMovesTheImageByItsTranslation) {
  // A pure shift: the intensity centroid of a blob moves by exactly the map's translation.
  AugmentConfig cfg;
  cfg.ops = "affine";
  cfg.rotate_deg = 0;
  cfg.scale = 0;
  cfg.shift = 0.1;
  Rng rng(3);
  const Geometry g = sample_geometry(48, cfg, rng);
  const double tx = g.source_to_output(0, 2), ty = g.source_to_output(1, 2);
  EXPECT_NEAR(g.source_to_output(0, 0), 1.0, 1e-12);
  EXPECT_LE(std::abs(tx), 4.8 + 1e-9);
  EXPECT_GT(std::abs(tx) + std::abs(ty), 0.1);
  cv::Mat img(48, 48, CV_8U, cv::Scalar(0));
  cv::circle(img, cv::Point(24, 24), 4, cv::Scalar(255), cv::FILLED);
  const torch::Tensor out = run(img, cfg, {}, true, 3)[0];  // the same seed draws the same shift
  const torch::Tensor xs = torch::arange(48).to(torch::kFloat32);
  auto centroid = [&](const torch::Tensor& m) {
    const double total = m.sum().item<double>();
    return std::make_pair((m.sum(0) * xs).sum().item<double>() / total, (m.sum(1) * xs).sum().item<double>() / total);
  };
  const auto [x0, y0] = centroid(as_unit(img)[0]);
  const auto [x1, y1] = centroid(out);
  // OpenCV's warp interpolates in fixed point, to 1/32 of a pixel
  EXPECT_NEAR(x1 - x0, tx, 1.0 / 32);
  EXPECT_NEAR(y1 - y0, ty, 1.0 / 32);
}

TEST(Augment, ResizeAndNormalisationPresets) {
  const cv::Mat flat(48, 48, CV_8U, cv::Scalar(255));
  Preprocess pre;
  pre.input_size = 112;
  pre.channels = 3;
  pre.normalize = "imagenet";
  const torch::Tensor x = run(flat, AugmentConfig{}, pre, false, 1);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{3, 112, 112}));
  EXPECT_NEAR(x[0].mean().item<float>(), (1 - 0.485f) / 0.229f, 1e-4);
  EXPECT_NEAR(x[2].mean().item<float>(), (1 - 0.406f) / 0.225f, 1e-4);
  pre.normalize = "keras";
  EXPECT_NEAR(run(cv::Mat(48, 48, CV_8U, cv::Scalar(0)), AugmentConfig{}, pre, false, 1).max().item<float>(), -1.0f, 1e-6);
  pre.normalize = "pixels";
  EXPECT_THROW(pre.validate(), Error);
}

TEST(Augment, ColorChangesValuesNotPlacesAndStaysInRange) {
  const cv::Mat img = ramp_image();
  AugmentConfig cfg;
  cfg.ops = "color";
  cfg.brightness = 0.5;
  cfg.contrast = 0.5;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const torch::Tensor out = run(img, cfg, {}, true, seed);
    EXPECT_GE(out.min().item<float>(), 0.0f);
    EXPECT_LE(out.max().item<float>(), 1.0f);
    // one affine map of intensities, the same for every pixel (the geometry is untouched):
    // where nothing was clipped, out = gain * in + offset
    const torch::Tensor in = as_unit(img)[0].flatten(), o = out[0].flatten();
    const torch::Tensor inside = (o > 1e-6) & (o < 1 - 1e-6);
    const torch::Tensor x = in.masked_select(inside), y = o.masked_select(inside);
    ASSERT_GT(x.numel(), 100);
    const int64_t lo = x.argmin().item<int64_t>(), hi = x.argmax().item<int64_t>();
    const float gain = (y[hi] - y[lo]).item<float>() / (x[hi] - x[lo]).item<float>();
    const float offset = y[lo].item<float>() - gain * x[lo].item<float>();
    EXPECT_TRUE(torch::allclose(y, x * gain + offset, 0, 1e-4)) << "seed " << seed;
    EXPECT_NEAR(gain, 1.0, 0.5 + 1e-6);
  }
}

TEST(Augment, EraseOverwritesOneRectangleOnly) {
  const cv::Mat img(48, 48, CV_8U, cv::Scalar(0));
  AugmentConfig cfg;
  cfg.ops = "erase";
  cfg.erase_p = 1.0;
  cfg.erase_area_max = 0.2;
  const torch::Tensor changed = (run(img, cfg, {}, true, 9)[0] != 0).to(torch::kInt64);
  const int64_t n = changed.sum().item<int64_t>();
  EXPECT_GT(n, 0);
  EXPECT_LE(n, static_cast<int64_t>(0.2 * 48 * 48) + 48);
  // the changed pixels fill their bounding box (up to noise values that happen to be 0)
  const auto rows = changed.sum(1).nonzero(), cols = changed.sum(0).nonzero();
  const int64_t h = rows.max().item<int64_t>() - rows.min().item<int64_t>() + 1;
  const int64_t w = cols.max().item<int64_t>() - cols.min().item<int64_t>() + 1;
  EXPECT_EQ(h * w, n);
}

TEST(Augment, RobustnessOpsAreTheirOpenCvOperations) {
  const cv::Mat img = ramp_image();
  const Preprocess pre;  // 48x48 gray, no normalisation: values in [0, 1]
  const torch::Tensor plain = as_unit(img);
  cv::Mat unit;
  img.convertTo(unit, CV_32F, 1.0 / 255.0);
  auto as_mat = [](const torch::Tensor& t) { return cv::Mat(48, 48, CV_32F, t.data_ptr<float>()).clone(); };
  AugmentConfig c;
  // At the parameters where the draw is fixed, each op is exactly its OpenCV operation.
  c.ops = "blur";
  c.blur_p = 1.0;
  c.blur_sigma = 0.1;  // sigma drawn from [0.1, 0.1]
  cv::Mat blurred;
  cv::GaussianBlur(unit, blurred, cv::Size(0, 0), 0.1, 0.1, cv::BORDER_REFLECT_101);
  EXPECT_LT(cv::norm(as_mat(run(img, c, pre, true, 1)), blurred, cv::NORM_INF), 1e-6);
  // a checkerboard of 2-pixel squares: blur always changes it (the ramp is nearly linear)
  cv::Mat board(48, 48, CV_8U);
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 48; ++x) board.at<uint8_t>(y, x) = ((x / 2 + y / 2) % 2) * 255;
  c.blur_sigma = 1.5;
  float most = 0;  // over a few draws of sigma in [0.1, 1.5]
  for (uint64_t seed = 1; seed <= 8; ++seed) most = std::max(most, (run(board, c, pre, true, seed) - as_unit(board)).abs().max().item<float>());
  EXPECT_GT(most, 0.2f);
  c.blur_p = 0.0;
  EXPECT_TRUE(torch::allclose(run(img, c, pre, true, 1), plain, 0, 1e-6));
  c.ops = "jpeg";
  c.jpeg_p = 1.0;
  c.jpeg_quality_min = 95;  // quality drawn from [95, 95]
  std::vector<uint8_t> bytes;
  cv::imencode(".jpg", img, bytes, {cv::IMWRITE_JPEG_QUALITY, 95});
  cv::Mat decoded;
  cv::imdecode(bytes, cv::IMREAD_GRAYSCALE).convertTo(decoded, CV_32F, 1.0 / 255.0);
  EXPECT_LT(cv::norm(as_mat(run(img, c, pre, true, 2)), decoded, cv::NORM_INF), 1e-6);
  c.ops = "lowres";
  c.lowres_p = 1.0;
  c.lowres_factor = 1.0;  // no shrink: the image itself
  EXPECT_TRUE(torch::allclose(run(img, c, pre, true, 3), plain, 0, 1e-6));
  c.lowres_factor = 3.0;
  EXPECT_GT((run(img, c, pre, true, 3) - plain).abs().max().item<float>(), 0.02f);
  c.ops = "gamma";
  c.gamma = 1.0;  // exponent 1
  EXPECT_TRUE(torch::allclose(run(img, c, pre, true, 4), plain, 0, 1e-6));
  c.gamma = 2.0;
  const torch::Tensor g = run(img, c, pre, true, 4);
  EXPECT_GE(g.min().item<float>(), 0.0f);
  EXPECT_LE(g.max().item<float>(), 1.0f);
  // gamma keeps the order of grey levels: a monotone map
  const torch::Tensor order_in = plain.flatten().argsort(), sorted_out = g.flatten().index_select(0, order_in);
  EXPECT_TRUE((sorted_out.slice(0, 1) >= sorted_out.slice(0, 0, -1) - 1e-6).all().item<bool>());
  // same seed, same result; evaluation (train = false) applies none of them
  c.ops = "gamma,blur,lowres,jpeg";
  c.blur_p = c.lowres_p = c.jpeg_p = 1.0;
  c.jpeg_quality_min = 15;
  EXPECT_TRUE(torch::equal(run(img, c, pre, true, 9), run(img, c, pre, true, 9)));
  EXPECT_TRUE(torch::allclose(run(img, c, pre, false, 9), plain, 0, 1e-6));
  c.gamma = 0.5;
  EXPECT_THROW(validate_augment(c), Error);
}

TEST(Augment, UnknownNameIsAnError) {
  AugmentConfig cfg;
  cfg.ops = "flip,warp";
  EXPECT_THROW(validate_augment(cfg), Error);
}

// Image i is the constant i + 1 and its target the one-hot of class i, so a mixed row says which
// two images it mixes (its target's two classes) and with what weight: its pixels must be mixed
// with the same pair and the same lambda as its target.
// A batch of one image per class: image i is the constant i + 1 (side x side), its target one-hot.
torch::Tensor numbered_images(int64_t side) {
  const int64_t b = kNumEmotions;
  return (torch::arange(b).to(torch::kFloat32) + 1).view({b, 1, 1, 1}).expand({b, 1, side, side}).contiguous();
}

TEST(Augment, MixupMixesImagesAndTargetsAlike) {
  const int b = kNumEmotions;
  const torch::Tensor images = numbered_images(8), targets = torch::eye(b);
  AugmentConfig cfg;
  cfg.mixup_alpha = 0.4;
  Rng rng(5);
  int mixed_rows = 0;
  for (int trial = 0; trial < 10; ++trial) {
    torch::Tensor im = images.clone(), t = targets.clone();
    mix_batch(im, t, cfg, rng);
    EXPECT_TRUE(torch::allclose(t.sum(1), torch::ones({b}), 1e-5, 1e-6));
    for (int i = 0; i < b; ++i) {
      const float lam = t[i][i].item<float>();     // own share
      const int partner = (t[i] - lam * targets[i]).argmax().item<int>();
      const float expected = lam == 1.0f ? i + 1.0f : lam * (i + 1) + (1 - lam) * (partner + 1);
      EXPECT_NEAR(im[i].mean().item<float>(), expected, 1e-4) << "trial " << trial << " row " << i;
      EXPECT_NEAR(im[i].max().item<float>() - im[i].min().item<float>(), 0.0, 1e-5);  // mixed everywhere alike
      mixed_rows += lam < 0.999f;
    }
  }
  EXPECT_GT(mixed_rows, 20);  // mixing happened (a mix_batch that does nothing fails here)
}

// CutMix pastes a rectangle of the partner image: the share of pixels still the row's own must
// be its target's weight on its own class.
TEST(Augment, CutmixTargetsFollowThePastedArea) {
  const int b = kNumEmotions;
  const torch::Tensor images = numbered_images(16), targets = torch::eye(b);
  AugmentConfig cfg;
  cfg.cutmix_alpha = 1.0;
  Rng rng(11);
  int mixed_rows = 0;
  for (int trial = 0; trial < 10; ++trial) {
    torch::Tensor im = images.clone(), t = targets.clone();
    mix_batch(im, t, cfg, rng);
    for (int i = 0; i < b; ++i) {
      const float own_pixels = (im[i] == static_cast<float>(i + 1)).to(torch::kFloat32).mean().item<float>();
      const float lam = t[i][i].item<float>();
      if (lam < 1.0f) EXPECT_NEAR(own_pixels, lam, 1e-5) << "trial " << trial << " row " << i;
      mixed_rows += lam < 0.999f;
    }
  }
  EXPECT_GT(mixed_rows, 10);
}

Split make_split(int n) {
  Split s;
  s.name = "train";
  s.images = (torch::arange(n * 48 * 48) % 251).to(torch::kUInt8).reshape({n, 48, 48});
  s.votes = torch::zeros({n, 10}, torch::kInt32);
  for (int i = 0; i < n; ++i) s.votes[i][i % 8] = 10;
  s.files.resize(n);
  return s;
}

TEST(Loader, SameSeedSameBatchesWhateverTheWorkerCount) {
  const Split split = make_split(100);
  const LabelledSplit labels = label_split(split, LabelMode::kMajority);
  AugmentConfig aug;
  aug.ops = "flip,crop,affine,color,erase";
  aug.mixup_alpha = 0.2;
  auto epoch_batches = [&](int workers, uint64_t seed) {
    LoaderConfig lc;
    lc.batch_size = 16;
    lc.workers = workers;
    lc.seed = seed;
    BatchLoader loader(split, labels, lc, aug, Preprocess{});
    loader.start_epoch(3);
    std::vector<torch::Tensor> out;
    while (auto b = loader.next()) out.push_back(b->images);
    return out;
  };
  const auto a = epoch_batches(0, 11), b = epoch_batches(3, 11), c = epoch_batches(2, 12);
  ASSERT_EQ(a.size(), 7u);  // 100 / 16 rounded up
  EXPECT_EQ(a.back().size(0), 4);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "batch " << i;
  EXPECT_FALSE(torch::equal(a[0], c[0]));
}

TEST(Loader, UniformEpochVisitsEveryImageOnce) {
  const Split split = make_split(50);
  const LabelledSplit labels = label_split(split, LabelMode::kMajority);
  LoaderConfig lc;
  lc.batch_size = 8;
  BatchLoader loader(split, labels, lc, AugmentConfig{}, Preprocess{});
  loader.start_epoch(0);
  std::vector<int64_t> seen;
  while (auto b = loader.next()) {
    for (int64_t i = 0; i < b->index.size(0); ++i) {
      seen.push_back(b->index[i].item<int64_t>());
      EXPECT_EQ(b->labels[i].item<int64_t>(), seen.back() % 8);  // labels travel with their images
    }
  }
  std::sort(seen.begin(), seen.end());
  ASSERT_EQ(seen.size(), 50u);
  for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(seen[i], i);
}

}  // namespace
}  // namespace ferkit
