// A program's poll_one() (its main runs on a thread of its own, so its context is
// run-gated: only run()/poll() callers get handlers run) runs one handler per call,
// on the loop thread, and leaves what that handler posted for the next call.
#include <boost/asio.hpp>

#include <cstdio>
#include <string>

namespace asio = boost::asio;

int main() {
  asio::io_context io;
  std::string order;
  asio::post(io, [&] {
    order += 'a';
    asio::post(io, [&] { order += 'b'; });
  });
  std::size_t first = io.poll_one();
  std::size_t second = io.poll_one();
  std::size_t third = io.poll_one();
  std::printf("poll_one from a program: %zu %zu %zu, order %s, stopped=%d\n", first, second, third,
              order.c_str(), io.stopped() ? 1 : 0);
}
