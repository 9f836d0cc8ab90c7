// Initialisations of a fresh model chosen by name (`--init dirac,whiten`), after any --weights
// and before training; from airbench's CIFAR-10 speedruns (Jordan 2024):
//   dirac   each 3x3 convolution (ungrouped) with at least as many outputs as inputs starts with
//           its first `in` filters as the identity: a deep stack begins close to a shallow one
//   whiten  the first convolution's filters become the leading eigenvectors of the covariance of
//           the training images' patches (each also negated), scaled by 1 / sqrt(eigenvalue + eps):
//           patch whitening, so the first layer sees decorrelated, equally scaled inputs
// The list is applied in order; "" or "default" keeps the backbone's own initialisation.
#pragma once
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "ferkit/data/preprocess.h"
#include "ferkit/models/model.h"

namespace ferkit {

std::vector<std::string> init_names();
// Throws Error naming an unknown initialisation.
void validate_init(const std::string& names);

// images: (N, S, S) uint8 training images (whiten samples at most 2,000 of them, evenly spread).
// Returns one line per initialisation applied, for the log.
std::vector<std::string> apply_init(FerModel& model, const std::string& names, const at::Tensor& images, const Preprocess& pre);

// The patch-whitening filters for patches (P, D): 2 * pairs filters (D), eigenvectors of the
// largest eigenvalues first, each followed later by its negative. Exposed for the tests.
at::Tensor whitening_filters(const at::Tensor& patches, int64_t pairs, double eps);

}  // namespace ferkit
