// `ferkit predict --model BUNDLE INPUT...`: emotions of the faces in images, folders and videos.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "ferkit/infer/predictor.h"
#include "ferkit/util/error.h"
#include "ferkit/util/threads.h"

namespace ferkit::cli {
namespace fs = std::filesystem;
namespace {

const std::set<std::string> kImageExtensions = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"};
const std::set<std::string> kVideoExtensions = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg"};

std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

struct Input {
  std::string path;
  bool video = false;
  std::string error;  // the path itself is bad
};

// Files as given; folders walked recursively for images and videos (sorted: a stable output).
std::vector<Input> expand_inputs(const std::vector<std::string>& args) {
  std::vector<Input> out;
  for (const auto& a : args) {
    std::error_code ec;
    if (fs::is_directory(a, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(a, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        const std::string e = lower_extension(it->path());
        if (kImageExtensions.count(e) || kVideoExtensions.count(e)) found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) out.push_back({a, false, "a folder without images or videos"});
      for (const auto& f : found) out.push_back({f, kVideoExtensions.count(lower_extension(f)) > 0, ""});
    } else if (fs::is_regular_file(a, ec)) {
      out.push_back({a, kVideoExtensions.count(lower_extension(a)) > 0, ""});
    } else {
      out.push_back({a, false, fs::exists(a, ec) ? "not a regular file" : "no such file or folder"});
    }
  }
  return out;
}

std::string read_file_limited(const std::string& path, int64_t max_bytes) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  FERKIT_CHECK(!ec, "cannot read: " + ec.message());
  FERKIT_CHECK(static_cast<int64_t>(size) <= max_bytes, fmt::format("{} bytes: larger than the limit of {} bytes", size, max_bytes));
  std::ifstream in(path, std::ios::binary);
  FERKIT_CHECK(in, "cannot open");
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  FERKIT_CHECK(in.gcount() == static_cast<std::streamsize>(size), "cannot read the whole file");
  return bytes;
}

class Output {
 public:
  Output(std::string format, std::vector<std::string> classes) : format_(std::move(format)), classes_(std::move(classes)) {
    if (format_ == "csv") {
      std::cout << "source,frame,face,x,y,width,height,emotion,confidence";
      for (const auto& c : classes_) std::cout << ",p_" << c;
      std::cout << ",error\n";
    }
  }
  void write(const infer::ImagePrediction& p) {
    ++inputs_;
    if (!p.error.empty()) ++failed_;
    faces_ += p.faces.size();
    if (format_ == "json") {
      std::cout << infer::to_json(p, classes_).dump() << "\n";
    } else if (format_ == "csv") {
      const std::string frame = p.frame >= 0 ? std::to_string(p.frame) : "";
      if (!p.error.empty() || p.faces.empty()) {
        std::cout << csv(p.source) << "," << frame << ",,,,,,,";
        for (size_t k = 0; k < classes_.size(); ++k) std::cout << ",";
        std::cout << "," << csv(p.error.empty() ? "no face found" : p.error) << "\n";
      }
      for (size_t i = 0; i < p.faces.size(); ++i) {
        const auto& f = p.faces[i];
        std::cout << fmt::format("{},{},{},{},{},{},{},{},{:.4f}", csv(p.source), frame, i, f.box.x, f.box.y, f.box.width, f.box.height,
                                 classes_[f.top], f.probabilities[f.top]);
        for (float v : f.probabilities) std::cout << fmt::format(",{:.4f}", v);
        std::cout << ",\n";
      }
    } else {
      const std::string where = p.frame >= 0 ? fmt::format("{} frame {}", p.source, p.frame) : p.source;
      if (!p.error.empty()) {
        std::cout << where << ": error: " << p.error << "\n";
      } else if (p.faces.empty()) {
        std::cout << where << ": no face found\n";
      }
      for (const auto& f : p.faces) {
        std::vector<int> order(f.probabilities.size());
        for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int>(k);
        std::sort(order.begin(), order.end(), [&](int a, int b) { return f.probabilities[a] > f.probabilities[b]; });
        std::cout << fmt::format("{}: face at ({}, {}, {}x{}): {} {:.1f}% ({} {:.1f}%, {} {:.1f}%)\n", where, f.box.x, f.box.y,
                                 f.box.width, f.box.height, classes_[order[0]], 100 * f.probabilities[order[0]], classes_[order[1]],
                                 100 * f.probabilities[order[1]], classes_[order[2]], 100 * f.probabilities[order[2]]);
      }
    }
    std::cout.flush();
  }
  int64_t inputs_ = 0, failed_ = 0, faces_ = 0;

