// channels: timers and a channel. A producer task sends numbered messages, one every
// 10 ms, into a bounded channel; a consumer task prints each one and, once the
// producer is done and the channel drained, their sum. The output is the same on
// every run.
//
// Input: the number of messages (default 5).
#include <tau/plugin.h>
#include <tau/tau.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

using namespace std::chrono_literals;

namespace {

constexpr int default_count = 5;

struct message {
  int number;
  std::string text;
};

int parse_count(const uint8_t* data, size_t len) {
  if (len == 0) return default_count;
  const char* first = reinterpret_cast<const char*>(data);
  int count = 0;
  auto [end, ec] = std::from_chars(first, first + len, count);
  if (ec != std::errc() || end != first + len || count < 0)
    throw std::invalid_argument("channels: input wants a number of messages, got '" +
                                std::string(first, len) + "'");
  return count;
}

tau::task<> produce(tau::mpsc::sender<message> tx, int count) {
  // A local, not the parameter: it goes away when the body ends, and with it the
  // last sender, which is what ends the consumer's loop.
  auto out = std::move(tx);
  tau::interval every(10ms);
  for (int i = 1; i <= count; ++i) {
    co_await every.tick();
    // Named, not a temporary: GCC 12 copies an aggregate temporary that lives across
    // a co_await bitwise, which breaks the std::string inside it.
    message next{i, "message " + std::to_string(i)};
    if (!co_await out.send(std::move(next))) co_return;  // the receiver is gone
  }
}

tau::task<> consume(tau::mpsc::receiver<message> rx) {
  auto in = std::move(rx);
  int sum = 0;
  int received = 0;
  while (auto m = co_await in.recv()) {
    std::printf("received %s\n", m->text.c_str());
    sum += m->number;
    ++received;
  }
  std::printf("sum of %d messages: %d\n", received, sum);
  std::fflush(stdout);
}

tau::task<> run(int count) {
  auto channel = tau::mpsc::channel<message>(2);
  auto producer = tau::spawn(produce(std::move(channel.first), count));
  auto consumer = tau::spawn(consume(std::move(channel.second)));
  co_await producer;
  co_await consumer;
}

tau_task_id process(const uint8_t* data, size_t len) {
  int count = parse_count(data, len);
  return tau::spawn(run(count)).task_id();
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {}
