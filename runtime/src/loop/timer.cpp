// timer.cpp: every tau timer on one libuv timer. Pending timers wait in a 4-ary
// min-heap of our own, ordered by deadline and then by start order; the one libuv
// timer is armed for the earliest deadline and is active (so keeps the loop alive)
// exactly while the heap is non-empty.
//
// Each timer knows its slot in the heap, so stopping or restarting one is O(log n)
// and leaves no tombstone behind; deadlines are exact (nanoseconds on uv_hrtime's
// clock), and only arming the libuv timer rounds them up to whole milliseconds.
#include <cstdint>
#include <limits>
#include <vector>

#include "runtime.hpp"

struct tau_timer {
  tau_timer_cb cb;
  tau::detail::callback_target target;
  // The period of a repeating timer; 0 for a one-shot.
  uint64_t repeat_ns = 0;
  // Its index in the heap; not_pending when it waits for nothing.
  size_t slot = std::numeric_limits<size_t>::max();
  // Passes calling it back now (more than one only if a callback ran the loop).
  uint32_t running = 0;
  // tau_timer_stop came while its callback ran: freed when the callback returns.
  bool stopped = false;
  // Neighbours in the list of timers not stopped yet (unloading, runtime_close).
  tau_timer* prev = nullptr;
  tau_timer* next = nullptr;
};

namespace tau::detail {
namespace {

constexpr size_t not_pending = std::numeric_limits<size_t>::max();
constexpr uint64_t never = std::numeric_limits<uint64_t>::max();
constexpr uint64_t ns_per_ms = 1'000'000;

// A pending timer: when it is due, and when it was started.
struct pending {
  uint64_t due_ns;  // on uv_hrtime's clock
  uint64_t seq;     // start order: equal deadlines fire in the order they were started
  tau_timer* timer;
  bool operator<(const pending& other) const {
    return due_ns != other.due_ns ? due_ns < other.due_ns : seq < other.seq;
  }
};

struct timer_state {
  // Fires when the earliest deadline comes, to run a pass over the due timers.
  uv_timer_t wakeup{};
  // Arms wakeup before the loop polls, when a pass leaves a timer that is due
  // already: libuv runs a timer armed with 0 ms from inside its timer phase again in
  // the same phase, before any I/O.
  uv_prepare_t soon{};
  // 4-ary: half the depth of a binary heap, and a node's children share a cache line.
  std::vector<pending> heap;
  uint64_t next_seq = 0;
  // The deadline (in whole ms, rounded up) wakeup or soon is armed for; never: neither.
  uint64_t armed_ms = never;
  // Passes running (on_wakeup); while one runs, it arms wakeup when it ends.
  int passes = 0;
  // Every timer started and not stopped yet, pending or not.
  tau_timer* live = nullptr;
};

timer_state state;

uint64_t saturating_add(uint64_t a, uint64_t b) { return b > never - a ? never : a + b; }
uint64_t ms_to_ns(uint64_t ms) { return ms > never / ns_per_ms ? never : ms * ns_per_ms; }
uint64_t ceil_ms(uint64_t ns) { return ns / ns_per_ms + (ns % ns_per_ms != 0 ? 1 : 0); }

// ---- the heap ------------------------------------------------------------------

void place(size_t i, const pending& p) {
  state.heap[i] = p;
  p.timer->slot = i;
}

void sift_up(size_t i) {
  pending p = state.heap[i];
  while (i > 0) {
    size_t parent = (i - 1) / 4;
    if (!(p < state.heap[parent])) break;
    place(i, state.heap[parent]);
    i = parent;
  }
  place(i, p);
}

void sift_down(size_t i) {
  pending p = state.heap[i];
  size_t size = state.heap.size();
  for (;;) {
    size_t first = 4 * i + 1;
    if (first >= size) break;
    size_t least = first;
    size_t end = first + 4 < size ? first + 4 : size;
    for (size_t c = first + 1; c < end; ++c)
      if (state.heap[c] < state.heap[least]) least = c;
    if (!(state.heap[least] < p)) break;
    place(i, state.heap[least]);
    i = least;
  }
  place(i, p);
}

void remove_from_heap(tau_timer* t) {
  size_t i = t->slot;
  t->slot = not_pending;
  pending last = state.heap.back();
  state.heap.pop_back();
  if (i == state.heap.size()) return;
  state.heap[i] = last;
  last.timer->slot = i;
  if (i > 0 && last < state.heap[(i - 1) / 4]) sift_up(i);
  else sift_down(i);
}

// ---- the libuv side --------------------------------------------------------------

void on_wakeup(uv_timer_t*);
void on_soon(uv_prepare_t*);

void disarm() {
  if (state.armed_ms == never) return;
  uv_timer_stop(&state.wakeup);
  uv_prepare_stop(&state.soon);
  state.armed_ms = never;
}

// Arms wakeup for the earliest deadline, or disarms it when nothing is pending.
// in_timer_phase: called as a pass ends, inside libuv's timer phase.
void arm(bool in_timer_phase = false) {
  if (state.heap.empty()) return disarm();
  const pending& first = state.heap[0];
  uint64_t want_ms = ceil_ms(first.due_ns);
  if (want_ms == state.armed_ms) return;
  state.armed_ms = want_ms;
  // libuv fires wakeup once its clock (whole ms, truncated, from a clock that may lag
  // uv_hrtime's) reaches now_ms + delay, so at want_ms or later: never before the
  // deadline. A deadline already reached needs no wait at all.
  uv_update_time(loop());
  uint64_t now_ms = uv_now(loop());
  uint64_t delay = first.due_ns <= uv_hrtime() || want_ms <= now_ms ? 0 : want_ms - now_ms;
  if (delay == 0 && in_timer_phase) {
    uv_timer_stop(&state.wakeup);
    uv_prepare_start(&state.soon, on_soon);
    return;
  }
  uv_prepare_stop(&state.soon);
  uv_timer_start(&state.wakeup, on_wakeup, delay, 0);
}

void on_soon(uv_prepare_t*) {
  uv_prepare_stop(&state.soon);
  state.armed_ms = never;
  arm();
}

// Puts t in the heap (or moves it there) with a new deadline; it counts as started now.
void schedule(tau_timer* t, uint64_t due_ns) {
  pending p{due_ns, state.next_seq++, t};
  size_t was = t->slot;
  if (was == not_pending) {
    state.heap.push_back(p);
    t->slot = state.heap.size() - 1;
    sift_up(t->slot);
  } else {
    bool earlier = p < state.heap[was];
    state.heap[was] = p;
    if (earlier) sift_up(was);
    else sift_down(was);
  }
  if (state.passes == 0 && (was == 0 || t->slot == 0)) arm();
}

void unschedule(tau_timer* t) {
  if (t->slot == not_pending) return;
  bool was_first = t->slot == 0;
  remove_from_heap(t);
  if (state.passes == 0 && was_first) arm();
}

// One pass: calls back, in deadline order, the timers that were due and started when
// it began. A timer started, restarted or repeated during the pass waits for a later
// pass, even when due at once: that one runs after the loop has polled for I/O, so
// timers that keep starting 0 ms timers cannot starve it.
void on_wakeup(uv_timer_t*) {
  state.armed_ms = never;  // libuv stopped wakeup before calling this
  const uint64_t now = uv_hrtime();
  const uint64_t started_before = state.next_seq;
  ++state.passes;
  while (!state.heap.empty()) {
    const pending& first = state.heap[0];
    if (first.due_ns > now || first.seq >= started_before) break;
    tau_timer* t = first.timer;
    remove_from_heap(t);
    // Like libuv's repeat: the next period counts from this pass, and it is set before
    // the callback, which may restart or stop the timer.
    if (t->repeat_ns != 0) schedule(t, saturating_add(now, t->repeat_ns));
    ++t->running;
    guarded_call(t->target.owner, "timer callback", [t] { t->cb(t->target.ctx); });
    if (--t->running == 0 && t->stopped) delete t;
  }
  --state.passes;
  arm(/*in_timer_phase=*/true);
}

void link_live(tau_timer* t) {
  t->next = state.live;
  if (state.live != nullptr) state.live->prev = t;
  state.live = t;
}

void unlink_live(tau_timer* t) {
  if (t->prev != nullptr) t->prev->next = t->next;
  else state.live = t->next;
  if (t->next != nullptr) t->next->prev = t->prev;
  t->prev = t->next = nullptr;
}

}  // namespace

void timers_init() {
  uv_timer_init(loop(), &state.wakeup);
  state.wakeup.data = nullptr;
  uv_prepare_init(loop(), &state.soon);
  state.soon.data = nullptr;
  state.armed_ms = never;
  state.passes = 0;
}

void timers_reset() {
  while (state.live != nullptr) {
    tau_timer* t = state.live;
    unlink_live(t);
    delete t;
  }
  state.heap.clear();
  state.heap.shrink_to_fit();
  state.next_seq = 0;
  disarm();
}

std::vector<const char*> stop_timers_of(owner_id owner) {
  std::vector<tau_timer*> found;
  for (tau_timer* t = state.live; t != nullptr; t = t->next)
    if (t->target.owner == owner) found.push_back(t);
  for (tau_timer* t : found) tau_timer_stop(t);
  return std::vector<const char*>(found.size(), "timer");
}

}  // namespace tau::detail

