// Batching across concurrent requests: request threads hand in their face crops and wait; one
// thread gathers what has arrived (up to a batch, or after a short wait) and classifies it in one
// forward pass, which uses the cores better than many batch-1 passes at once.
#pragma once
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>

#include "ferkit/infer/predictor.h"

namespace ferkit::serve {

class Batcher {
 public:
  Batcher(infer::Predictor& predictor, int max_batch, int max_wait_ms);
  ~Batcher();
  // Blocks until the crops are classified; rethrows the forward pass's error.
  std::vector<std::vector<float>> classify(std::vector<cv::Mat> crops);
  int64_t batches() const { return batches_; }

 private:
  struct Job {
    std::vector<cv::Mat> crops;
    std::promise<std::vector<std::vector<float>>> result;
  };
  void loop();
  infer::Predictor& predictor_;
  int max_batch_, max_wait_ms_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job*> queue_;
  bool stopping_ = false;
  std::atomic<int64_t> batches_{0};
  std::thread thread_;
};

}  // namespace ferkit::serve
