// `ferkit predict --model BUNDLE INPUT...`: emotions of the faces in images, folders and videos.
#include <chrono>
#include <cstdio>
#include <unistd.h>
#include <iostream>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/infer/predict_inputs.h"
#include "ferkit/infer/result_format.h"
#include "ferkit/util/progress_bar.h"
#include "ferkit/util/error.h"
#include "ferkit/util/threads.h"

namespace ferkit::cli {

void add_detector_flags(CLI::App& cmd, infer::DetectorOptions& options) {
  cmd.add_flag("--no-align", [&options](int64_t) { options.align = false; },
               "with landmarks (--detector dlib or tiny): crop the box with --margin instead of aligning to FER2013's eyes and mouth");
  cmd.add_option("--max-misfit", options.max_misfit,
                 "with landmarks: drop faces whose eyes and mouth fit FER2013's template worse than this (eye distances)")
      ->capture_default_str();
  cmd.add_option("--tiny-input-size", options.tiny_input_size,
                 "--detector tiny: the network's input side, a multiple of 32 (larger finds smaller faces, slower)")
      ->capture_default_str()
      ->check([](const std::string& v) {
        try {
          const int n = std::stoi(v);
          return n >= 32 && n <= 2048 && n % 32 == 0 ? std::string() : "must be a multiple of 32 from 32 to 2048, not " + v;
        } catch (const std::exception&) {
          return "must be a multiple of 32 from 32 to 2048, not " + v;
        }
      });
  cmd.add_option("--tiny-min-score", options.tiny_min_score, "--detector tiny: the score a face needs (0-1)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
}

namespace {

struct PredictArgs {
  std::string model, annotate;
  std::vector<std::string> inputs;
  bool json = false, csv = false;
  int every = 10;
  int64_t max_frames = 0;
  infer::PredictOptions predict;
};

// The run's last lines: counts and speed, renamed copies; an Error when inputs failed or copies
// could not be written (the exit status says so).
void summarize(const infer::InputCounts& counts, double seconds, int threads, const std::string& by_emotion,
               const infer::AnnotationFolder* annotated) {
  spdlog::info("{} inputs ({} failed), {} faces in {:.2f} s ({:.0f} faces/s, {} threads){}{}", counts.inputs, counts.failed, counts.faces,
               seconds, seconds > 0 ? counts.faces / seconds : 0.0, threads, by_emotion.empty() ? "" : ": ", by_emotion);
  std::string problems;
  if (counts.failed > 0) problems = fmt::format("{} of {} inputs failed (their errors are in the output above)", counts.failed, counts.inputs);
  if (annotated && !annotated->unwritten().empty())
    problems += fmt::format("{}{} annotated copies could not be written (first: {})", problems.empty() ? "" : "; ",
                            annotated->unwritten().size(), annotated->unwritten().front());
  if (annotated && !annotated->renamed().empty()) {
    std::string list;
    for (const auto& [source, name] : annotated->renamed()) list += fmt::format("\n  {} -> {}", source, name);
    spdlog::info("{} annotated copies renamed (another input had the same name):{}", annotated->renamed().size(), list);
  }
  if (!problems.empty()) throw Error(problems);
}

void run_predict(const PredictArgs& args, int threads_wanted) {
  use_opencv_threads();  // face detection runs its scales in parallel
  FERKIT_CHECK(!(args.json && args.csv), "--json and --csv: choose one");
  const int threads = set_threads(threads_wanted);
  infer::Predictor predictor(bundle_path_of(args.model), args.predict);
  const auto& classes = predictor.info().class_names;
  spdlog::info("model {} ({}x{} input), faces: {}", describe_model(args.model), predictor.info().preprocess.input_size,
               predictor.info().preprocess.input_size, predictor.detector_source());
  std::unique_ptr<infer::AnnotationFolder> annotated;
  if (!args.annotate.empty()) annotated = std::make_unique<infer::AnnotationFolder>(args.annotate, args.inputs);
  const auto formatter = infer::make_result_formatter(args.json ? "json" : args.csv ? "csv" : "text", classes);
  std::cout << formatter->header();
  infer::InputOptions options;
  options.every = args.every;
  options.max_frames = args.max_frames;
  options.keep_colour = annotated != nullptr;
  options.threads = threads;
  const auto start = std::chrono::steady_clock::now();
  // A bar on the terminal for long runs; results printed to the same terminal clear it first.
  std::unique_ptr<ProgressBar> bar;
  const bool results_on_terminal = isatty(fileno(stdout)) != 0;
  infer::EmotionTally tally;
  options.on_progress = [&](int64_t done, int64_t total) {
    if (!bar && total >= 20) bar = std::make_unique<ProgressBar>("predict", total);
    if (bar) bar->update(done, fmt::format("{} faces", tally.faces()));
  };
  const infer::InputCounts counts = infer::predict_inputs(predictor, args.inputs, options, [&](const infer::ImagePrediction& p, const cv::Mat& image) {
    tally.add(p);
    if (bar && results_on_terminal) bar->clear();
    std::cout << formatter->format(p) << std::flush;
    if (bar && results_on_terminal) bar->redraw();
    if (!annotated || !p.error.empty()) return;
    try {
      annotated->write(p, image, classes);
    } catch (const Error& e) {  // counted; the run goes on and fails at the end
      if (bar && results_on_terminal) bar->clear();
      spdlog::error("{}", e.what());
    }
  });
  if (bar) bar->finish();
  summarize(counts, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), threads, tally.text(classes),
            annotated.get());
}

}  // namespace

void add_predict_command(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<PredictArgs>();
  auto* cmd = app.add_subcommand("predict", "emotions of the faces in images, folders (recursively) and videos");
  cmd->add_option("--model", args->model, kModelHelp);
  cmd->add_option("inputs", args->inputs, "image files, folders, video files")->required();
  cmd->add_flag("--json", args->json, "one JSON object per input (JSON lines)");
  cmd->add_flag("--csv", args->csv, "CSV: one row per face (and one per input without a face)");
  cmd->add_option("--annotate", args->annotate, "write copies with the boxes and emotions drawn into this folder");
  add_detector_flags(*cmd, args->predict.detector);
  cmd->add_option("--detector", args->predict.detector.kind, kDetectorHelp)
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
  set_action(cmd, [args, &global]() { run_predict(*args, global.threads); });
}

FERKIT_COMMAND(90, add_predict_command);

}  // namespace ferkit::cli
