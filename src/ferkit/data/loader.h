// The batch loader: worker threads turn (sampler order, uint8 images) into augmented, normalised
// float batches, delivered in order. Deterministic under a seed: the random draws of batch b of
// epoch e depend only on (seed, e, b), never on which worker made it.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <ATen/core/Tensor.h>  // at::Tensor only: keeps this header cheap to include

#include "ferkit/data/augment.h"
#include "ferkit/data/dataset.h"
#include "ferkit/data/preprocess.h"
#include "ferkit/data/sampler.h"

namespace ferkit {

struct LoaderConfig {
  int64_t batch_size = 64;
  int workers = 2;                  // 0: batches are made in the calling thread
  std::string sampler = "uniform";  // see sampler.h
  bool drop_last = false;           // drop a last, smaller batch
  bool augment = true;              // false: resize and normalise only (evaluation)
  uint64_t seed = 1;
  int prefetch = 2;                 // batches made ahead, per worker
  // Data-parallel training: this process's shard of every epoch (sampler.h, shard_order);
  // batch_size is then the per-process batch.
  int rank = 0, world = 1;
};

struct Batch {
  at::Tensor images;   // (B, C, H, W) float32, normalised
  at::Tensor targets;  // (B, 8) float32, soft targets (mixed under mixup/cutmix)
  at::Tensor labels;   // (B) int64, the unmixed hard labels
  at::Tensor index;    // (B) int64, rows of the labelled split
};

class BatchLoader {
 public:
  // The split and its labels must outlive the loader.
  BatchLoader(const Split& split, const LabelledSplit& labelled, LoaderConfig config, AugmentConfig augment,
              Preprocess preprocess);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  void start_epoch(int64_t epoch);   // (re)starts the workers on this epoch's order
  std::optional<Batch> next();       // the next batch of the epoch, or nullopt at its end
  int64_t num_batches() const { return num_batches_; }
  // Turns mixup/cutmix on or off from the next start_epoch (their schedule: --mix-off-epoch).
  void set_mixing(bool on) { mixing_ = on; }
  int64_t size() const { return labelled_.size(); }

  // Builds batch b of the current epoch (the workers' job; public for tests).
  Batch make_batch(int64_t b) const;

 private:
  void stop();
  void worker_loop();

  const Split& split_;
  const LabelledSplit& labelled_;
  LoaderConfig config_;
  AugmentConfig augment_;
  Preprocess preprocess_;
  std::unique_ptr<Sampler> sampler_;

  int64_t epoch_ = 0;
  bool mixing_ = true;
  std::vector<int64_t> order_;   // this epoch's indices into labelled_
  int64_t num_batches_ = 0;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::optional<Batch>> slots_;
  int64_t next_to_make_ = 0, next_to_give_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> workers_;
};

}  // namespace ferkit
