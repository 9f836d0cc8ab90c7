// File helpers: atomic writes (temp file, then rename) so that a crash never leaves half a file.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace ferkit {

// The one output rule of every command that writes: an output file may not be empty, a folder,
// or an existing file that is not a regular one (a device, FIFO or socket is never replaced); it
// may not resolve to one of `inputs` that is a file, nor lie inside one that is a folder. Throws
// Error naming `what` (e.g. "--onnx"), the path and the problem. atomic_write applies the first
// part itself.
void check_output_file(const std::string& output, const std::vector<std::string>& inputs, const std::string& what);

// The same for an output folder (e.g. --annotate): not an existing non-folder, not one of the
// input files, neither an input folder nor inside one (what is written would be read back).
void check_output_folder(const std::string& output, const std::vector<std::string>& inputs, const std::string& what);

// Calls write(tmp_path) to produce the file under a temporary name beside `path`, then renames
// it over `path`. If write throws, the temporary file is removed and `path` is left untouched.
// `path` must not be empty, a folder or an existing non-regular file (Error before anything is written).
void atomic_write(const std::string& path, const std::function<void(const std::string& tmp_path)>& write);

// Writes `text` (any bytes) to `path` atomically. A failed write (full disk, file size limit) is
// an Error "cannot write PATH: REASON"; the temporary file is removed and `path` keeps its old content.
void atomic_write_text(const std::string& path, const std::string& text);

// Writes `bytes` to `path` (not atomically), checking every write, fsync and close; errors name
// `name_in_errors` (default: path).
void write_file_checked(const std::string& path, const std::string& bytes, const std::string& name_in_errors = "");

// Reads a whole file; throws Error naming the file when it cannot be read.
std::string read_text_file(const std::string& path);

// The path of the running program (/proc/self/exe): to start copies of it, and to find what is
// installed beside it (recipes, shipped models).
std::string self_executable();

// Where an installed ferkit keeps its data (PREFIX/share/ferkit): found from libferkit.so's own
// folder (so a program that embeds the library finds it too), then from the running program's
// (PREFIX/bin). Candidates, whether they exist or not; duplicates removed.
std::vector<std::string> installed_data_dirs();

// Where face-api's weight files are: $FERKIT_FACE_API, else PREFIX/share/ferkit/face-api (installed),
// else the source tree's third_party/face-api (scripts/fetch-face-api.sh, run by the install step).
// Returns the first folder that holds `manifest`; throws Error naming the places looked at.
std::string face_api_dir(const std::string& manifest = "tiny_face_detector_model-weights_manifest.json");

}  // namespace ferkit
