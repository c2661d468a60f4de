// post_bench.cpp: posted callbacks, all on the loop thread.
// - chained: each callback posts the next, N in all; one callback in flight, so
//   every post waits for the next turn of the loop (tau, libuv) or of the scheduler
//   (Asio, which looks at its reactor between handlers).
// - burst: N callbacks posted before the loop runs, then drained.
// tau: tau_post. Asio: asio::post to the io_context. libuv: uv_post_queue, the
// idle-drained vector tau_post itself is built on, without tau's bookkeeping.
#include <uv.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "bench.hpp"
#include "runtime.hpp"
#include "tau/tau.h"
#include "uv_post_queue.hpp"

namespace tau::bench {
namespace {

namespace asio = boost::asio;

struct counter {
  size_t left;
  uint64_t ran = 0;
};

// ---- tau ------------------------------------------------------------------

void tau_chain_step(void* ctx) {
  auto* c = static_cast<counter*>(ctx);
  ++c->ran;
  if (--c->left > 0) tau_post(&tau_chain_step, c);
}

uint64_t tau_chained(size_t n) {
  detail::runtime_init();
  counter c{n};
  if (n > 0) tau_post(&tau_chain_step, &c);
  detail::runtime_run();
  detail::runtime_close();
  return c.ran;
}

void tau_count(void* ctx) { ++static_cast<counter*>(ctx)->ran; }

uint64_t tau_burst(size_t n) {
  detail::runtime_init();
  counter c{n};
  for (size_t i = 0; i < n; ++i) tau_post(&tau_count, &c);
  detail::runtime_run();
  detail::runtime_close();
  return c.ran;
}

// ---- native Asio ------------------------------------------------------------

void asio_chain_step(asio::io_context& ctx, counter& c) {
  ++c.ran;
  if (--c.left > 0) asio::post(ctx, [&ctx, &c] { asio_chain_step(ctx, c); });
}

uint64_t asio_chained(size_t n) {
  asio::io_context ctx{1};
  counter c{n};
  if (n > 0) asio::post(ctx, [&ctx, &c] { asio_chain_step(ctx, c); });
  ctx.run();
  return c.ran;
}

uint64_t asio_burst(size_t n) {
  asio::io_context ctx{1};
  counter c{n};
  for (size_t i = 0; i < n; ++i) asio::post(ctx, [&c] { ++c.ran; });
  ctx.run();
  return c.ran;
}

// ---- raw libuv ----------------------------------------------------------------

struct uv_chain {
  uv_post_queue* queue;
  counter c;

  static void step(void* ctx) {
    auto* self = static_cast<uv_chain*>(ctx);
    ++self->c.ran;
    if (--self->c.left > 0) self->queue->post(&step, self);
  }
};

uint64_t uv_chained(size_t n) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_post_queue queue(&loop);
  uv_chain chain{&queue, {n}};
  if (n > 0) queue.post(&uv_chain::step, &chain);
  uv_run(&loop, UV_RUN_DEFAULT);
  queue.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return chain.c.ran;
}

void uv_count(void* ctx) { ++static_cast<counter*>(ctx)->ran; }

uint64_t uv_burst(size_t n) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_post_queue queue(&loop);
  counter c{n};
  for (size_t i = 0; i < n; ++i) queue.post(&uv_count, &c);
  uv_run(&loop, UV_RUN_DEFAULT);
  queue.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return c.ran;
}

}  // namespace

std::vector<row> post_rows(const sizes& n) {
  size_t k = n.posts;
  std::string count = std::to_string(k / 1000) + "k";
  return {
      {"post: chained, " + count, k, [k] { return tau_chained(k); }, [k] { return asio_chained(k); },
       [k] { return uv_chained(k); }},
      {"post: burst, " + count, k, [k] { return tau_burst(k); }, [k] { return asio_burst(k); },
       [k] { return uv_burst(k); }},
  };
}

}  // namespace tau::bench
