#include "ferkit/train/checkpoint.h"

#include <filesystem>

#include <torch/torch.h>

#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"

namespace ferkit {

void save_checkpoint(const std::string& path, FerModel& model, torch::optim::Optimizer& optimizer,
                     const CheckpointState& state) {
  atomic_write(path, [&](const std::string& tmp) {
    torch::serialize::OutputArchive archive;
    archive.write("format", c10::IValue(std::string("ferkit-checkpoint")));
    archive.write("version", c10::IValue(static_cast<int64_t>(kCheckpointFormatVersion)));
    archive.write("epoch", c10::IValue(state.epoch));
    archive.write("step", c10::IValue(state.step));
    archive.write("best_metric", c10::IValue(state.best_metric));
    archive.write("best_epoch", c10::IValue(state.best_epoch));
    archive.write("config", c10::IValue(state.config_yaml));
    torch::serialize::OutputArchive m, o;
    model->save(m);
    optimizer.save(o);
    archive.write("model", m);
    archive.write("optimizer", o);
    archive.save_to(tmp);
  });
}

CheckpointState load_checkpoint(const std::string& path, FerModel& model, torch::optim::Optimizer* optimizer) {
  if (!std::filesystem::is_regular_file(path)) throw Error(path + ": no such checkpoint");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
    c10::IValue format, epoch, step, best, best_epoch, config;
    if (!archive.try_read("format", format) || format.toStringRef() != "ferkit-checkpoint")
      throw Error(path + ": not a ferkit checkpoint");
    archive.read("epoch", epoch);
    archive.read("step", step);
    archive.read("best_metric", best);
    archive.read("best_epoch", best_epoch);
    archive.read("config", config);
    torch::serialize::InputArchive m;
    archive.read("model", m);
    model->load(m);
    if (optimizer) {
      torch::serialize::InputArchive o;
      archive.read("optimizer", o);
      optimizer->load(o);
    }
    CheckpointState s;
    s.epoch = epoch.toInt();
    s.step = step.toInt();
    s.best_metric = best.toDouble();
    s.best_epoch = best_epoch.toInt();
    s.config_yaml = config.toStringRef();
    return s;
  } catch (const c10::Error& e) {
    throw Error(path + ": damaged or incompatible checkpoint: " + std::string(e.what_without_backtrace()));
  }
}

}  // namespace ferkit