 private:
  static std::string csv(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  std::string format_;
  std::vector<std::string> classes_;
};

}  // namespace

void add_predict_command(CLI::App& app, GlobalOptions& global) {
  struct Args {
    std::string model, annotate;
    std::vector<std::string> inputs;
    bool json = false, csv = false;
    int every = 10;
    int64_t max_frames = 0;
    infer::PredictOptions predict;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("predict", "emotions of the faces in images, folders (recursively) and videos");
  cmd->add_option("--model", args->model, "run folder (uses RUN/model.ferkit) or model bundle")->required();
  cmd->add_option("inputs", args->inputs, "image files, folders, video files")->required();
  cmd->add_flag("--json", args->json, "one JSON object per input (JSON lines)");
  cmd->add_flag("--csv", args->csv, "CSV: one row per face (and one per input without a face)");
  cmd->add_option("--annotate", args->annotate, "write copies with the boxes and emotions drawn into this folder");
  cmd->add_option("--detector", args->predict.detector.cascade,
                  "face detector: default (OpenCV's frontal-face Haar cascade), a cascade XML file, or none (inputs are face crops)")
      ->capture_default_str();
  cmd->add_option("--margin", args->predict.detector.margin, "added around a found face, as a share of its side")->capture_default_str();
  cmd->add_option("--min-face", args->predict.detector.min_face, "smallest face searched, pixels")->capture_default_str();
  cmd->add_option("--min-neighbors", args->predict.detector.min_neighbors, "cascade detections that must agree")->capture_default_str();
  cmd->add_option("--every", args->every, "videos: every Nth frame")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-frames", args->max_frames, "videos: at most this many frames analysed (0: all)")->capture_default_str();
  cmd->add_option("--batch-size", args->predict.batch_size, "faces per forward pass")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-pixels", args->predict.max_pixels, "images with more pixels are refused before decoding")->capture_default_str();
  cmd->add_flag("--unfolded", [args](int64_t) { args->predict.folded = false; },
                "run the modules' forward instead of the inference graph (for checks)");
  set_action(cmd, [args, &global]() {
    use_opencv_threads();  // face detection runs its scales in parallel
    FERKIT_CHECK(!(args->json && args->csv), "--json and --csv: choose one");
    const int threads = set_threads(global.threads);
    infer::Predictor predictor(bundle_path_of(args->model), args->predict);
    const auto& classes = predictor.info().class_names;
    spdlog::info("model {} ({}x{} input), faces: {}", bundle_path_of(args->model), predictor.info().preprocess.input_size,
                 predictor.info().preprocess.input_size, predictor.detector_source());
    if (!args->annotate.empty()) fs::create_directories(args->annotate);
    Output out(args->json ? "json" : args->csv ? "csv" : "text", classes);
    auto save_annotated = [&](const cv::Mat& image, const infer::ImagePrediction& p, const std::string& name) {
      if (args->annotate.empty() || !p.error.empty()) return;
      const fs::path dst = fs::path(args->annotate) / name;
      if (!cv::imwrite(dst.string(), infer::annotate(image, p, classes))) spdlog::warn("cannot write {}", dst.string());
    };
    const auto start = std::chrono::steady_clock::now();
    const std::vector<Input> inputs = expand_inputs(args->inputs);
    // Images go in chunks: read and decoded on all cores, their faces classified together.
    const size_t chunk = 64;
    for (size_t begin = 0; begin < inputs.size();) {
      if (inputs[begin].video || !inputs[begin].error.empty()) {
        const Input& in = inputs[begin++];
        if (!in.error.empty()) {
          infer::ImagePrediction p;
          p.source = in.path;
          p.error = in.error;
          out.write(p);
          continue;
        }
        try {
          infer::predict_video(predictor, in.path, args->every, args->max_frames, [&](const infer::ImagePrediction& p, const cv::Mat& frame) {
            out.write(p);
            save_annotated(frame, p, fmt::format("{}_f{:06d}.png", fs::path(in.path).stem().string(), p.frame));
          });
        } catch (const Error& e) {
          infer::ImagePrediction p;
          p.source = in.path;
          p.error = e.what();
          out.write(p);
        }
        continue;
      }
      size_t end = begin;
      while (end < inputs.size() && end - begin < chunk && !inputs[end].video && inputs[end].error.empty()) ++end;
      const size_t n = end - begin;
      std::vector<cv::Mat> grays(n), colours(n);
      std::vector<std::string> errors(n);
      parallel_for_each(static_cast<int64_t>(n), threads, [&](int64_t i) {
        try {
          const std::string bytes = read_file_limited(inputs[begin + i].path, args->predict.max_bytes);
          grays[i] = predictor.decode(bytes);
          if (!args->annotate.empty()) colours[i] = cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1,
                                                                         const_cast<char*>(bytes.data())), cv::IMREAD_COLOR);
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      }, 1);
      std::vector<cv::Mat> ok;
      std::vector<std::string> sources;
      for (size_t i = 0; i < n; ++i)
        if (errors[i].empty()) ok.push_back(grays[i]), sources.push_back(inputs[begin + i].path);
      const auto predictions = predictor.predict_gray_batch(ok, sources);
      size_t k = 0;
      for (size_t i = 0; i < n; ++i) {
        if (!errors[i].empty()) {
          infer::ImagePrediction p;
          p.source = inputs[begin + i].path;
          p.error = errors[i];
          out.write(p);
          continue;
        }
        out.write(predictions[k]);
        save_annotated(colours[i].empty() ? grays[i] : colours[i], predictions[k], fs::path(sources[k]).stem().string() + ".png");
        ++k;
      }
      begin = end;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::info("{} inputs, {} faces in {:.2f} s ({:.0f} faces/s, {} threads)", out.inputs_, out.faces_, seconds,
                 seconds > 0 ? out.faces_ / seconds : 0.0, threads);
    if (out.failed_ > 0) throw Error(fmt::format("{} of {} inputs failed (their errors are in the output above)", out.failed_, out.inputs_));
  });
}

}  // namespace ferkit::cli
