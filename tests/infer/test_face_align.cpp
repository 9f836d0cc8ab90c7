// Face alignment: the similarity fit, the template misfit, the aligned crop; dlib's detector on a
// real photograph (Debian opencv-doc's messi5.jpg; skipped without it or without libdlib-data).
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "ferkit/infer/face_align.h"
#include "ferkit/infer/face_detector.h"

namespace ferkit::infer {
namespace {

// Landmarks whose eye and mouth centres are the given points (every point of a group at its centre).
Landmarks landmarks_at(const std::array<cv::Point2f, 3>& p) {
  Landmarks l;
  l.fill(cv::Point2f(0, 0));
  for (int k = 36; k <= 41; ++k) l[k] = p[0];
  for (int k = 42; k <= 47; ++k) l[k] = p[1];
  for (int k = 48; k <= 67; ++k) l[k] = p[2];
  return l;
}

cv::Point2f apply(const cv::Matx23d& m, cv::Point2f p) {
  return cv::Point2f(static_cast<float>(m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2)), static_cast<float>(m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)));
}

TEST(FaceAlign, SimilarityFitRecoversAKnownTransform) {
  const double angle = 0.4, scale = 2.5;
  const cv::Matx23d truth(scale * std::cos(angle), -scale * std::sin(angle), 30, scale * std::sin(angle), scale * std::cos(angle), -7);
  std::array<cv::Point2f, 3> from = {cv::Point2f(1, 2), cv::Point2f(9, 3), cv::Point2f(4, 11)}, to;
  for (int k = 0; k < 3; ++k) to[k] = apply(truth, from[k]);
  const cv::Matx23d fit = fit_similarity(from, to);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(fit(i, j), truth(i, j), 1e-4);
}

TEST(FaceAlign, MisfitIsZeroForTheTemplateShapeAndLargeForAnother) {
  std::array<cv::Point2f, 3> moved;  // the template, rotated, scaled and shifted: the same shape
  const cv::Matx23d m(0.0, -300, 500, 300, 0.0, 100);
  for (int k = 0; k < 3; ++k) moved[k] = apply(m, kFer2013EyesAndMouth[k]);
  EXPECT_NEAR(template_misfit(landmarks_at(moved)), 0.0, 1e-4);
  // Mouth between the eyes: no face.
  EXPECT_GT(template_misfit(landmarks_at({cv::Point2f(0, 0), cv::Point2f(10, 0), cv::Point2f(5, 0.5f)})), 0.25);
  EXPECT_GT(template_misfit(landmarks_at({cv::Point2f(3, 3), cv::Point2f(3, 3), cv::Point2f(3, 3)})), 1e6);  // degenerate
}

TEST(FaceAlign, AlignedCropPutsEyesAndMouthOnTheTemplate) {
  // Three dots on a large canvas, rotated 20 degrees: after alignment to 48x48 they sit where
  // FER2013's eyes and mouth are.
  cv::Mat canvas(600, 800, CV_8UC1, cv::Scalar(0));
  std::array<cv::Point2f, 3> dots;
  const double a = 20 * M_PI / 180, s = 400;
  for (int k = 0; k < 3; ++k) {
    const cv::Point2f t = kFer2013EyesAndMouth[k] - cv::Point2f(0.5f, 0.5f);
    dots[k] = cv::Point2f(static_cast<float>(400 + s * (std::cos(a) * t.x - std::sin(a) * t.y)),
                          static_cast<float>(300 + s * (std::sin(a) * t.x + std::cos(a) * t.y)));
    cv::circle(canvas, dots[k], 12, cv::Scalar(255), cv::FILLED, cv::LINE_AA);
  }
  const cv::Mat before = canvas.clone();
  const cv::Mat face = align_face(canvas, landmarks_at(dots), 48);
  ASSERT_EQ(face.size(), cv::Size(48, 48));
  // Shrinking 8x blurs first: into a copy, never into the caller's picture (its other faces).
  EXPECT_EQ(cv::countNonZero(before != canvas), 0);
  for (int k = 0; k < 3; ++k) {
    const cv::Point expected(cvRound(kFer2013EyesAndMouth[k].x * 48 - 0.5), cvRound(kFer2013EyesAndMouth[k].y * 48 - 0.5));
    EXPECT_GT(face.at<uint8_t>(expected), 150) << "point " << k;  // a dot of radius 1.4 pixels there, blurred by the shrinking
  }
  EXPECT_LT(face.at<uint8_t>(2, 2), 10);  // the background stays background
}

const char* kMessi = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

TEST(FaceAlign, DlibFindsTheOneFaceOfARealPhotograph) {
  if (!std::filesystem::exists(kMessi) || !std::filesystem::exists("/usr/share/dlib/shape_predictor_68_face_landmarks.dat"))
    GTEST_SKIP() << "needs Debian's opencv-doc (messi5.jpg) and libdlib-data (scripts/install-deps.sh installs them)";
  const cv::Mat gray = cv::imread(kMessi, cv::IMREAD_GRAYSCALE);
  DetectorOptions o;
  o.kind = "dlib";
  FaceDetector detector(o);
  const auto faces = detector.find(gray);
  ASSERT_EQ(faces.size(), 1u);
  ASSERT_TRUE(faces[0].landmarks.has_value());
  // The face is in the upper middle of the 548x342 picture, about 60 pixels wide.
  const cv::Rect& b = faces[0].box;
  EXPECT_GT(b.x, 150);
  EXPECT_LT(b.x + b.width, 400);
  EXPECT_LT(b.y + b.height, 200);
  const auto em = eyes_and_mouth(*faces[0].landmarks);
  EXPECT_LT(em[0].x, em[1].x);  // left eye left of the right eye
  EXPECT_GT(em[2].y, em[0].y);  // mouth below the eyes
  EXPECT_LT(template_misfit(*faces[0].landmarks), 0.12);
  EXPECT_EQ(detector.crop(gray, faces[0], 48).size(), cv::Size(48, 48));
}

}  // namespace
}  // namespace ferkit::infer

namespace ferkit::infer {
namespace {

// A real video (Debian opencv-doc's Megamind.avi, an animated film's dinner scene): every 10th of
// its 270 frames through the default detector. dlib finds the heroine's face in 26 of the 27 frames
// (and the man behind her in 7); a detector that loses her in more than 2 fails.
TEST(FaceAlign, DefaultDetectorFollowsTheFaceThroughARealVideo) {
  const char* video_path = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";
  if (!std::filesystem::exists(video_path) || !std::filesystem::exists("/usr/share/dlib/shape_predictor_68_face_landmarks.dat"))
    GTEST_SKIP() << "needs Debian's opencv-doc (Megamind.avi) and libdlib-data (scripts/install-deps.sh installs them)";
  cv::VideoCapture video(video_path);
  FaceDetector detector(DetectorOptions{});
  int frames = 0, with_face = 0, most = 0;
  cv::Mat frame, gray;
  for (int k = 0; video.read(frame); ++k) {
    if (k % 10) continue;
    cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
    const auto faces = detector.find(gray);
    ++frames;
    with_face += !faces.empty();
    most = std::max(most, static_cast<int>(faces.size()));
    for (const auto& f : faces) EXPECT_EQ(detector.crop(gray, f, 48).size(), cv::Size(48, 48));
  }
  EXPECT_EQ(frames, 27);
  EXPECT_GE(with_face, 25);
  EXPECT_LE(most, 2);  // two people at most are in the scene
}

}  // namespace
}  // namespace ferkit::infer
