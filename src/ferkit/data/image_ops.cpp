#include "ferkit/data/image_ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace ferkit {

cv::Matx23d framing_map(int side, double scale, double angle_deg, double dx, double dy) {
  const double centre = (side - 1) / 2.0, angle = angle_deg * M_PI / 180.0;
  const double a = scale * std::cos(angle), b = scale * std::sin(angle);
  // rotate and zoom about the centre, then shift
  return cv::Matx23d(a, -b, centre - a * centre + b * centre + dx, b, a, centre - b * centre - a * centre + dy);
}

void apply_tone(cv::Mat& image, double gamma, double contrast, double brightness) {
  if (gamma != 1.0) cv::pow(cv::max(image, 0.0), gamma, image);
  const double m = cv::mean(image)[0];
  image.convertTo(image, CV_32F, contrast, (1 - contrast) * m + brightness);
  cv::min(cv::max(image, 0.0), 1.0, image);
}

void apply_blur(cv::Mat& image, double sigma_of_48) {
  const double sigma = sigma_of_48 * image.cols / 48.0;
  cv::GaussianBlur(image, image, cv::Size(0, 0), sigma, sigma, kImageBorder);
}

void apply_lowres(cv::Mat& image, double factor) {
  // no face below 4 pixels a side
  const cv::Size small(std::max(4, static_cast<int>(std::lround(image.cols / factor))),
                       std::max(4, static_cast<int>(std::lround(image.rows / factor))));
  cv::Mat down;
  cv::resize(image, down, small, 0, 0, cv::INTER_AREA);
  cv::resize(down, image, image.size(), 0, 0, cv::INTER_LINEAR);
}

void apply_jpeg(cv::Mat& image, int quality) {
  cv::Mat bytes8;
  image.convertTo(bytes8, CV_8U, 255.0);
  std::vector<uchar> encoded;
  cv::imencode(".jpg", bytes8, encoded, {cv::IMWRITE_JPEG_QUALITY, std::clamp(quality, 1, 100)});
  cv::imdecode(encoded, cv::IMREAD_GRAYSCALE).convertTo(image, CV_32F, 1.0 / 255.0);
}

}  // namespace ferkit
