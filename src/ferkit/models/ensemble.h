// Ensembles (`ferkit ensemble RUN... --out BUNDLE`): several trained bundles become one bundle
// whose class probabilities are their mean (models/model.h), so that eval, predict, serve,
// export and --teacher take it as they take one model.
#pragma once
#include <string>
#include <vector>

#include "ferkit/models/bundle.h"

namespace ferkit {

struct EnsembleMember {
  std::string name;  // as the user gave it (run folder, bundle, shipped name), for messages and provenance
  std::string path;  // the bundle file
};

// Loads every member and combines them. Members must prepare images alike (input size,
// channels, normalisation, the stored image size) and give the same classes: an Error names the
// first member that differs and how. An ensemble's members keep their own logit adjustment.
LoadedBundle make_ensemble(const std::vector<EnsembleMember>& members);

}  // namespace ferkit
