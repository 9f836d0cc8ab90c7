#include "ferkit/infer/face_align.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

namespace ferkit::infer {

// Measured on all 28,558 FER+ training faces, upsampled 4x (bicubic), with dlib's HOG detector
// and 68-point landmarks (Debian libdlib 19.24): `build/bin/ferkit_bench face_template
// ../shared/data/ferplus 1` (bench/face_template.cpp). See docs/using-models.md (alignment) for the
// found share and the spread.
// Found in 19,780 of the 28,558 (69.3 %); spread of each coordinate over the faces: sd 0.059-0.079.
const std::array<cv::Point2f, 3> kFer2013EyesAndMouth = {cv::Point2f(0.3158f, 0.3873f), cv::Point2f(0.6735f, 0.3832f),
                                                         cv::Point2f(0.4984f, 0.7770f)};

cv::Matx23d fit_similarity(const std::array<cv::Point2f, 3>& from, const std::array<cv::Point2f, 3>& to) {
  cv::Point2d mf(0, 0), mt(0, 0);
  for (int k = 0; k < 3; ++k) mf += cv::Point2d(from[k]), mt += cv::Point2d(to[k]);
  mf /= 3.0, mt /= 3.0;
  double norm = 0, a = 0, b = 0;  // the rotation-and-scale [a -b; b a] minimising the squared error
  for (int k = 0; k < 3; ++k) {
    const cv::Point2d p = cv::Point2d(from[k]) - mf, q = cv::Point2d(to[k]) - mt;
    norm += p.dot(p);
    a += p.x * q.x + p.y * q.y;
    b += p.x * q.y - p.y * q.x;
  }
  if (norm <= 0) return cv::Matx23d(1, 0, mt.x - mf.x, 0, 1, mt.y - mf.y);
  a /= norm, b /= norm;
  return cv::Matx23d(a, -b, mt.x - (a * mf.x - b * mf.y), b, a, mt.y - (b * mf.x + a * mf.y));
}

double template_misfit(const Landmarks& landmarks) {
  const auto p = eyes_and_mouth(landmarks);
  const cv::Matx23d m = fit_similarity(p, kFer2013EyesAndMouth);
  double sum = 0;
  for (int k = 0; k < 3; ++k) {
    const cv::Point2d q(m(0, 0) * p[k].x + m(0, 1) * p[k].y + m(0, 2), m(1, 0) * p[k].x + m(1, 1) * p[k].y + m(1, 2));
    sum += cv::norm(q - cv::Point2d(kFer2013EyesAndMouth[k]));
  }
  const double eyes = cv::norm(kFer2013EyesAndMouth[1] - kFer2013EyesAndMouth[0]);
  // A degenerate fit (all points together) maps everything onto the template's centre.
  return cv::norm(p[1] - p[0]) < 1e-3 ? 1e9 : sum / 3.0 / eyes;
}

cv::Mat align_face(const cv::Mat& gray, const Landmarks& landmarks, int side) {
  std::array<cv::Point2f, 3> target;
  for (int k = 0; k < 3; ++k) target[k] = kFer2013EyesAndMouth[k] * static_cast<float>(side);
  const cv::Matx23d m = fit_similarity(eyes_and_mouth(landmarks), target);
  cv::Mat out;
  // Shrinking a large face in one step aliases: blur first by the scale's share of a pixel.
  const double scale = std::hypot(m(0, 0), m(1, 0));
  // (into a new image: blurring into a header of `gray` would write over the caller's pixels)
  cv::Mat src;
  if (scale < 0.5) cv::GaussianBlur(gray, src, cv::Size(0, 0), 0.5 / scale);
  else src = gray;
  cv::warpAffine(src, out, cv::Mat(m), cv::Size(side, side), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

}  // namespace ferkit::infer
