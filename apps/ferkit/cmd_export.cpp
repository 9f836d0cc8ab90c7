// `ferkit export --model BUNDLE --onnx FILE.onnx`: the model as ONNX, preprocessing in its metadata.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/infer/onnx_export.h"
#include "ferkit/models/bundle.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"

namespace ferkit::cli {

// The preprocessing in words, for the ONNX doc_string: what a user of the file must do.
std::string preprocessing_sentence(const Preprocess& p, int stored_size) {
  const std::string norm = normalization(p.normalize).words;
  return fmt::format("Input 'image': float32 (N, {}, {}, {}). Crop the face square, convert to grayscale, resize to {}x{} "
                     "(area interpolation, as the training data was stored), then to {}x{} (bilinear){}; scale pixels to "
                     "[0, 1], {}. Outputs: 'logits' and 'probabilities' (softmax), classes in ferkit.classes.",
                     p.channels, p.input_size, p.input_size, stored_size, stored_size, p.input_size, p.input_size,
                     p.channels == 3 ? ", replicate the gray channel to R, G, B" : "", norm);
}

void add_export_command(CLI::App& app, GlobalOptions& global) {
  struct Args {
    std::string model, onnx;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("export", "write the model as ONNX (BatchNorm folded; preprocessing in the metadata)");
  cmd->add_option("--model", args->model, kModelHelp);
  cmd->add_option("--onnx", args->onnx, "ONNX file to write")->required();
  set_action(cmd, [args]() {
    const std::string path = bundle_path_of(args->model);
    check_output_file(args->onnx, {path}, "--onnx");
    spdlog::info("model {}", describe_model(args->model));
    LoadedBundle b = load_bundle(path);
    b.model->eval();
    const int stored = stored_image_size(b.info);
    const infer::Graph g = infer::model_graph(*b.model, b.info.preprocess.input_size);
    infer::OnnxMetadata meta{to_json(b.info.preprocess), b.info.class_names, to_json(b.info.spec),
                             preprocessing_sentence(b.info.preprocess, stored)};
    meta.preprocess["stored_image_size"] = stored;
    infer::export_onnx(g, meta, args->onnx);
    spdlog::info("wrote {}: {} ({} nodes, {:.1f} M multiply-adds per image); {}", args->onnx, b.info.spec.backbone.name,
                 g.nodes.size(), infer::graph_macs(g) / 1e6, meta.description);
  });
}

FERKIT_COMMAND(110, add_export_command);

}  // namespace ferkit::cli
