// loop.cpp: the one loop, its thread, the post queue, loop holds and block_on.
#include <uv.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "runtime.hpp"

namespace tau::detail {
namespace {

struct posted {
  tau_callback cb;
  void* ctx;
  owner_id owner;
};

struct loop_state {
  uv_loop_t loop{};
  // Active exactly while `local` is non-empty: it drains the queue, keeps the loop
  // alive and keeps it from blocking in poll.
  uv_idle_t drain{};
  // Wakes the loop for posts from other threads; referenced only while held.
  uv_async_t wake{};
  // Run just before and just after the loop waits for events, to tell the watchdog
  // that the loop thread waits rather than runs plugin code.
  uv_prepare_t before_wait{};
  uv_check_t after_wait{};
  // Posts from the loop thread, in order; those before local_head ran. on_drain
  // reads it by index, since the callbacks it runs append to it; an entry dropped
  // meanwhile has a null cb.
  std::vector<posted> local;
  size_t local_head = 0;
  std::mutex remote_mutex;
  std::vector<posted> remote;
  size_t holds = 0;
  int run_depth = 0;
  bool initialized = false;
  // Whether tau_post accepts callbacks; written under remote_mutex.
  std::atomic<bool> open{false};
  std::vector<std::string> owner_names{"host"};
  std::vector<size_t> owner_failures{0};
};

loop_state state;
thread_local bool t_loop_thread = false;
owner_id g_current_owner = host_owner;
// The plugin a plugin thread (tau_thread_spawn) belongs to.
thread_local owner_id t_thread_owner = host_owner;
thread_local running_code t_code;

// A drain runs the posts in order, and those its callbacks post, until this many
// ran: chained posts need no loop turn (and no epoll_wait) each, while I/O still
// gets a turn now and then.
constexpr size_t drain_budget = 1024;

void on_drain(uv_idle_t*) {
  size_t& head = state.local_head;
  const size_t stop = head + drain_budget;
  while (head < state.local.size() && head < stop) {
    posted p = state.local[head++];  // a copy: the callback may grow the vector
    if (p.cb != nullptr) guarded_call(p.owner, "posted callback", [&] { p.cb(p.ctx); });
  }
  if (head == state.local.size()) {
    state.local.clear();
    head = 0;
    uv_idle_stop(&state.drain);
  } else if (head * 2 >= state.local.size()) {
    // A long backlog: drop what ran once it is half the vector (amortized O(1)).
    state.local.erase(state.local.begin(), state.local.begin() + static_cast<std::ptrdiff_t>(head));
    head = 0;
  }
}

void enqueue_local(tau_callback cb, void* ctx, owner_id owner) {
  if (state.local.empty()) uv_idle_start(&state.drain, on_drain);
  // Written in place: a posted built on the stack and copied stalls store forwarding.
  posted& p = state.local.emplace_back();
  p.cb = cb;
  p.ctx = ctx;
  p.owner = owner;
}

void on_wake(uv_async_t*) {
  flush_deferred_poll_stops();
  std::vector<posted> moved;
  {
    std::lock_guard lock(state.remote_mutex);
    moved.swap(state.remote);
  }
  for (const posted& p : moved) enqueue_local(p.cb, p.ctx, p.owner);
}

void on_before_wait(uv_prepare_t*) { watchdog_note({}); }
void on_after_wait(uv_check_t*) { watchdog_note(t_code); }

void close_any(uv_handle_t* h, void*) {
  if (!uv_is_closing(h)) uv_close(h, h->data != nullptr ? delete_wrapper : nullptr);
}

}  // namespace

void runtime_init() {
  if (state.initialized) return;
  uv_loop_init(&state.loop);
  uv_idle_init(&state.loop, &state.drain);
  state.drain.data = nullptr;
  uv_async_init(&state.loop, &state.wake, on_wake);
  state.wake.data = nullptr;
  uv_unref(reinterpret_cast<uv_handle_t*>(&state.wake));
  uv_prepare_init(&state.loop, &state.before_wait);
  state.before_wait.data = nullptr;
  uv_prepare_start(&state.before_wait, on_before_wait);
  uv_unref(reinterpret_cast<uv_handle_t*>(&state.before_wait));
  uv_check_init(&state.loop, &state.after_wait);
  state.after_wait.data = nullptr;
  uv_check_start(&state.after_wait, on_after_wait);
  uv_unref(reinterpret_cast<uv_handle_t*>(&state.after_wait));
  timers_init();
  state.holds = 0;
  state.run_depth = 0;
  state.initialized = true;
  state.open.store(true);
  t_loop_thread = true;
}

void runtime_quiesce() {
  if (!state.initialized) return;
  ++state.run_depth;
  for (;;) {
    bool posts = !state.local.empty();
    if (!posts) {
      std::lock_guard lock(state.remote_mutex);
      posts = !state.remote.empty();
    }
    bool requests = state.loop.active_reqs.count > 0;  // blocking jobs, lookups
    if (!posts && !requests) break;
    // Posts make the turn non-blocking (the drain idle handle is active); a turn
    // with only requests in flight sleeps until one of them completes.
    uv_run(&state.loop, UV_RUN_ONCE);
  }
  --state.run_depth;
}

void runtime_close() {
  if (!state.initialized) return;
  // Wake what still waits outside the loop; let tasks still running end through
  // their cancel, and run the completions and releases already posted, so no task
  // state outlives the runtime.
  if (!shutting_down()) begin_shutdown();
  abort_all_tasks();
  threads_reset();
  runtime_quiesce();
  {
    std::lock_guard lock(state.remote_mutex);
    state.open.store(false);
  }
  flush_deferred_poll_stops();
  tasks_reset();
  signals_reset();
  timers_reset();
  // Handles owned by subsystems free themselves in their close callbacks; handles
  // nobody stopped are closed here without a callback.
  uv_walk(&state.loop, close_any, nullptr);
  uv_run(&state.loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&state.loop) != 0) std::fprintf(stderr, "tau: loop closed with handles still open\n");
  state.local.clear();
  state.local_head = 0;
  state.remote.clear();
  state.initialized = false;
  shutdown_reset();
  t_loop_thread = false;
  state.owner_names.resize(1);
  state.owner_failures.assign(1, 0);
}

