// The in-memory data set: every image decoded once into a compact uint8 tensor, with its 10
// crowd votes; targets are derived per label mode (label_split) without touching the pixels.
#pragma once
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>  // at::Tensor only: keeps this header cheap to include

#include "ferkit/data/label_mode.h"

namespace ferkit {

enum class Layout { kFerPlusFolders, kFer2013Csv, kClassFolders };
std::string layout_name(Layout layout);
// "auto" is handled by load_dataset; this parses "ferplus", "fer2013-csv", "class-folders".
Layout parse_layout(const std::string& name);

struct LoadOptions {
  std::string layout = "auto";       // auto | ferplus | fer2013-csv | class-folders
  int image_size = 48;               // side of the stored square images
  bool resize = false;               // resize images of another size instead of rejecting them
  bool skip_bad = false;             // bad rows/images become a counted warning instead of an error
  int threads = 0;                   // decoding threads; <= 0: all available cores
  std::vector<std::string> splits;   // splits to load ("train", "valid", "test"); empty: all found
  int64_t max_pixels = 40'000'000;   // an image whose header declares more is refused before decoding
};

struct Split {
  std::string name;                 // "train", "valid" or "test"
  std::string source;               // the folder or file it was read from
  std::vector<std::string> files;   // (N) image file names, for messages and audits
  at::Tensor images;             // (N, S, S) uint8, grayscale
  at::Tensor votes;              // (N, 10) int32: 8 emotions, unknown, NF
  int64_t size() const { return static_cast<int64_t>(files.size()); }
};

struct LoadReport {
  int64_t skipped = 0;                 // rows or images dropped under --skip-bad
  std::vector<std::string> warnings;   // the first few problems, verbatim
};

struct Dataset {
  std::string root;
  Layout layout = Layout::kFerPlusFolders;
  int image_size = 48;
  std::vector<Split> splits;
  LoadReport report;

  bool has_split(const std::string& name) const;
  // Throws Error listing the splits that exist when `name` is not one of them.
  const Split& split(const std::string& name) const;
};

// Which layout a data folder has; throws Error describing the three layouts when none matches.
Layout detect_layout(const std::string& root);

// The splits a folder of this layout offers (without reading them).
std::vector<std::string> available_splits(const std::string& root, Layout layout);

// Reads a data folder. Throws InputError (file:line: problem) on bad input unless skip_bad.
Dataset load_dataset(const std::string& root, const LoadOptions& options = {});

// The images of a split that a label mode keeps, with their targets.
struct LabelledSplit {
  std::string name;
  LabelMode mode = LabelMode::kMajority;
  at::Tensor index;     // (M) int64: rows of the split that are kept
  at::Tensor targets;   // (M, 8) float32: soft or one-hot targets, rows sum to 1
  at::Tensor labels;    // (M) int64: argmax of targets (first on ties)
  int64_t excluded = 0;    // N - M
  int64_t size() const { return index.size(0); }
  std::array<int64_t, kNumEmotions> class_counts() const;  // by label
};

LabelledSplit label_split(const Split& split, LabelMode mode);

}  // namespace ferkit
