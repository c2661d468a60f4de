// The scheduler's work count when handlers post from inside a drain: that work is
// counted privately and folded in once per handler, so run() must still return
// exactly when the last handler ran, posts must keep their order, and a poll()
// inside a handler must run what that handler posted. A count that drifts shows as
// a run() that returns early (fewer handlers) or never (the test times out).
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <cstdio>
#include <string>

namespace asio = boost::asio;

namespace {

struct chain {
  asio::io_context& io;
  char name;
  int left;
  std::string& order;
  void operator()() {
    if (order.size() < 8) order += name;
    if (--left > 0) asio::post(io, *this);
  }
};

void fan_out(asio::io_context& io, int depth, int& ran) {
  ++ran;
  if (depth == 0) return;
  for (int i = 0; i < 3; ++i) asio::post(io, [&io, depth, &ran] { fan_out(io, depth - 1, ran); });
}

tau_task_id process(const uint8_t*, size_t) {
  asio::io_context io;

  std::string order;
  asio::post(io, chain{io, 'A', 10000, order});
  asio::post(io, chain{io, 'B', 10000, order});
  std::size_t ran = io.run();
  std::printf("chains: run returned after %zu handlers, order %s\n", ran, order.c_str());

  io.restart();
  int fanned = 0;
  asio::post(io, [&] { fan_out(io, 5, fanned); });
  ran = io.run();
  std::printf("fan-out: %d handlers ran, run returned after %zu\n", fanned, ran);

  io.restart();
  std::size_t polled = 0;
  int after = 0;
  asio::post(io, [&] {
    asio::post(io, [&] { asio::post(io, [&] { ++after; }); });
    asio::post(io, [&] { ++after; });
    polled = io.poll();
  });
  io.run();
  std::printf("poll in a handler: ran %zu, then %d, stopped=%d\n", polled, after, io.stopped() ? 1 : 0);

  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

