// The subcommands of the ferkit CLI: each file adds one to the app; the work is in the library.
#pragma once
#include <functional>
#include <map>

#include <CLI/CLI.hpp>

#include "ferkit/infer/face_detector.h"

#include "ferkit/data/dataset.h"
#include "ferkit/eval/folder_evaluation.h"

namespace ferkit::cli {

struct GlobalOptions {
  int threads = 0;       // <= 0: all available cores
  bool verbose = false;
  bool quiet = false;
};

using AddCommand = void (*)(CLI::App& app, GlobalOptions& global);

// The subcommands by their place in `ferkit --help`: each cmd_*.cpp registers its own with
// FERKIT_COMMAND(PLACE, ADD), and main adds them all in that order.
std::map<int, AddCommand>& command_registry();
struct CommandRegistration {
  CommandRegistration(int place, AddCommand add);
};
#define FERKIT_COMMAND(place, add) const ::ferkit::cli::CommandRegistration add##_registration{place, add}

// --detector of predict and serve, and the flags of landmark alignment.
inline constexpr const char* kDetectorHelp =
    "face detector: default (dlib where libdlib-data is installed, else haar), dlib (dlib's HOG detector with 68 landmarks: "
    "faces aligned to FER2013's eyes and mouth, implausible fits dropped), tiny (face-api's tiny CNN face detector; "
    "dlib's landmarks align its faces where installed), haar (OpenCV's frontal-face Haar cascade), "
    "a cascade XML file, or none (inputs are face crops)";
void add_detector_flags(CLI::App& cmd, infer::DetectorOptions& options);

// A check for options that must be a number > 0 (CLI11's PositiveNumber prints the whole range
// of a double in its message).
inline CLI::Validator positive() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        try {
          size_t used = 0;
          const double v = std::stod(text, &used);
          if (used == text.size() && v > 0) return "";
        } catch (const std::exception&) {
        }
        return "must be a number > 0, not " + text;
      },
      "> 0");
}

// The --model option of predict, serve and export.
inline constexpr const char* kModelHelp =
    "run folder (uses RUN/model.ferkit), model bundle, or shipped model name (`ferkit models`); default: the default shipped model";

// Thrown by a command that has already said what went wrong and only sets the exit status
// (launch: the exit code of the first worker that failed).
struct ExitCode {
  int code;
};

// Commands run after the whole command line has been parsed and checked (CLI11 callbacks
// would run before leftover arguments are known). set_action attaches the work to a command.
void set_action(CLI::App* cmd, std::function<void()> action);
// Runs the action of the command that was given; false when there is none.
bool run_action(CLI::App& app);

// Data-loading flags shared by every command that reads a data folder.
void add_load_flags(CLI::App& cmd, LoadOptions& options);
// The data-loading flags of add_load_flags into an evaluation's options (image size 0, the
// model's own, unless --image-size was given).
void apply_load_flags(FolderEvalOptions& options, const LoadOptions& load, const CLI::App& cmd, int threads);

}  // namespace ferkit::cli
