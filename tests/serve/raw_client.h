// A raw TCP connection to a loopback port: the client of the tests and benchmarks that speak HTTP
// byte by byte (slow, oversized, malformed, pipelined clients) to `ferkit serve`
// (tests/hostile/test_hostile_server.cpp, bench/serve_faults.cpp).
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>

namespace ferkit::test {

// The connected socket, or -1 when nothing accepts on `port`. With `timeout_s` > 0, reads and
// writes give up after that many seconds instead of blocking.
inline int connect_loopback(int port, int timeout_s = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  if (timeout_s > 0) {
    timeval tv{timeout_s, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  return fd;
}

}  // namespace ferkit::test
