#include "ferkit/train/checkpoint.h"

#include <filesystem>
#include <sstream>

#include <torch/torch.h>

#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/zip_records.h"

namespace ferkit {

void save_checkpoint(const std::string& path, FerModel& model, torch::optim::Optimizer& optimizer,
                     const CheckpointState& s, const NamedModels& extra) {
  atomic_write(path, [&](const std::string& tmp) {
    torch::serialize::OutputArchive archive;
    archive.write("format", c10::IValue(std::string("ferkit-checkpoint")));
    archive.write("version", c10::IValue(static_cast<int64_t>(kCheckpointFormatVersion)));
    archive.write("epoch", c10::IValue(s.epoch));
    archive.write("step", c10::IValue(s.step));
    archive.write("best_metric", c10::IValue(s.best_metric));
    archive.write("best_epoch", c10::IValue(s.best_epoch));
    archive.write("best_weights", c10::IValue(s.best_weights));
    archive.write("config", c10::IValue(s.config_yaml));
    archive.write("history", c10::IValue(s.history_json));
    archive.write("plateau_factor", c10::IValue(s.plateau.factor));
    archive.write("plateau_best", c10::IValue(s.plateau.best));
    archive.write("plateau_bad_epochs", c10::IValue(s.plateau.bad_epochs));
    archive.write("smoothed_metric", c10::IValue(s.smoothed_metric));
    archive.write("best_smoothed", c10::IValue(s.best_smoothed));
    archive.write("epochs_without_improvement", c10::IValue(s.epochs_without_improvement));
    archive.write("ema_updates", c10::IValue(s.ema_updates));
    archive.write("swa_count", c10::IValue(s.swa_count));
    if (s.rng_state.defined()) archive.write("rng_state", s.rng_state, /*is_buffer=*/true);
    torch::serialize::OutputArchive m, o;
    model->save(m);
    optimizer.save(o);
    archive.write("model", m);
    archive.write("optimizer", o);
    for (const auto& [name, extra_model] : extra) {
      torch::serialize::OutputArchive e;
      (*extra_model)->save(e);
      archive.write(name, e);
    }
    // Serialised in memory first: LibTorch's file writer throws from its destructor when a write
    // fails (std::terminate); a checked write of the bytes names the file and the reason instead.
    std::ostringstream bytes;
    archive.save_to(bytes);
    write_file_checked(tmp, bytes.str(), path);
  });
}

CheckpointState load_checkpoint(const std::string& path, FerModel& model, torch::optim::Optimizer* optimizer,
                                const NamedModels& extra) {
  if (!std::filesystem::is_regular_file(path)) throw Error(path + ": no such checkpoint");
  if (check_zip_records(path) == ZipCheck::kNotZip) throw Error(path + ": not a ferkit checkpoint (not a LibTorch archive)");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
    c10::IValue v;
    if (!archive.try_read("format", v) || !v.isString() || v.toStringRef() != "ferkit-checkpoint")
      throw Error(path + ": not a ferkit checkpoint");
    archive.read("version", v);
    if (v.toInt() != kCheckpointFormatVersion)
      throw Error(path + ": checkpoint format " + std::to_string(v.toInt()) + ", this ferkit reads format " +
                  std::to_string(kCheckpointFormatVersion) + " (use it with --weights to start a new run from it)");
    CheckpointState s;
    auto get = [&](const char* key) {
      archive.read(key, v);
      return v;
    };
    s.epoch = get("epoch").toInt();
    s.step = get("step").toInt();
    s.best_metric = get("best_metric").toDouble();
    s.best_epoch = get("best_epoch").toInt();
    s.best_weights = get("best_weights").toStringRef();
    s.config_yaml = get("config").toStringRef();
    s.history_json = get("history").toStringRef();
    s.plateau.factor = get("plateau_factor").toDouble();
    s.plateau.best = get("plateau_best").toDouble();
    s.plateau.bad_epochs = get("plateau_bad_epochs").toInt();
    s.smoothed_metric = get("smoothed_metric").toDouble();
    s.best_smoothed = get("best_smoothed").toDouble();
    s.epochs_without_improvement = get("epochs_without_improvement").toInt();
    s.ema_updates = get("ema_updates").toInt();
    s.swa_count = get("swa_count").toInt();
    at::Tensor rng;
    if (archive.try_read("rng_state", rng, /*is_buffer=*/true)) s.rng_state = rng;
    torch::serialize::InputArchive m;
    archive.read("model", m);
    model->load(m);
    if (optimizer) {
      torch::serialize::InputArchive o;
      archive.read("optimizer", o);
      optimizer->load(o);
    }
    for (const auto& [name, extra_model] : extra) {
      torch::serialize::InputArchive e;
      if (!archive.try_read(name, e)) throw Error(path + ": the checkpoint has no '" + name + "' model (was it on in that run?)");
      (*extra_model)->load(e);
    }
    return s;
  } catch (const c10::Error& e) {
    throw Error(path + ": damaged or incompatible checkpoint: " + std::string(e.what_without_backtrace()));
  }
}

}  // namespace ferkit
