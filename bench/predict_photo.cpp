// The whole predict path on one photo, as `ferkit predict` and `ferkit serve` run it: decode,
// face detection (OpenCV's frontal-face Haar cascade), square crops, the model on all faces in one
// batch. Its peer is bench/predict_photo_torch.py (OpenCV's Python cascade + PyTorch eager).
//   ferkit_bench predict_photo BACKBONE SIZE PHOTO REPS THREADS -> one JSON line (median ms per photo)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <torch/torch.h>

#include "bench_util.h"
#include "ferkit/data/classes.h"
#include "ferkit/infer/predictor.h"
#include "ferkit/models/bundle.h"
#include "ferkit/util/allocator.h"
#include "ferkit/util/threads.h"

int bench_predict_photo_main(int argc, char** argv) {
  using namespace ferkit;
  tune_allocator();
  if (argc < 6) {
    std::fprintf(stderr, "usage: ferkit_bench predict_photo BACKBONE SIZE PHOTO REPS THREADS\n");
    return 2;
  }
  const std::string backbone = argv[1], photo = argv[3];
  const int size = std::atoi(argv[2]), reps = std::atoi(argv[4]);
  set_threads(std::atoi(argv[5]));
  use_opencv_threads();  // as ferkit predict and serve do
  torch::manual_seed(0);
  FerModel model = bench::make_model(backbone);
  model->eval();
  BundleInfo info;
  info.spec = model->spec();
  info.preprocess.input_size = size;
  info.preprocess.channels = bench::input_channels(backbone);
  info.preprocess.normalize = info.preprocess.channels == 3 ? "imagenet" : "none";
  for (int c = 0; c < kNumEmotions; ++c) info.class_names.push_back(emotion_name(c));
  info.provenance.image_size = 48;
  const auto bundle = std::filesystem::temp_directory_path() / ("bench_predict_" + std::to_string(::getpid()) + ".ferkit");
  save_bundle(bundle.string(), model, info);
  infer::PredictOptions haar;  // the peer runs the same Haar cascade through OpenCV's Python binding
  haar.detector.kind = "haar";
  infer::Predictor predictor(bundle.string(), haar);
  std::filesystem::remove(bundle);

  std::ifstream in(photo, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  size_t faces = predictor.predict_encoded(bytes, photo).faces.size();  // warm-up
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = predictor.predict_encoded(bytes, photo);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    faces = r.faces.size();
  }
  std::sort(ms.begin(), ms.end());
  std::printf("{\"tool\": \"ferkit\", \"bench\": \"predict_photo\", \"backbone\": \"%s\", \"input\": %d, \"faces\": %zu, "
              "\"ms_per_photo\": %.3f}\n",
              backbone.c_str(), size, faces, ms[ms.size() / 2]);
  return 0;
}
