// Measures where FER2013's registered faces have their eyes and mouth: dlib's HOG detector and
// 68-point landmarks on FER+ training faces upsampled 4x, averaged in the 48x48 crop's unit
// coordinates. The result is the alignment template of infer/face_align.cpp, which states the
// command and the figures it came from. Where face-api's weights are installed it also measures
// how dlib's boxes sit in the tiny face detector's boxes on the same faces: the landmark model
// expects dlib's framing, so infer/face_detector.cpp maps a tiny box to a dlib-like one with these
// figures before fitting landmarks.
//
//   build/bin/ferkit_bench face_template ../shared/data/ferplus [EVERY=5]
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <mutex>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "ferkit/data/dataset.h"
#include "ferkit/infer/dlib_faces.h"
#include "ferkit/infer/face_align.h"
#include "ferkit/infer/face_detector.h"
#include "ferkit/infer/tiny_face_detector.h"
#include "ferkit/util/error.h"
#include "ferkit/util/threads.h"

int bench_face_template_main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ferkit_bench %s FERPLUS_DIR [EVERY=5]\n", argv[0]);
    return 2;
  }
  const int every = argc > 2 ? std::atoi(argv[2]) : 5;
  ferkit::LoadOptions lo;
  lo.splits = {"train"};
  const ferkit::Dataset ds = ferkit::load_dataset(argv[1], lo);
  const ferkit::Split& train = ds.split("train");
  ferkit::infer::DlibFaces faces;
  std::unique_ptr<ferkit::infer::TinyFaceDetector> tiny;
  try {
    tiny = std::make_unique<ferkit::infer::TinyFaceDetector>();
  } catch (const ferkit::Error& e) {
    std::printf("(no tiny-box mapping: %s)\n", e.what());
  }
  int64_t tiny_found = 0, both = 0;
  double box_sum[3] = {0}, box_sq[3] = {0};  // dlib centre offset (x, y) and side, in tiny box units
  const int scale = 4;
  std::mutex mutex;
  int64_t tried = 0, found = 0;
  double sum[6] = {0}, sq[6] = {0};
  std::vector<double> misfits;  // against the template compiled in (face_align.cpp)
  const int64_t n = (train.size() + every - 1) / every;
  ferkit::parallel_for_each(n, ferkit::available_cores(), [&](int64_t k) {
    const int64_t i = k * every;
    const cv::Mat small(ds.image_size, ds.image_size, CV_8UC1, train.images[i].data_ptr<uint8_t>());
    cv::Mat big;
    cv::resize(small, big, cv::Size(), scale, scale, cv::INTER_CUBIC);
    const auto detected = faces.detect(big, 0);
    std::vector<ferkit::infer::ScoredBox> tiny_boxes;
    if (tiny) {  // a face that fills the whole picture is rarely found: it gets a border of half its side
      const int pad = big.cols / 2;
      cv::Mat framed;
      cv::copyMakeBorder(big, framed, pad, pad, pad, pad, cv::BORDER_REPLICATE);
      tiny_boxes = tiny->detect(framed);
      for (auto& b : tiny_boxes) b.box.x -= pad, b.box.y -= pad;
    }
    std::lock_guard<std::mutex> lock(mutex);
    ++tried;
    tiny_found += !tiny_boxes.empty();
    if (!tiny_boxes.empty() && !detected.empty()) {
      const cv::Rect2d& t = tiny_boxes.front().box;
      const cv::Rect& d = detected.front().box;
      const double v[3] = {(d.x + d.width / 2.0 - (t.x + t.width / 2)) / t.width, (d.y + d.height / 2.0 - (t.y + t.height / 2)) / t.height,
                           d.width / t.width};
      for (int j = 0; j < 3; ++j) box_sum[j] += v[j], box_sq[j] += v[j] * v[j];
      ++both;
    }
    if (detected.empty()) return;
    ++found;
    misfits.push_back(ferkit::infer::template_misfit(detected.front().landmarks));
    const auto p = ferkit::infer::eyes_and_mouth(detected.front().landmarks);
    const double side = static_cast<double>(big.cols);
    const double v[6] = {p[0].x / side, p[0].y / side, p[1].x / side, p[1].y / side, p[2].x / side, p[2].y / side};
    for (int j = 0; j < 6; ++j) sum[j] += v[j], sq[j] += v[j] * v[j];
  });
  std::printf("FER+ train: %lld of %lld faces found by dlib's HOG detector at 4x (%.1f %%)\n", static_cast<long long>(found),
              static_cast<long long>(tried), 100.0 * found / std::max<int64_t>(1, tried));
  const char* names[3] = {"left eye", "right eye", "mouth"};
  for (int j = 0; j < 3; ++j) {
    const double mx = sum[2 * j] / found, my = sum[2 * j + 1] / found;
    std::printf("%-9s x %.4f (sd %.4f)  y %.4f (sd %.4f)   [unit coordinates of the crop]\n", names[j], mx,
                std::sqrt(std::max(0.0, sq[2 * j] / found - mx * mx)), my, std::sqrt(std::max(0.0, sq[2 * j + 1] / found - my * my)));
  }
  if (tiny) {
    std::printf("tiny face detector (input 416): %lld of %lld faces found (%.1f %%)\n", static_cast<long long>(tiny_found),
                static_cast<long long>(tried), 100.0 * tiny_found / std::max<int64_t>(1, tried));
    const char* box_names[3] = {"dlib centre x - tiny centre x, in tiny widths", "dlib centre y - tiny centre y, in tiny heights",
                                "dlib side / tiny width"};
    for (int j = 0; j < 3; ++j) {
      const double m = box_sum[j] / std::max<int64_t>(1, both);
      std::printf("%-48s %.4f (sd %.4f), %lld faces\n", box_names[j], m, std::sqrt(std::max(0.0, box_sq[j] / both - m * m)),
                  static_cast<long long>(both));
    }
  }
  std::sort(misfits.begin(), misfits.end());
  auto at = [&](double q) { return misfits.empty() ? 0.0 : misfits[static_cast<size_t>(q * (misfits.size() - 1))]; };
  const auto over = std::count_if(misfits.begin(), misfits.end(), [](double m) { return m > ferkit::infer::DetectorOptions{}.max_misfit; });
  std::printf("misfit to the compiled-in template (eye distances): median %.3f, 90th %.3f, 99th %.3f, max %.3f; "
              "%.2f %% over the default limit %.2f\n", at(0.5), at(0.9), at(0.99), at(1.0), 100.0 * over / std::max<size_t>(1, misfits.size()),
              ferkit::infer::DetectorOptions{}.max_misfit);
  return 0;
}
