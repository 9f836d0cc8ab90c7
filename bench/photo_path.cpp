// The photo path, measured: FER2013Valid faces placed into 640x480 photos (face 60-240 pixels,
// rotated up to 25 degrees, anywhere, one to three per photo, on clutter made of shuffled tiles of
// other images, JPEG quality 75), then found and classified by `ferkit predict`'s own Predictor
// with each detector setting. Reported per setting: faces found, false faces per photo, accuracy
// on the found faces against the same model on the original 48x48 crops, and time per photo.
//
//   build/bin/ferkit_bench photo_path ../shared/data/ferplus [PHOTOS=300] [MODEL=default shipped]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ferkit/data/dataset.h"
#include "ferkit/infer/predictor.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/util/threads.h"

namespace {
using namespace ferkit;

struct PlacedFace {
  int64_t row;           // row of the valid split
  cv::Point2f centre;
  float side;            // of the pasted 48x48 crop
  float angle;           // rotation, degrees
};
struct Photo {
  cv::Mat gray;
  std::vector<PlacedFace> faces;
};

cv::Mat face_of(const Split& s, int64_t row) { return cv::Mat(48, 48, CV_8UC1, s.images[row].data_ptr<uint8_t>()).clone(); }

// Clutter: 32x32 tiles cut from random places of random images, 16 pixels of each shown twice as
// large: texture and edges of faces, but no whole face.
cv::Mat clutter(const Split& s, std::mt19937_64& rng) {
  cv::Mat bg(480, 640, CV_8UC1);
  std::uniform_int_distribution<int64_t> any(0, s.size() - 1);
  std::uniform_int_distribution<int> at(0, 31);
  for (int y = 0; y < 480; y += 32)
    for (int x = 0; x < 640; x += 32) {
      const cv::Mat src = face_of(s, any(rng))(cv::Rect(at(rng) / 2, at(rng) / 2, 16, 16));
      cv::Mat tile;
      cv::resize(src, tile, cv::Size(32, 32), 0, 0, cv::INTER_LINEAR);
      tile.copyTo(bg(cv::Rect(x, y, 32, 32)));
    }
  cv::GaussianBlur(bg, bg, cv::Size(0, 0), 1.0);
  return bg;
}

Photo make_photo(const Split& s, const std::vector<int64_t>& rows, size_t& next, std::mt19937_64& rng) {
  Photo p{clutter(s, rng), {}};
  std::uniform_real_distribution<float> U(0, 1);
  const int n = U(rng) < 0.7f ? 1 : U(rng) < 0.5f ? 2 : 3;
  for (int k = 0; k < n && next < rows.size(); ++k) {
    const float side = 60 + 180 * U(rng) * (n > 1 ? 0.5f : 1.0f);
    const float angle = -25 + 50 * U(rng);
    cv::Point2f c;
    bool free = false;
    for (int tries = 0; tries < 50 && !free; ++tries) {
      c = cv::Point2f(side * 0.75f + U(rng) * (640 - 1.5f * side), side * 0.75f + U(rng) * (480 - 1.5f * side));
      free = true;
      for (const auto& o : p.faces) free = free && cv::norm(o.centre - c) > 0.8f * (o.side + side);
    }
    if (!free) continue;
    const cv::Mat face = face_of(s, rows[next]);
    // The 48x48 crop scaled to `side`, rotated about its centre, pasted where its rotated square falls.
    cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(23.5f, 23.5f), angle, side / 48.0);
    m.at<double>(0, 2) += c.x - 23.5;
    m.at<double>(1, 2) += c.y - 23.5;
    cv::Mat warped, mask;
    cv::warpAffine(face, warped, m, p.gray.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
    cv::warpAffine(cv::Mat(48, 48, CV_8UC1, cv::Scalar(255)), mask, m, p.gray.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
    warped.copyTo(p.gray, mask > 128);
    p.faces.push_back({rows[next++], c, side, angle});
  }
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", p.gray, jpeg, {cv::IMWRITE_JPEG_QUALITY, 75});
  p.gray = cv::imdecode(jpeg, cv::IMREAD_GRAYSCALE);
  return p;
}

struct Tally {
  int64_t faces = 0, found = 0, false_faces = 0, right = 0, right_on_crops = 0;
  int64_t by_side[3][2] = {}, by_angle[3][2] = {};  // [bucket][found, placed]: sides 60-100-160-240, |angle| 0-10-20-25
  double seconds = 0;
};

// A detection is of a placed face when its centre lies within a third of the face's side of the
// face's centre and its size is within a factor of 2.5 of the face (dlib's boxes are tighter).
int match(const cv::Rect& box, const std::vector<PlacedFace>& faces) {
  const cv::Point2f c(box.x + box.width / 2.0f, box.y + box.height / 2.0f);
  for (size_t k = 0; k < faces.size(); ++k) {
    const float ratio = box.width / faces[k].side;
    if (cv::norm(c - faces[k].centre) < faces[k].side / 3 && ratio > 0.4f && ratio < 2.5f) return static_cast<int>(k);
  }
  return -1;
}

std::string buckets(const int64_t (&b)[3][2]) {
  return fmt::format("{:.0f} / {:.0f} / {:.0f} %", 100.0 * b[0][0] / std::max<int64_t>(1, b[0][1]), 100.0 * b[1][0] / std::max<int64_t>(1, b[1][1]),
                     100.0 * b[2][0] / std::max<int64_t>(1, b[2][1]));
}

}  // namespace

int bench_photo_path_main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ferkit_bench %s FERPLUS_DIR [PHOTOS=300] [MODEL]\n", argv[0]);
    return 2;
  }
  const int photos = argc > 2 ? std::atoi(argv[2]) : 300;
  const std::string model = bundle_path_of(argc > 3 ? argv[3] : "");
  set_threads(0);
  use_opencv_threads();
  LoadOptions lo;
  lo.splits = {"valid"};
  const Dataset ds = load_dataset(argv[1], lo);
  const Split& valid = ds.split("valid");
  const LabelledSplit labelled = label_split(valid, LabelMode::kMajority);
  std::vector<int64_t> rows(labelled.index.data_ptr<int64_t>(), labelled.index.data_ptr<int64_t>() + labelled.size());
  std::vector<int64_t> label_of(valid.size(), -1);
  for (int64_t i = 0; i < labelled.size(); ++i) label_of[rows[i]] = labelled.labels[i].item<int64_t>();
  std::mt19937_64 rng(7);
  std::shuffle(rows.begin(), rows.end(), rng);
  std::vector<Photo> set;
  size_t next = 0;
  for (int i = 0; i < photos && next < rows.size(); ++i) set.push_back(make_photo(valid, rows, next, rng));

  struct Setting {
    std::string name;
    infer::DetectorOptions detector;
  };
  std::vector<Setting> settings(4);
  settings[0].name = "haar, margin crop";
  settings[0].detector.kind = "haar";
  settings[1].name = "dlib 1x, aligned";
  settings[1].detector.kind = "dlib";
  settings[1].detector.upsample_below = 0;
  settings[2].name = "dlib 2x, aligned";
  settings[2].detector.kind = "dlib";
  settings[2].detector.upsample_below = 100000;
  settings[3].name = "dlib 2x, margin crop";
  settings[3].detector.kind = "dlib";
  settings[3].detector.upsample_below = 100000;
  settings[3].detector.align = false;
  for (int side : {416, 640}) {
    for (bool align : {true, false}) {
      if (side == 640 && !align) continue;
      Setting t;
      t.name = fmt::format("tiny {}, {}", side, align ? "aligned" : "margin crop");
      t.detector.kind = "tiny";
      t.detector.tiny_input_size = side;
      t.detector.align = align;
      settings.push_back(t);
    }
  }
  if (const char* only = std::getenv("PHOTO_PATH_ONLY")) {  // e.g. "tiny": the settings whose name starts with it
    std::vector<Setting> kept;
    for (auto& st : settings) if (st.name.rfind(only, 0) == 0) kept.push_back(st);
    settings = kept;
  }
  infer::PredictOptions crops;
  crops.detector.kind = "none";
  infer::Predictor on_crops(model, crops);
  std::printf("%d photos (640x480), %zu faces; model %s\n\n", static_cast<int>(set.size()), next, model.c_str());
  std::printf("| detector | faces found | false faces per photo | accuracy on found faces | same faces as 48x48 crops | ms per photo | found by side 60-100 / 100-160 / 160-240 px | found by rotation 0-10 / 10-20 / 20-25 deg |\n|---|---|---|---|---|---|---|---|\n");
  for (const auto& st : settings) {
    infer::PredictOptions o;
    o.detector = st.detector;
    infer::Predictor predictor(model, o);
    Tally t;
    for (const auto& photo : set) {
      const auto start = std::chrono::steady_clock::now();
      const infer::ImagePrediction p = predictor.predict_gray(photo.gray, "photo");
      t.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      t.faces += static_cast<int64_t>(photo.faces.size());
      std::vector<bool> taken(photo.faces.size(), false);
      if (std::getenv("PHOTO_PATH_DEBUG") && &photo - &set[0] < 4) {
        for (const auto& f : photo.faces) std::printf("  placed %.0f,%.0f side %.0f\n", f.centre.x, f.centre.y, f.side);
        for (const auto& f : p.faces) std::printf("  found %d,%d %dx%d\n", f.box.x, f.box.y, f.box.width, f.box.height);
      }
      std::vector<bool> matched(photo.faces.size(), false);
      for (const auto& f : p.faces) {
        const int k = match(f.box, photo.faces);
        if (k >= 0) matched[k] = true;
        if (k < 0 || taken[k]) {
          ++t.false_faces;
          continue;
        }
        taken[k] = true;
        ++t.found;
        const int64_t label = label_of[photo.faces[k].row];
        t.right += f.top == label;
        const auto q = on_crops.predict_gray(face_of(valid, photo.faces[k].row), "crop");
        t.right_on_crops += q.faces.at(0).top == label;
      }
      for (size_t k = 0; k < photo.faces.size(); ++k) {
        const float side = photo.faces[k].side, angle = std::abs(photo.faces[k].angle);
        const int sb = side < 100 ? 0 : side < 160 ? 1 : 2, ab = angle < 10 ? 0 : angle < 20 ? 1 : 2;
        t.by_side[sb][0] += matched[k], ++t.by_side[sb][1];
        t.by_angle[ab][0] += matched[k], ++t.by_angle[ab][1];
      }
    }
    std::printf("| %s | %.1f %% (%lld of %lld) | %.3f | %.1f %% | %.1f %% | %.1f | %s | %s |\n", st.name.c_str(), 100.0 * t.found / t.faces,
                static_cast<long long>(t.found), static_cast<long long>(t.faces), static_cast<double>(t.false_faces) / set.size(),
                100.0 * t.right / std::max<int64_t>(1, t.found), 100.0 * t.right_on_crops / std::max<int64_t>(1, t.found),
                1000 * t.seconds / set.size(), buckets(t.by_side).c_str(), buckets(t.by_angle).c_str());
    std::fflush(stdout);
  }
  return 0;
}
