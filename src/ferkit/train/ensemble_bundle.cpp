#include "ferkit/train/ensemble_bundle.h"

#include <filesystem>

#include "ferkit/data/label_mode.h"
#include "ferkit/train/loss.h"
#include "ferkit/train/posthoc.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"

namespace ferkit {
namespace {

// The ensemble's own logit adjustment, -tau * log(training prior), chosen on the split as a
// training run chooses its own. Returns tau.
double adjust_ensemble(LoadedBundle& ensemble, const EnsembleRequest& q) {
  LoadOptions load = q.eval.load;
  const int stored = stored_image_size(ensemble.info);
  if (load.image_size <= 0 || (load.image_size != stored && !load.resize)) load.image_size = stored;
  load.splits = {"train", q.eval.split};
  const Dataset ds = load_dataset(q.data, load);
  const LabelMode mode = parse_label_mode(ensemble.info.provenance.label_mode);
  const auto counts = label_split(ds.split("train"), mode).class_counts();
  return adjust_for_prior(ensemble.model, ds.split(q.eval.split), log_prior(std::vector<int64_t>(counts.begin(), counts.end())),
                          q.tau, q.max_acc_drop, ensemble.info.preprocess)
      .tau;
}

}  // namespace

EnsembleWritten write_ensemble(const EnsembleRequest& q) {
  std::vector<std::string> inputs;
  for (const auto& m : q.members) inputs.push_back(m.path);
  if (!q.data.empty()) inputs.push_back(q.data);
  check_output_file(q.out, inputs, "--out");
  FERKIT_CHECK(!q.tau.enabled() || !q.data.empty(), "--posthoc-tau needs --data (the tau is chosen on its --split)");
  LoadedBundle ensemble = make_ensemble(q.members, q.drop_member_adjustment);
  EnsembleWritten w;
  if (q.tau.enabled()) {
    w.tau = adjust_ensemble(ensemble, q);
    ensemble.info.provenance.posthoc_tau = w.tau;
  }
  if (!q.data.empty()) {
    // Scored through the one evaluation `ferkit eval` runs, from a scratch copy: out is written
    // once, whole, with its figures, or not at all.
    const std::string scratch = q.out + ".unscored";
    save_bundle(scratch, ensemble.model, ensemble.info);
    try {
      w.scored = evaluate_on_folder(scratch, q.data, q.eval);
    } catch (...) {
      std::filesystem::remove(scratch);
      throw;
    }
    std::filesystem::remove(scratch);
    w.scored->model = q.out;
    BundleProvenance& p = ensemble.info.provenance;
    p.val_split = q.eval.split;
    p.val_accuracy = w.scored->metrics.accuracy;
    p.val_balanced_accuracy = w.scored->metrics.balanced_accuracy;
  }
  save_bundle(q.out, ensemble.model, ensemble.info);
  return w;
}

}  // namespace ferkit
