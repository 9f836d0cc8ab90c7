// `ferkit audit`: duplicates within and across splits, label noise, the noise floor of a figure.
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "ferkit/data/audit.h"
#include "ferkit/data/audit_montage.h"
#include "ferkit/run/run_audit.h"
#include "ferkit/report/audit_section.h"
#include "ferkit/report/html.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/json_text.h"

namespace ferkit::cli {

namespace {

struct AuditArgs {
  std::string dir, out, montage, html, run;
  MontageOptions montage_options;
  bool json = false, exact_only = false;
  AuditOptions audit;
  LoadOptions load;
  int max_pairs = 20;
};

// --html: the audit page, with the pairs drawn (the --montage PNG, or one of its own, removed after).
void write_audit_page(const AuditArgs& args, const Dataset& ds, const nlohmann::json& a) {
  std::string png = args.montage;
  const bool own_png = png.empty();
  if (own_png) {
    png = args.html + ".pairs.png";
    if (write_pair_montage(ds, a, png, args.montage_options) == 0) png.clear();
  }
  write_audit_report(a, png, args.html);
  if (own_png && !png.empty()) std::filesystem::remove(png);
  spdlog::info("wrote {}", args.html);
}

void run_audit(AuditArgs& args) {
  args.audit.near_duplicates = !args.exact_only;
  // Checked before the audit's minutes of work: outputs never go into the data they describe.
  for (const auto& [path, what] : {std::pair{args.out, "--out"}, {args.montage, "--montage"}, {args.html, "--html"}})
    if (!path.empty()) check_output_file(path, {args.dir}, what);
  const Dataset ds = load_dataset(args.dir, args.load);
  const nlohmann::json a = audit_dataset(ds, args.audit);
  if (!args.out.empty()) atomic_write_text(args.out, json_text(a, 2) + "\n");
  if (!args.montage.empty()) {
    const int n = write_pair_montage(ds, a, args.montage, args.montage_options);
    spdlog::info("{} pairs drawn into {}", n, n ? args.montage : std::string("nothing (no pair qualifies)"));
  }
  if (!args.html.empty()) write_audit_page(args, ds, a);
  if (!args.run.empty()) {
    keep_audit_with_run(RunFolder(args.run), ds, audit_result_from_json(a));
    spdlog::info("wrote {}/audit.json; report {}", args.run, write_run_report(args.run));
  }
  std::cout << (args.json ? json_text(a, 2) + "\n" : format_audit(a, args.max_pairs));
}

}  // namespace

void add_audit_command(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<AuditArgs>();
  auto* cmd = app.add_subcommand("audit", "duplicates across splits (leakage), label noise, the noise floor of a validation figure");
  cmd->add_option("--data", args->dir, "data folder")->required();
  cmd->add_flag("--json", args->json, "print JSON (every duplicate pair)");
  cmd->add_option("--out", args->out, "also write the JSON to this file");
  cmd->add_flag("--exact-only", args->exact_only, "exact duplicates only (no near-duplicate search)");
  cmd->add_option("--near-similarity", args->audit.duplicates.near_similarity,
                  "band-pass correlation from which two images are near-duplicates")
      ->capture_default_str();
  cmd->add_option("--similar-from", args->audit.duplicates.similar_similarity,
                  "also report pairs from this correlation up to --near-similarity as \"similar\" (photographs: 0.75 "
                  "finds the same photo more heavily edited, or the same shoot; off by default: distinct synthetic "
                  "faces reach 0.90)");
  cmd->add_option("--max-shift", args->audit.duplicates.max_shift, "largest shift searched, pixels")->capture_default_str();
  cmd->add_option("--candidate-similarity", args->audit.duplicates.candidate_similarity,
                  "thumbnail correlation from which a pair is checked on the full image")
      ->capture_default_str();
  cmd->add_option("--thumbnail-blur", args->audit.duplicates.thumbnail_blur,
                  "Gaussian blur (pixels) before the thumbnails; more tolerates larger shifts, finds more candidates")
      ->capture_default_str();
  cmd->add_option("--max-pairs", args->max_pairs, "pairs listed in the text output")->capture_default_str();
  cmd->add_option("--html", args->html, "also write a self-contained HTML page of the audit (with the pairs drawn)");
  cmd->add_option("--run", args->run,
                  "keep this audit with a training run (RUN/audit.json, replacing the cheap one training made) and "
                  "redraw its report");
  cmd->add_option("--montage", args->montage,
                  "draw duplicate pairs side by side into this PNG (leakage and conflicting labels first)");
  cmd->add_option("--montage-pairs", args->montage_options.max_pairs, "pairs drawn")->capture_default_str();
  cmd->add_option("--montage-from", args->montage_options.min_similarity, "draw only pairs at least this similar");
  cmd->add_option("--montage-to", args->montage_options.max_similarity, "draw only pairs less similar than this");
  cmd->add_option("--montage-sample", args->montage_options.seed, "draw a random sample (this seed) instead of the first pairs");
  add_load_flags(*cmd, args->load);
  set_action(cmd, [args, &global]() {
    args->load.threads = global.threads;
    run_audit(*args);
  });
}

FERKIT_COMMAND(30, add_audit_command);

}  // namespace ferkit::cli
