// probe_channel: experimental::channel between two coroutines; the receiver
// waits for the sender, values arrive in order, close() ends the receiver.
#include <boost/asio.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <tau_compat/probe.hpp>

namespace asio = boost::asio;
using namespace tau_compat::probe;
using channel_t = asio::experimental::channel<void(boost::system::error_code, int)>;

static channel_t* ch;

static asio::awaitable<void> produce() {
  for (int i = 1; i <= 5; ++i) co_await ch->async_send(boost::system::error_code(), i, asio::use_awaitable);
  ch->close();
}

static asio::awaitable<void> consume() {
  int sum = 0, last = 0;
  bool ordered = true;
  for (;;) {
    auto [ec, v] = co_await ch->async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    ordered = ordered && v == last + 1;
    last = v;
    sum += v;
  }
  expect(sum == 15 && ordered, "received 1..5 in order through the channel");
  done();
}

static void start(asio::io_context& io) {
  ch = make<channel_t>(io, 1);
  asio::co_spawn(io, consume(), asio::detached);
  asio::co_spawn(io, produce(), asio::detached);
}

TAU_COMPAT_PROBE(start)
