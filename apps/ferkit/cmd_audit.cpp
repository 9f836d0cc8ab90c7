// `ferkit audit`: duplicates within and across splits, label noise, the noise floor of a figure.
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "ferkit/data/audit.h"
#include "ferkit/util/fs.h"

namespace ferkit::cli {

void add_audit_command(CLI::App& app, GlobalOptions& global) {
  struct Args {
    std::string dir, out;
    bool json = false, exact_only = false;
    AuditOptions audit;
    LoadOptions load;
    int max_pairs = 20;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("audit", "duplicates across splits (leakage), label noise, the noise floor of a validation figure");
  cmd->add_option("--data", args->dir, "data folder")->required();
  cmd->add_flag("--json", args->json, "print JSON (every duplicate pair)");
  cmd->add_option("--out", args->out, "also write the JSON to this file");
  cmd->add_flag("--exact-only", args->exact_only, "exact duplicates only (no near-duplicate search)");
  cmd->add_option("--near-similarity", args->audit.duplicates.near_similarity,
                  "band-pass correlation from which two images are near-duplicates")
      ->capture_default_str();
  cmd->add_option("--max-shift", args->audit.duplicates.max_shift, "largest shift searched, pixels")->capture_default_str();
  cmd->add_option("--candidate-similarity", args->audit.duplicates.candidate_similarity,
                  "thumbnail correlation from which a pair is checked on the full image")
      ->capture_default_str();
  cmd->add_option("--thumbnail-blur", args->audit.duplicates.thumbnail_blur,
                  "Gaussian blur (pixels) before the thumbnails; more tolerates larger shifts, finds more candidates")
      ->capture_default_str();
  cmd->add_option("--max-pairs", args->max_pairs, "pairs listed in the text output")->capture_default_str();
  add_load_flags(*cmd, args->load);
  set_action(cmd, [args, &global]() {
    args->load.threads = global.threads;
    args->audit.near_duplicates = !args->exact_only;
    const Dataset ds = load_dataset(args->dir, args->load);
    const nlohmann::json a = audit_dataset(ds, args->audit);
    if (!args->out.empty()) atomic_write_text(args->out, a.dump(2) + "\n");
    std::cout << (args->json ? a.dump(2) + "\n" : format_audit(a, args->max_pairs));
  });
}

}  // namespace ferkit::cli
