// Timers fire in deadline order through the shim's 4-ary timer heap, also after
// waits were cancelled and timers re-armed in the middle of the heap: 3000 steady
// timers at distinct deadlines in shuffled order, a fifth cancelled, a fifth moved
// to a new deadline (expires_at cancels the pending wait first, as in Asio).
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

namespace asio = boost::asio;
using clock_type = asio::steady_timer::clock_type;

namespace {

struct timer_slot {
  asio::steady_timer timer;
  clock_type::time_point deadline;
};

tau_task_id process(const uint8_t*, size_t) {
  constexpr int count = 3000;
  asio::io_context io;
  std::mt19937 random(12345);
  // Deadlines 20 ms from now onwards, 7 us apart, armed in shuffled order.
  auto base = clock_type::now() + std::chrono::milliseconds(20);
  std::vector<int> order(count);
  for (int i = 0; i < count; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), random);

  std::vector<timer_slot> slots;
  slots.reserve(count);
  std::vector<clock_type::time_point> fired;
  int aborted = 0;
  auto wait = [&](timer_slot& slot) {
    slot.timer.expires_at(slot.deadline);
    slot.timer.async_wait([&, d = slot.deadline](boost::system::error_code ec) {
      if (ec == asio::error::operation_aborted)
        ++aborted;
      else
        fired.push_back(d);
    });
  };
  for (int i : order) {
    slots.push_back({asio::steady_timer(io), base + std::chrono::microseconds(7 * i)});
    wait(slots.back());
  }
  int cancelled = 0;
  int moved = 0;
  for (int i = 0; i < count; ++i) {
    if (i % 5 == 1) {
      cancelled += static_cast<int>(slots[i].timer.cancel());
    } else if (i % 5 == 2) {
      // Later, or earlier, than any other: up and down the heap.
      slots[i].deadline += std::chrono::microseconds(i % 2 == 0 ? 30000 : -15000);
      wait(slots[i]);
      ++moved;
    }
  }
  io.run();
  bool in_order = std::is_sorted(fired.begin(), fired.end());
  std::printf("fired %zu in deadline order: %s; aborted %d (cancelled %d, moved %d)\n", fired.size(),
              in_order ? "yes" : "no", aborted, cancelled, moved);
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
