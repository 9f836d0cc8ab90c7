// Exact and near-duplicate images within and across the splits of a data set.
//
// Exact: identical pixels (or identical after a horizontal flip), by hashing. Near: two stages.
// Candidates come from a GEMM over 16x16 thumbnails (Gaussian blur, area average), centred and
// scaled to unit length (correlation: blind to brightness and contrast; the blur absorbs noise,
// JPEG artefacts and small shifts), each image against every other and its mirror image. A
// candidate is confirmed on the full image: the Pearson correlation (OpenCV's matchTemplate,
// TM_CCOEFF_NORMED) of band-pass images (difference of Gaussians, sigma 0.7 and 2), the best over
// shifts of up to `max_shift` pixels and the flip. The band-pass keeps the detail that tells two
// similar faces apart, which the thumbnails lose (on FER+, plain blurred correlation scored two
// different people at 0.95). Calibration on synthetic faces (tests/data/test_duplicates.cpp):
// planted copies score >= 0.969, the most similar distinct faces 0.897; hence the 0.93
// threshold, which no distinct pair reaches on either. Calibration on real FER+ pairs (random
// samples of 24 pairs per band, drawn with `ferkit audit --montage`): 0.80-0.93 the same
// photograph in 24 of 24 (retouched, re-cropped, watermarked); 0.72-0.80 the same photograph or
// the same shoot, no other person; 0.66-0.72 2 of 24 other people; 0.60-0.66 7 of 24. So on
// photographs pairs from 0.75 are leakage too: the opt-in "similar" tier.
#pragma once
#include <string>
#include <vector>

#include "ferkit/data/dataset.h"

namespace ferkit {

struct DuplicateOptions {
  double candidate_similarity = 0.85;  // thumbnail correlation to be checked on the full image
  double near_similarity = 0.93;       // band-pass correlation to count as a near-duplicate
  // Below near_similarity, down to this: "similar" pairs, reported apart. On photographs 0.75
  // suits (FER+, visual check: the same photograph more heavily edited, or the same person in
  // the same shoot); distinct synthetic faces reach 0.897, hence off (1.0) by default.
  double similar_similarity = 1.0;
  int max_shift = 3;                   // pixels, in each direction
  double thumbnail_blur = 2.0;         // Gaussian sigma (pixels) before the 16x16 thumbnails: shift tolerance
  double band_fine = 0.7, band_coarse = 2.0;  // the band-pass: Gaussian sigmas subtracted
  int64_t block = 1024;                // rows per GEMM block (memory: 3 x block x N floats)
};

struct ImageRef {
  int split = 0;      // index into Dataset::splits
  int64_t row = 0;    // row in that split
};

struct DuplicatePair {
  ImageRef a, b;
  std::string kind;        // "exact", "exact-mirror", "near", "similar"
  double similarity = 1;   // band-pass correlation (1 for exact ones)
  bool mirrored = false;   // b matches a flipped
  int dx = 0, dy = 0;      // shift of b against a at the best match
};

struct DuplicateReport {
  std::vector<DuplicatePair> pairs;   // a before b (split order, then row)
  int64_t candidates = 0;             // thumbnail pairs checked on the full image
  double seconds = 0;
};

DuplicateReport find_duplicates(const Dataset& dataset, const DuplicateOptions& options = {});

// The rows of split `split` that have an exact or near copy (mirrored ones too) in split `other`:
// the images whose score is leakage, not generalisation. Sorted.
std::vector<int64_t> rows_with_copies_in(const Dataset& dataset, const std::string& split, const std::string& other,
                                         const DuplicateOptions& options = {});

// The split without the given rows (sorted, unique): images, votes and file names.
Split without_rows(const Split& split, const std::vector<int64_t>& rows);

}  // namespace ferkit