int runtime_run() {
  if (!t_loop_thread) return TAU_E_WRONG_THREAD;
  if (state.run_depth > 0) return TAU_E_IN_LOOP;
  ++state.run_depth;
  uv_run(&state.loop, UV_RUN_DEFAULT);
  --state.run_depth;
  return 0;
}

void runtime_run_once() {
  ++state.run_depth;
  uv_run(&state.loop, UV_RUN_ONCE);
  --state.run_depth;
}

void drop_posts_into(owner_id owner) {
  auto into_owner = [owner](const posted& p) {
    return p.owner == owner && owner_at_address(reinterpret_cast<uintptr_t>(p.cb)) == owner;
  };
  // Cleared in place rather than erased: a drain may be reading local by index.
  for (posted& p : state.local) {
    if (p.cb != nullptr && into_owner(p)) p.cb = nullptr;
  }
  std::lock_guard lock(state.remote_mutex);
  std::erase_if(state.remote, into_owner);
}

std::vector<const char*> close_handles_of(owner_id owner) {
  auto collect = [](uv_handle_t* h, void* arg) {
    auto& [owner, wrappers] = *static_cast<std::pair<owner_id, std::vector<handle_wrapper*>>*>(arg);
    if (h->data == nullptr || uv_is_closing(h)) return;
    auto* w = static_cast<handle_wrapper*>(h->data);
    if (w->owner() == owner && w->kind() != nullptr) wrappers.push_back(w);
  };
  std::pair<owner_id, std::vector<handle_wrapper*>> found{owner, {}};
  uv_walk(&state.loop, collect, &found);
  std::vector<const char*> kinds = stop_timers_of(owner);
  for (handle_wrapper* w : found.second) {
    kinds.push_back(w->kind());
    w->stop();
  }
  return kinds;
}

uv_loop_t* loop() { return &state.loop; }
void delete_wrapper(uv_handle_t* handle) { delete static_cast<handle_wrapper*>(handle->data); }
bool on_loop_thread() { return t_loop_thread; }
bool loop_running() { return state.run_depth > 0; }
bool runtime_open() { return state.open.load(); }

