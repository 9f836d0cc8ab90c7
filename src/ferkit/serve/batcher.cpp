#include "ferkit/serve/batcher.h"

namespace ferkit::serve {

Batcher::Batcher(infer::Predictor& p, int max_batch, int max_wait_ms)
    : predictor_(p), max_batch_(std::max(1, max_batch)), max_wait_ms_(std::max(0, max_wait_ms)), thread_([this] { loop(); }) {}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::vector<std::vector<float>> Batcher::classify(std::vector<cv::Mat> crops) {
  if (crops.empty()) return {};
  Job job;
  job.crops = std::move(crops);
  auto future = job.result.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(&job);
  }
  wake_.notify_one();
  return future.get();
}

void Batcher::loop() {
  for (;;) {
    std::vector<Job*> jobs;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      // Give concurrent requests a moment to join this batch.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(max_wait_ms_);
      auto queued = [&] {
        size_t n = 0;
        for (const Job* j : queue_) n += j->crops.size();
        return n;
      };
      while (!stopping_ && queued() < static_cast<size_t>(max_batch_) &&
             wake_.wait_until(lock, deadline) != std::cv_status::timeout) {
      }
      size_t n = 0;
      while (!queue_.empty() && (jobs.empty() || n + queue_.front()->crops.size() <= static_cast<size_t>(max_batch_))) {
        n += queue_.front()->crops.size();
        jobs.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    std::vector<cv::Mat> all;
    for (Job* j : jobs) all.insert(all.end(), j->crops.begin(), j->crops.end());
    try {
      const auto probs = predictor_.classify(all);
      ++batches_;
      size_t k = 0;
      for (Job* j : jobs) {
        const size_t n = j->crops.size();  // read before set_value: the waiting thread then frees the job
        j->result.set_value(std::vector<std::vector<float>>(probs.begin() + k, probs.begin() + k + n));
        k += n;
      }
    } catch (...) {
      for (Job* j : jobs) j->result.set_exception(std::current_exception());
    }
  }
}

}  // namespace ferkit::serve
