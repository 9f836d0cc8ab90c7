#include "ferkit/data/loader.h"

#include <torch/torch.h>

#include "ferkit/util/error.h"

namespace ferkit {

BatchLoader::BatchLoader(const Split& split, const LabelledSplit& labelled, LoaderConfig config, AugmentConfig augment,
                         Preprocess preprocess)
    : split_(split), labelled_(labelled), config_(config), augment_(augment), preprocess_(preprocess) {
  FERKIT_CHECK(config_.batch_size > 0, "batch size must be positive");
  FERKIT_CHECK(config_.workers >= 0, "workers must be >= 0");
  preprocess_.validate();
  validate_augment(augment_);
  sampler_ = make_sampler(config_.sampler, labelled_.labels);
}

BatchLoader::~BatchLoader() { stop(); }

void BatchLoader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void BatchLoader::start_epoch(int64_t epoch) {
  stop();
  epoch_ = epoch;
  order_ = shard_order(sampler_->epoch_order(epoch, config_.seed), config_.rank, config_.world);
  const int64_t n = static_cast<int64_t>(order_.size());
  num_batches_ = config_.drop_last ? n / config_.batch_size : (n + config_.batch_size - 1) / config_.batch_size;
  slots_.assign(num_batches_, std::nullopt);
  next_to_make_ = next_to_give_ = 0;
  stopping_ = false;
  error_ = nullptr;
  for (int w = 0; w < config_.workers; ++w) workers_.emplace_back([this] { worker_loop(); });
}

Batch BatchLoader::make_batch(int64_t b) const {
  const int64_t begin = b * config_.batch_size;
  const int64_t end = std::min<int64_t>(begin + config_.batch_size, order_.size());
  const int64_t bs = end - begin;
  const int n = preprocess_.input_size, c = preprocess_.channels, s = static_cast<int>(split_.images.size(1));
  // One generator per batch, seeded by (seed, epoch, batch): reproducible with any worker count.
  // Workers of a data-parallel run draw apart (the rank joins the seed; one process keeps the old seeds).
  std::vector<uint32_t> key{static_cast<uint32_t>(config_.seed), static_cast<uint32_t>(config_.seed >> 32),
                            static_cast<uint32_t>(epoch_), static_cast<uint32_t>(b), 0xba7c4u};
  if (config_.world > 1) key.push_back(static_cast<uint32_t>(config_.rank) + 0x51a2d000u);
  std::seed_seq seq(key.begin(), key.end());
  Rng rng(seq);

  Batch batch;
  batch.images = torch::empty({bs, c, n, n}, torch::kFloat32);
  batch.index = torch::empty({bs}, torch::kInt64);
  float* out = batch.images.data_ptr<float>();
  int64_t* idx = batch.index.data_ptr<int64_t>();
  const int64_t* rows = labelled_.index.data_ptr<int64_t>();
  const uint8_t* pixels = split_.images.data_ptr<uint8_t>();
  for (int64_t i = 0; i < bs; ++i) {
    const int64_t li = order_[begin + i];
    idx[i] = li;
    // The uint8 image is only read: wrap it without a copy.
    const cv::Mat gray(s, s, CV_8U, const_cast<uint8_t*>(pixels + rows[li] * static_cast<int64_t>(s) * s));
    augment_image(gray, augment_, preprocess_, config_.augment, rng, out + i * c * n * n, nullptr,
                  DrawKey{rows[li], epoch_, config_.seed});
  }
  batch.targets = labelled_.targets.index_select(0, batch.index);
  batch.labels = labelled_.labels.index_select(0, batch.index);
  if (config_.augment && mixing_) mix_batch(batch.images, batch.targets, augment_, rng);
  return batch;
}

void BatchLoader::worker_loop() {
  const int64_t window = std::max(1, config_.prefetch) * std::max(1, config_.workers);
  while (true) {
    int64_t b;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || next_to_make_ < next_to_give_ + window; });
      if (stopping_ || next_to_make_ >= num_batches_) return;
      b = next_to_make_++;
    }
    try {
      Batch batch = make_batch(b);
      std::lock_guard<std::mutex> lock(mutex_);
      slots_[b] = std::move(batch);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    cv_.notify_all();
  }
}

std::optional<Batch> BatchLoader::next() {
  if (next_to_give_ >= num_batches_) return std::nullopt;
  if (workers_.empty()) return make_batch(next_to_give_++);
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return error_ || slots_[next_to_give_].has_value(); });
  if (error_) std::rethrow_exception(error_);
  Batch batch = std::move(*slots_[next_to_give_]);
  slots_[next_to_give_].reset();
  ++next_to_give_;
  lock.unlock();
  cv_.notify_all();
  return batch;
}

}  // namespace ferkit