using namespace tau::detail;

extern "C" {

int tau_timer_start(tau_timer_t** out, uint64_t timeout_ms, uint64_t repeat_ms, tau_timer_cb cb, void* ctx) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (out == nullptr || cb == nullptr) return UV_EINVAL;
  auto* t = new tau_timer{cb, {ctx, current_owner()}, ms_to_ns(repeat_ms)};
  link_live(t);
  // Counted from the precise clock now: the loop's cached clock may be a callback's
  // duration behind, which would make the timer fire early.
  schedule(t, saturating_add(uv_hrtime(), ms_to_ns(timeout_ms)));
  *out = t;
  return 0;
}

int tau_timer_restart(tau_timer_t* t, uint64_t timeout_ms, uint64_t repeat_ms) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (t == nullptr || t->stopped) return UV_EINVAL;
  t->repeat_ns = ms_to_ns(repeat_ms);
  schedule(t, saturating_add(uv_hrtime(), ms_to_ns(timeout_ms)));
  return 0;
}

void tau_timer_stop(tau_timer_t* t) {
  if (t == nullptr || !on_loop_thread() || t->stopped) return;
  unschedule(t);
  unlink_live(t);
  // Its callback, running now, still uses it: the pass frees it when it returns.
  if (t->running > 0) t->stopped = true;
  else delete t;
}

}  // extern "C"
