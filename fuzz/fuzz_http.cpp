// The HTTP fuzz target (fuzz_targets.h): a server started once per process on a free loopback port.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>

#include "ferkit/infer/predictor.h"
#include "ferkit/model.h"
#include "ferkit/serve/server.h"
#include "fuzz_targets.h"

namespace ferkit::fuzz {
namespace {

struct LoopbackServer {
  std::unique_ptr<infer::Predictor> predictor;
  std::unique_ptr<serve::Server> server;
  std::thread thread;
  int port = 0;
  LoopbackServer() {
    infer::PredictOptions o;
    o.detector.kind = "none";
    predictor = std::make_unique<infer::Predictor>(FERKIT_FUZZ_SAMPLE_BUNDLE, o);
    serve::ServeOptions so;
    so.port = 0;
    so.timeout_s = 1;
    so.max_body_bytes = 1 << 20;
    server = std::make_unique<serve::Server>(*predictor, so);
    port = server->bind();
    thread = std::thread([this] { server->run(); });
  }
  ~LoopbackServer() {  // at exit: a joinable thread left behind would call std::terminate
    server->stop();
    if (thread.joinable()) thread.join();
  }
};

}  // namespace

int http_request(const uint8_t* data, size_t size) {
  static LoopbackServer s;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(s.port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Hundreds of thousands of loopback connections can run out of local ports for a moment
  // (EADDRNOTAVAIL): retry for 2 s; a server that accepts nothing for that long has stopped.
  int tries = 0;
  while (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (++tries > 200) {
      std::fprintf(stderr, "fuzz_http: cannot connect to the server: %s\n", std::strerror(errno));
      __builtin_trap();
    }
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
  }
  ::send(fd, data, size, MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  char buf[4096];
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0 && ::recv(fd, buf, sizeof buf, 0) <= 0) break;
    // The request deadline (1 s) closes any connection; 5 s without that is a hang.
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(5)) __builtin_trap();
  }
  ::close(fd);
  return 0;
}

int http_chunked(const uint8_t* data, size_t size) {
  std::string request = "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n";
  request.append(reinterpret_cast<const char*>(data), size);
  return http_request(reinterpret_cast<const uint8_t*>(request.data()), request.size());
}

int array_input(const uint8_t* data, size_t size) {
  static const Model model(FERKIT_FUZZ_SAMPLE_BUNDLE, [] {
    ModelOptions o;
    o.detector = "none";
    return o;
  }());
  if (size < 5) return 0;
  // height and width up to 65535 (the pixel limit refuses the largest), 1 or 3 channels
  const int height = data[0] << 8 | data[1], width = data[2] << 8 | data[3], channels = data[4] % 2 ? 3 : 1;
  const uint8_t* pixels = data + 5;
  const size_t n_pixels = size - 5;
  return allow_ferkit_errors([&] {
    if (height <= 0 || width <= 0 || static_cast<int64_t>(height) * width * channels > (int64_t{16} << 20)) {
      model.predict_image(cv::Mat(), "array");  // refused as empty: an Error
      return;
    }
    cv::Mat image(height, width, channels == 3 ? CV_8UC3 : CV_8UC1);
    const size_t bytes = image.total() * image.elemSize();
    if (n_pixels == 0) image.setTo(0);
    for (size_t done = 0; n_pixels && done < bytes; done += n_pixels)  // the pixels given, repeated
      std::memcpy(image.data + done, pixels, std::min(n_pixels, bytes - done));
    model.predict_image(image, "array");
    if (channels == 1) {
      std::vector<float> out(model.classes().size());
      model.predict_crops(image.data, 1, height, width, out.data());
    }
  });
}

}  // namespace ferkit::fuzz