owner_id current_owner() { return t_loop_thread ? g_current_owner : t_thread_owner; }
void set_thread_owner(owner_id owner) { t_thread_owner = owner; }

owner_id register_owner(std::string name) {
  state.owner_names.push_back(std::move(name));
  state.owner_failures.push_back(0);
  auto owner = static_cast<owner_id>(state.owner_names.size() - 1);
  record_owner_name(owner, state.owner_names.back());
  return owner;
}

const std::string& owner_name(owner_id owner) {
  return state.owner_names.at(owner < state.owner_names.size() ? owner : 0);
}

size_t failure_count(owner_id owner) {
  return owner < state.owner_failures.size() ? state.owner_failures[owner] : 0;
}

void report_failure(owner_id owner, std::string_view message) {
  if (owner >= state.owner_failures.size()) owner = host_owner;
  ++state.owner_failures[owner];
  const std::string& name = owner_name(owner);
  if (owner == host_owner) std::fprintf(stderr, "tau: %.*s\n", int(message.size()), message.data());
  else std::fprintf(stderr, "tau: plugin '%s': %.*s\n", name.c_str(), int(message.size()), message.data());
}

owner_scope::owner_scope(owner_id owner) : saved_(g_current_owner) { g_current_owner = owner; }
owner_scope::~owner_scope() { g_current_owner = saved_; }

running_code current_code() { return t_code; }
void set_thread_code(running_code code) { t_code = code; }

callback_scope::callback_scope(owner_id owner, const char* what) : owner_(owner), saved_(t_code) {
  t_code = {owner, what};
  watchdog_note(t_code);
}

callback_scope::~callback_scope() {
  t_code = saved_;
  watchdog_note(saved_);
}

}  // namespace tau::detail

using namespace tau::detail;

extern "C" {

const char* tau_strerror(int err) {
  switch (err) {
    case 0: return "success";
    case TAU_E_WRONG_THREAD: return "called off the loop thread";
    case TAU_E_IN_LOOP: return "blocking call from inside the running loop (would deadlock)";
    case TAU_E_STALLED: return "nothing left on the loop can finish the wait";
    case TAU_E_NO_TASK: return "no such task";
    case TAU_E_THREW: return "plugin code threw an exception";
    case TAU_E_SHUTDOWN: return "the host is shutting down";
    default: return uv_strerror(err);
  }
}

uint32_t tau_abi_version(void) { return TAU_ABI_VERSION; }
const char* tau_version(void) { return TAU_VERSION_STRING; }

int tau_on_loop_thread(void) { return t_loop_thread ? 1 : 0; }

int tau_post(tau_callback cb, void* ctx) {
  if (cb == nullptr) return UV_EINVAL;
  if (t_loop_thread) {
    enqueue_local(cb, ctx, g_current_owner);
    return 0;
  }
  // Under the lock, so that runtime_close cannot close the wake handle in between.
  std::lock_guard lock(state.remote_mutex);
  if (!state.open.load()) return TAU_E_SHUTDOWN;
  state.remote.push_back({cb, ctx, t_thread_owner});
  return uv_async_send(&state.wake);
}

uint64_t tau_now_ms(void) { return uv_now(&state.loop); }

void tau_loop_hold(void) {
  if (!t_loop_thread) return;
  if (state.holds++ == 0) uv_ref(reinterpret_cast<uv_handle_t*>(&state.wake));
}

void tau_loop_release(void) {
  if (!t_loop_thread || state.holds == 0) return;
  if (--state.holds == 0) uv_unref(reinterpret_cast<uv_handle_t*>(&state.wake));
}

int tau_block_on(int (*done)(void* ctx), void* ctx) {
  if (!t_loop_thread) return TAU_E_WRONG_THREAD;
  if (state.run_depth > 0) return TAU_E_IN_LOOP;
  ++state.run_depth;
  int result = 0;
  while (!done(ctx)) {
    if (shutting_down()) {
      result = TAU_E_SHUTDOWN;
      break;
    }
    if (uv_run(&state.loop, UV_RUN_ONCE) == 0 && !done(ctx)) {
      result = TAU_E_STALLED;
      break;
    }
  }
  --state.run_depth;
  return result;
}

}  // extern "C"
