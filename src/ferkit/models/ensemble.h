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
// first member that differs and how. An ensemble's members keep their own post-hoc logit
// adjustment unless `drop_member_adjustment`: then each member's is set to zero first, so the
// ensemble averages the members' plain probabilities and its own adjustment (`ferkit ensemble
// --posthoc-tau`) is chosen on that mean alone (a member trained with --posthoc-tau would otherwise
// be adjusted twice). A nested ensemble's own adjustment is dropped; its members' are kept.
LoadedBundle make_ensemble(const std::vector<EnsembleMember>& members, bool drop_member_adjustment = false);

}  // namespace ferkit
