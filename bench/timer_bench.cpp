// timer_bench.cpp: M timers in flight at once, each due in 0 or 1 ms (i % 2), all
// started before the loop runs; the run ends when the last one has fired.
//
// Two rows, because tau offers timers at two levels:
// - "tasks that sleep": M tasks each awaiting one sleep. tau: tau::spawn (detached)
//   + co_await tau::sleep. Asio: co_spawn(detached) + steady_timer::async_wait with
//   use_awaitable. Both pay for a coroutine per timer.
// - "timer callbacks": tau_timer_start (the C ABI) vs steady_timer::async_wait with
//   a plain handler.
// The libuv column is the same in spirit on both rows: M uv_timer_t with a callback,
// closed when fired; no coroutines.
//
// Resolution differs and shows in the numbers: libuv (and so tau) rounds to whole
// milliseconds of a clock cached per loop iteration, Asio arms a timerfd with
// nanosecond deadlines. Every variant waits at least ~1 ms for the 1 ms timers.
#include <uv.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <vector>

#include "bench.hpp"
#include "runtime.hpp"
#include "tau/task.hpp"
#include "tau/time.hpp"

namespace tau::bench {
namespace {

namespace asio = boost::asio;

uint64_t due_ms(size_t i) { return i % 2; }

int fired_all(void* ctx) {
  auto* counts = static_cast<size_t*>(ctx);  // {fired, wanted}
  return counts[0] == counts[1] ? 1 : 0;
}

// ---- tau ------------------------------------------------------------------

uint64_t tau_sleeping_tasks(size_t m) {
  detail::runtime_init();
  size_t counts[2] = {0, m};
  for (size_t i = 0; i < m; ++i) {
    spawn([i, fired = &counts[0]]() -> task<> {
      co_await sleep(std::chrono::milliseconds(due_ms(i)));
      ++*fired;
    });  // the join_handle is dropped: the task is detached
  }
  int rc = tau_block_on(&fired_all, counts);
  detail::runtime_close();
  return rc == 0 ? counts[0] : 0;
}

struct tau_timer_slot {
  tau_timer_t* timer = nullptr;
  size_t* fired = nullptr;
};

void tau_timer_fired(void* ctx) {
  auto* slot = static_cast<tau_timer_slot*>(ctx);
  ++*slot->fired;
  tau_timer_stop(slot->timer);
}

uint64_t tau_timer_callbacks(size_t m) {
  detail::runtime_init();
  size_t counts[2] = {0, m};
  std::vector<tau_timer_slot> slots(m, {nullptr, &counts[0]});
  for (size_t i = 0; i < m; ++i) tau_timer_start(&slots[i].timer, due_ms(i), 0, &tau_timer_fired, &slots[i]);
  int rc = tau_block_on(&fired_all, counts);
  detail::runtime_close();
  return rc == 0 ? counts[0] : 0;
}

// ---- native Asio ------------------------------------------------------------

asio::awaitable<void> asio_sleeper(size_t i, size_t* fired) {
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(due_ms(i)));
  co_await timer.async_wait(asio::use_awaitable);
  ++*fired;
}

uint64_t asio_sleeping_tasks(size_t m) {
  asio::io_context ctx{1};
  size_t fired = 0;
  for (size_t i = 0; i < m; ++i) asio::co_spawn(ctx, asio_sleeper(i, &fired), asio::detached);
  ctx.run();
  return fired;
}

uint64_t asio_timer_callbacks(size_t m) {
  asio::io_context ctx{1};
  size_t fired = 0;
  std::vector<asio::steady_timer> timers;
  timers.reserve(m);
  for (size_t i = 0; i < m; ++i) {
    timers.emplace_back(ctx, std::chrono::milliseconds(due_ms(i)));
    timers.back().async_wait([&fired](const boost::system::error_code& ec) {
      if (!ec) ++fired;
    });
  }
  ctx.run();
  return fired;
}

// ---- raw libuv ----------------------------------------------------------------

uint64_t uv_timer_callbacks(size_t m) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  size_t fired = 0;
  std::vector<uv_timer_t> timers(m);
  for (size_t i = 0; i < m; ++i) {
    uv_timer_init(&loop, &timers[i]);
    timers[i].data = &fired;
    uv_timer_start(
        &timers[i],
        [](uv_timer_t* t) {
          ++*static_cast<size_t*>(t->data);
          uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
        },
        due_ms(i), 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return fired;
}

}  // namespace

std::vector<row> timer_rows(const sizes& n) {
  size_t m = n.timers;
  std::string count = std::to_string(m / 1000) + "k";
  return {
      {"timers: tasks that sleep, " + count, m, [m] { return tau_sleeping_tasks(m); },
       [m] { return asio_sleeping_tasks(m); }, [m] { return uv_timer_callbacks(m); }},
      {"timers: timer callbacks, " + count, m, [m] { return tau_timer_callbacks(m); },
       [m] { return asio_timer_callbacks(m); }, [m] { return uv_timer_callbacks(m); }},
  };
}

}  // namespace tau::bench
