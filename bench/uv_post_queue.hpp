// uv_post_queue.hpp: the least a callback queue costs on a raw libuv loop. libuv has
// no post of its own (uv_async_send coalesces and is meant for other threads), so
// this is the usual idiom, and the one tau's tau_post uses: a vector drained by a
// uv_idle_t, which also keeps the poll phase from blocking while work is queued.
// Posts made while draining run on the next iteration, as with tau_post.
#pragma once

#include <uv.h>

#include <vector>

namespace tau::bench {

class uv_post_queue {
 public:
  using callback = void (*)(void* ctx);

  explicit uv_post_queue(uv_loop_t* loop) {
    uv_idle_init(loop, &idle_);
    idle_.data = this;
  }
  uv_post_queue(const uv_post_queue&) = delete;
  uv_post_queue& operator=(const uv_post_queue&) = delete;

  void post(callback cb, void* ctx) {
    if (queued_.empty()) uv_idle_start(&idle_, &drain);
    queued_.push_back({cb, ctx});
  }
  // Closes the idle handle; run the loop once more before closing the loop.
  void close() { uv_close(reinterpret_cast<uv_handle_t*>(&idle_), nullptr); }

 private:
  struct item {
    callback cb;
    void* ctx;
  };

  static void drain(uv_idle_t* handle) {
    auto* self = static_cast<uv_post_queue*>(handle->data);
    self->running_.swap(self->queued_);
    for (const item& i : self->running_) i.cb(i.ctx);
    self->running_.clear();
    if (self->queued_.empty()) uv_idle_stop(&self->idle_);
  }

  uv_idle_t idle_{};
  std::vector<item> queued_;
  std::vector<item> running_;
};

}  // namespace tau::bench
