// spawn_bench.cpp: spawning N tasks that each return a number, and joining them.
//
// What counts as "the same work" on each side:
// - tau: tau::spawn + co_await join_handle, inside tau::block_on. A spawned task
//   starts on a later loop iteration, and its completion reaches the joiner on a
//   later iteration again (two loop hops per task, by tau.h's rules).
// - Asio: co_spawn of an awaitable<uint64_t>, the idiomatic Asio 1.81 spawn. Joined
//   one at a time it is `co_await co_spawn(ex, child, use_awaitable)`. Spawned all
//   first, it is co_spawn(..., experimental::use_promise): Asio's only eager
//   spawn-now-await-later handle, the counterpart of join_handle. Note that Asio's
//   co_spawn starts the child inline (dispatch) and posts only its completion, so it
//   makes one hop per task where tau makes two; that difference is part of what is
//   measured. A promise awaited after it completed costs Asio one more post.
// - libuv: no tasks at all, only the hops tau's design needs: the child runs from a
//   posted callback and posts its result to the parent. The floor for tau's design,
//   not a feature-for-feature equivalent.
#include <uv.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/promise.hpp>
#include <boost/asio/experimental/use_promise.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <vector>

#include "bench.hpp"
#include "runtime.hpp"
#include "tau/task.hpp"
#include "uv_post_queue.hpp"

namespace tau::bench {
namespace {

namespace asio = boost::asio;

// ---- tau ------------------------------------------------------------------

uint64_t tau_one_by_one(size_t n) {
  detail::runtime_init();
  uint64_t sum = block_on([n]() -> task<uint64_t> {
    uint64_t s = 0;
    for (size_t i = 0; i < n; ++i) s += co_await spawn([i]() -> task<uint64_t> { co_return i; });
    co_return s;
  });
  detail::runtime_close();
  return sum;
}

uint64_t tau_all_then_join(size_t n) {
  detail::runtime_init();
  uint64_t sum = block_on([n]() -> task<uint64_t> {
    std::vector<join_handle<uint64_t>> handles;
    handles.reserve(n);
    for (size_t i = 0; i < n; ++i) handles.push_back(spawn([i]() -> task<uint64_t> { co_return i; }));
    uint64_t s = 0;
    for (auto& h : handles) s += co_await h;
    co_return s;
  });
  detail::runtime_close();
  return sum;
}

// ---- native Asio ------------------------------------------------------------

asio::awaitable<uint64_t> asio_child(uint64_t i) { co_return i; }

asio::awaitable<uint64_t> asio_one_by_one_parent(size_t n) {
  auto ex = co_await asio::this_coro::executor;
  uint64_t s = 0;
  for (size_t i = 0; i < n; ++i) s += co_await asio::co_spawn(ex, asio_child(i), asio::use_awaitable);
  co_return s;
}

asio::awaitable<uint64_t> asio_all_then_join_parent(size_t n) {
  auto ex = co_await asio::this_coro::executor;
  using promise_t = decltype(asio::co_spawn(ex, asio_child(0), asio::experimental::use_promise));
  std::vector<promise_t> promises;
  promises.reserve(n);
  for (size_t i = 0; i < n; ++i)
    promises.push_back(asio::co_spawn(ex, asio_child(i), asio::experimental::use_promise));
  uint64_t s = 0;
  for (auto& p : promises) s += co_await p(asio::use_awaitable);
  co_return s;
}

// Runs parent on a fresh single-threaded io_context and returns its result.
uint64_t asio_run(asio::awaitable<uint64_t> parent) {
  asio::io_context ctx{1};
  uint64_t sum = 0;
  std::exception_ptr error;
  asio::co_spawn(ctx, std::move(parent), [&](std::exception_ptr e, uint64_t s) {
    error = e;
    sum = s;
  });
  ctx.run();
  if (error) std::rethrow_exception(error);
  return sum;
}

// ---- raw libuv ----------------------------------------------------------------

struct uv_one_by_one {
  uv_post_queue* queue;
  size_t n;
  uint64_t next = 0;
  uint64_t result = 0;
  uint64_t sum = 0;

  static void child(void* ctx) {
    auto* self = static_cast<uv_one_by_one*>(ctx);
    self->result = self->next;
    self->queue->post(&joined, self);
  }
  static void joined(void* ctx) {
    auto* self = static_cast<uv_one_by_one*>(ctx);
    self->sum += self->result;
    if (++self->next < self->n) self->queue->post(&child, self);
  }
};

uint64_t uv_one_by_one_run(size_t n) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_post_queue queue(&loop);
  uv_one_by_one state{&queue, n};
  if (n > 0) queue.post(&uv_one_by_one::child, &state);
  uv_run(&loop, UV_RUN_DEFAULT);
  queue.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return state.sum;
}

struct uv_all_then_join {
  struct slot {
    uv_all_then_join* parent;
    uint64_t value;
  };
  uv_post_queue* queue;
  std::vector<slot> slots;
  size_t joined = 0;
  uint64_t sum = 0;

  static void child(void* ctx) {
    auto* s = static_cast<slot*>(ctx);
    s->value = static_cast<uint64_t>(s - s->parent->slots.data());
    s->parent->queue->post(&complete, s);
  }
  static void complete(void* ctx) {
    auto* s = static_cast<slot*>(ctx);
    s->parent->sum += s->value;
    ++s->parent->joined;
  }
};

uint64_t uv_all_then_join_run(size_t n) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_post_queue queue(&loop);
  uv_all_then_join state{&queue, {}};
  state.slots.resize(n, {&state, 0});
  for (auto& s : state.slots) queue.post(&uv_all_then_join::child, &s);
  uv_run(&loop, UV_RUN_DEFAULT);
  queue.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return state.joined == n ? state.sum : 0;
}

}  // namespace

std::vector<row> spawn_rows(const sizes& n) {
  size_t k = n.spawn_tasks;
  uint64_t expected = k == 0 ? 0 : uint64_t(k) * (k - 1) / 2;
  std::string count = std::to_string(k / 1000) + "k";
  return {
      {"spawn+join one by one, " + count, expected, [k] { return tau_one_by_one(k); },
       [k] { return asio_run(asio_one_by_one_parent(k)); }, [k] { return uv_one_by_one_run(k); }},
      {"spawn all, then join all, " + count, expected, [k] { return tau_all_then_join(k); },
       [k] { return asio_run(asio_all_then_join_parent(k)); }, [k] { return uv_all_then_join_run(k); }},
  };
}

}  // namespace tau::bench
