// Measures where FER2013's registered faces have their eyes and mouth: dlib's HOG detector and
// 68-point landmarks on FER+ training faces upsampled 4x, averaged in the 48x48 crop's unit
// coordinates. The result is the alignment template of infer/face_align.cpp, which states the
// command and the figures it came from.
//
//   build/bin/bench_face_template ../shared/data/ferplus [EVERY=5]
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
#include "ferkit/util/threads.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FERPLUS_DIR [EVERY=5]\n", argv[0]);
    return 2;
  }
  const int every = argc > 2 ? std::atoi(argv[2]) : 5;
  ferkit::LoadOptions lo;
  lo.splits = {"train"};
  const ferkit::Dataset ds = ferkit::load_dataset(argv[1], lo);
  const ferkit::Split& train = ds.split("train");
  ferkit::infer::DlibFaces faces;
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
    std::lock_guard<std::mutex> lock(mutex);
    ++tried;
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
  std::sort(misfits.begin(), misfits.end());
  auto at = [&](double q) { return misfits.empty() ? 0.0 : misfits[static_cast<size_t>(q * (misfits.size() - 1))]; };
  const auto over = std::count_if(misfits.begin(), misfits.end(), [](double m) { return m > ferkit::infer::DetectorOptions{}.max_misfit; });
  std::printf("misfit to the compiled-in template (eye distances): median %.3f, 90th %.3f, 99th %.3f, max %.3f; "
              "%.2f %% over the default limit %.2f\n", at(0.5), at(0.9), at(0.99), at(1.0), 100.0 * over / std::max<size_t>(1, misfits.size()),
              ferkit::infer::DetectorOptions{}.max_misfit);
  return 0;
}
