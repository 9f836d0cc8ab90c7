// ferkit's fuzz targets: each takes arbitrary bytes to one reader of untrusted input and allows
// exactly one outcome besides success, a ferkit::Error (whose message names the file or the
// request). Anything else (a crash, a sanitizer report, another exception type, which would reach
// the user as a message naming nothing) is a finding. Used by the libFuzzer harnesses
// (fuzz_target.cpp, built by `make fuzz`) and by the regression test that replays their past
// findings (tests/hostile/test_fuzz_regressions.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "ferkit/data/dataset.h"
#include "ferkit/data/image_header.h"
#include "ferkit/models/bundle.h"
#include "ferkit/models/pretrained.h"
#include "ferkit/models/torch_pickle.h"
#include "ferkit/train/config.h"
#include "ferkit/util/error.h"

namespace ferkit::fuzz {

// A scratch folder per process (libFuzzer runs one input at a time per process).
inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("ferkit-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

inline void write(const std::filesystem::path& p, const std::string& bytes) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

// Two 48x48 faces (fuzz/sample-face.png, made by `ferkit synth`) that label rows can name.
inline void ensure_images(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  for (const char* name : {"fer0000000.png", "fer0000001.png"})
    if (!std::filesystem::exists(dir / name)) std::filesystem::copy_file(FERKIT_FUZZ_SAMPLE_PNG, dir / name);
}

template <typename F>
int allow_ferkit_errors(F&& f) {
  try {
    f();
  } catch (const ferkit::Error&) {
  }
  return 0;
}

// label.csv of a FER+ folder (the votes, boxes and names of each row).
inline int label_csv(const uint8_t* data, size_t size) {
  const auto root = scratch() / "ferplus";
  ensure_images(root / "FER2013Train");
  write(root / "FER2013Train" / "label.csv", std::string(reinterpret_cast<const char*>(data), size));
  LoadOptions lo;
  lo.layout = "ferplus";
  lo.splits = {"train"};
  lo.threads = 1;
  return allow_ferkit_errors([&] { load_dataset(root.string(), lo); });
}

// fer2013.csv (pixels as text) and fer2013new.csv (votes), split at the first "\n====\n".
inline int fer2013_csv(const uint8_t* data, size_t size) {
  const std::string all(reinterpret_cast<const char*>(data), size);
  const size_t cut = all.find("\n====\n");
  const auto root = scratch() / "fer2013";
  write(root / "fer2013.csv", all.substr(0, cut));
  write(root / "fer2013new.csv", cut == std::string::npos ? "" : all.substr(cut + 6));
  LoadOptions lo;
  lo.layout = "fer2013-csv";
  lo.threads = 1;
  return allow_ferkit_errors([&] { load_dataset(root.string(), lo); });
}

inline int image_header(const uint8_t* data, size_t size) {
  int w = 0, h = 0;
  image_header_size(std::string(reinterpret_cast<const char*>(data), size), w, h);
  return 0;
}

// A torch.save file (zip or legacy), as `--weights FILE` reads it.
inline int torch_pickle(const uint8_t* data, size_t size) {
  const auto path = scratch() / "weights.pt";
  write(path, std::string(reinterpret_cast<const char*>(data), size));
  return allow_ferkit_errors([&] { load_torch_state_dict(path.string()); });
}

// A TF.js layers model.json (its weights manifest points at one small .bin beside it).
inline int tfjs_model(const uint8_t* data, size_t size) {
  const auto dir = scratch() / "tfjs";
  write(dir / "model.json", std::string(reinterpret_cast<const char*>(data), size));
  if (!std::filesystem::exists(dir / "group1-shard1of1.bin")) write(dir / "group1-shard1of1.bin", std::string(4096, '\x01'));
  return allow_ferkit_errors([&] { inspect_weights(dir.string()); });
}

// A --config YAML file, then validation, as `ferkit train` does.
inline int yaml_config(const uint8_t* data, size_t size) {
  return allow_ferkit_errors([&] {
    TrainConfig c;
    apply_config_yaml_text(c, std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
    validate_config(c);
  });
}

// A model.ferkit bundle (a LibTorch zip archive), as predict, serve and eval load it.
inline int bundle(const uint8_t* data, size_t size) {
  const auto path = scratch() / "model.ferkit";
  write(path, std::string(reinterpret_cast<const char*>(data), size));
  return allow_ferkit_errors([&] { load_bundle(path.string()); });
}

// One HTTP request (any bytes) to `ferkit serve` on loopback, started once with the shipped
// model; the server must answer or close, and keep answering /v1/health.
int http_request(const uint8_t* data, size_t size);

// A chunked request body (any bytes after a POST head that declares Transfer-Encoding: chunked,
// the framing httplib read past its limit): answered or closed like any request.
int http_chunked(const uint8_t* data, size_t size);

// What the Python module hands the C++ API for a numpy array: a shape (height, width and channels
// from the first bytes) and pixels (the rest, repeated), through Model::predict_image and
// Model::predict_crops.
int array_input(const uint8_t* data, size_t size);

}  // namespace ferkit::fuzz
