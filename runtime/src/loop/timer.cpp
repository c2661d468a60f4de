// timer.cpp: every tau timer on one libuv timer. Pending timers wait in a
// hierarchical timing wheel of our own, in whole milliseconds of uv_hrtime's clock:
// 11 levels of 64 slots (level n's slots are 64^n ms wide), each slot a list in start
// order, so that equal deadlines fire in the order they were started. The one libuv
// timer is armed for the wheel's next event and is active (so keeps the loop alive)
// exactly while a timer is pending.
//
// A wheel rather than a 4-ary min-heap, by measurement (bench/run --filter timers, 100k
// timers due in 0 or 1 ms, best of 5, interleaved): timer callbacks took 14-15 ms
// with the wheel, 19-29 ms with a heap (sifting, and each move writing the moved
// timer's slot index, missed the cache), 68-84 ms with a uv_timer_t per timer; tasks
// that sleep: 41-51, 94-126, 107-145 ms. Starting, stopping and firing are O(1) here;
// a timer moves down a level at most 10 times, and a long one may wake the loop
// early to do so. What a wheel gives up, order by sub-millisecond deadline, the loop's
// millisecond clock never offered.
#include <cstdint>
#include <limits>
#include <vector>

#include "runtime.hpp"

// A timer's links in the list it waits in: a slot of the wheel, or the due list.
struct wait_link {
  wait_link* prev = nullptr;
  wait_link* next = nullptr;
};

struct tau_timer : wait_link {
  tau_timer(tau_timer_cb c, tau::detail::callback_target t, uint64_t r) : cb(c), target(t), repeat_ms(r) {}
  tau_timer_cb cb;
  tau::detail::callback_target target;
  // The period of a repeating timer; 0 for a one-shot.
  uint64_t repeat_ms = 0;
  // The millisecond (uv_hrtime's clock, truncated) it fires at.
  uint64_t due_ms = 0;
  // The list it waits in: a wheel slot (level * 64 + slot), due_list, or not_pending.
  uint32_t list = UINT32_MAX;
  // Passes calling it back now (more than one only if a callback ran the loop).
  uint32_t running = 0;
  // tau_timer_stop came while its callback ran: freed when the callback returns.
  bool stopped = false;
  // Neighbours in the list of timers not stopped yet (unloading, runtime_close).
  tau_timer* live_prev = nullptr;
  tau_timer* live_next = nullptr;
};

namespace tau::detail {
namespace {

constexpr uint32_t not_pending = UINT32_MAX;
constexpr uint32_t due_list = UINT32_MAX - 1;
constexpr uint64_t never = std::numeric_limits<uint64_t>::max();
constexpr uint64_t ns_per_ms = 1'000'000;
constexpr int slot_bits = 6;
constexpr int slots = 1 << slot_bits;
constexpr int levels = (64 + slot_bits - 1) / slot_bits;

struct timer_state {
  // Fires when the earliest deadline comes, to run a pass over the due timers.
  uv_timer_t wakeup{};
  // Arms wakeup before the loop polls, when a pass leaves a timer that is due
  // already: libuv runs a timer armed with 0 ms from inside its timer phase again in
  // the same phase, before any I/O.
  uv_prepare_t soon{};
  // The wheel has run up to this millisecond: what is due by then is in due.
  uint64_t current = 0;
  // Level n, slot s holds the timers whose due_ms agrees with current above level
  // n's digit (bits 6n..6n+5) and has digit s there, s > current's digit: a slot
  // never wraps around, and the lowest level holding anything holds the next event.
  wait_link wheel[levels][slots];
  // Bit s of occupied[n]: wheel[n][s] is non-empty.
  uint64_t occupied[levels] = {};
  // Timers in the wheel or the due list.
  size_t pending = 0;
  // Timers due, in deadline order and, among equal deadlines, start order.
  wait_link due;
  // The millisecond wakeup or soon is armed for; never: neither is.
  uint64_t armed_ms = never;
  // Passes running (on_wakeup); while one runs, it arms wakeup when it ends.
  int passes = 0;
  // Every timer started and not stopped yet, pending or not.
  tau_timer* live = nullptr;
};

timer_state state;

uint64_t saturating_add(uint64_t a, uint64_t b) { return b > never - a ? never : a + b; }
uint64_t now_ms() { return uv_hrtime() / ns_per_ms; }
uint64_t digit(uint64_t ms, int level) { return (ms >> (slot_bits * level)) & (slots - 1); }

void init_list(wait_link* head) { head->prev = head->next = head; }
bool list_empty(const wait_link* head) { return head->next == head; }
void append(wait_link* head, wait_link* l) {
  l->prev = head->prev;
  l->next = head;
  head->prev->next = l;
  head->prev = l;
}
void unlink(wait_link* l) {
  l->prev->next = l->next;
  l->next->prev = l->prev;
  l->prev = l->next = nullptr;
}
// Moves every entry of from to the end of to.
void splice(wait_link* to, wait_link* from) {
  if (list_empty(from)) return;
  from->next->prev = to->prev;
  to->prev->next = from->next;
  from->prev->next = to;
  to->prev = from->prev;
  init_list(from);
}

// ---- the wheel ----------------------------------------------------------------

// Puts t where its due_ms belongs: the due list if due by current, else the slot of
// the highest digit in which due_ms and current differ.
void place(tau_timer* t) {
  ++state.pending;
  if (t->due_ms <= state.current) {
    t->list = due_list;
    append(&state.due, t);
    return;
  }
  int level = (63 - __builtin_clzll(t->due_ms ^ state.current)) / slot_bits;
  auto slot = static_cast<uint32_t>(digit(t->due_ms, level));
  t->list = static_cast<uint32_t>(level) * slots + slot;
  append(&state.wheel[level][slot], t);
  state.occupied[level] |= uint64_t{1} << slot;
}

void remove_from_wheel(tau_timer* t) {
  uint32_t list = t->list;
  t->list = not_pending;
  unlink(t);
  --state.pending;
  if (list == due_list) return;
  int level = static_cast<int>(list / slots), slot = static_cast<int>(list % slots);
  if (list_empty(&state.wheel[level][slot])) state.occupied[level] &= ~(uint64_t{1} << slot);
}

// The wheel's next slot: the lowest level with a slot ahead of current, and the
// first such slot there. A level's slots all start after the lower levels' (they
// are in later windows). False when the wheel is empty.
bool next_slot(int& level, int& slot) {
  for (level = 0; level < levels; ++level) {
    uint64_t d = digit(state.current, level);
    uint64_t ahead = d == slots - 1 ? 0 : state.occupied[level] & (~uint64_t{0} << (d + 1));
    if (ahead == 0) continue;
    slot = __builtin_ctzll(ahead);
    return true;
  }
  return false;
}

// The millisecond at which that slot starts.
uint64_t slot_start(int level, int slot) {
  int shift = slot_bits * (level + 1);
  uint64_t window = shift >= 64 ? 0 : (state.current >> shift) << shift;
  return window | (uint64_t(slot) << (slot_bits * level));
}

// The next millisecond at which the wheel has something to do: call back the timers
// due already, or when its next slot starts (its timers come due, or a slot of a
// higher level is spread over the lower ones); never when empty.
uint64_t next_event() {
  if (!list_empty(&state.due)) return state.current;
  int level, slot;
  return next_slot(level, slot) ? slot_start(level, slot) : never;
}

// Runs the wheel up to now: every timer due by then moves to the due list, in
// deadline order and, for equal deadlines, in start order.
void advance(uint64_t now) {
  int level, slot;
  while (state.current < now && next_slot(level, slot)) {
    uint64_t at = slot_start(level, slot);
    if (at > now) break;
    state.current = at;
    state.occupied[level] &= ~(uint64_t{1} << slot);
    wait_link spread;
    init_list(&spread);
    splice(&spread, &state.wheel[level][slot]);
    // Each lands on a lower level, or in the due list once at is its deadline.
    while (!list_empty(&spread)) {
      auto* t = static_cast<tau_timer*>(spread.next);
      unlink(t);
      --state.pending;
      place(t);
    }
  }
  if (state.current < now) state.current = now;
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

// Arms wakeup for the wheel's next event, or disarms it when nothing is pending.
// in_timer_phase: called as a pass ends, inside libuv's timer phase.
// libuv fires wakeup once its own clock (whole ms, truncated, from a clock that may lag
// uv_hrtime's) reaches loop_ms + delay, so at want_ms or later: never before a deadline.
void arm(bool in_timer_phase = false) {
  uint64_t want_ms = next_event();
  if (want_ms == never) return disarm();
  if (want_ms == state.armed_ms) return;
  state.armed_ms = want_ms;
  uv_update_time(loop());
  uint64_t loop_ms = uv_now(loop());
  uint64_t delay = want_ms <= loop_ms || want_ms <= now_ms() ? 0 : want_ms - loop_ms;
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

// When a timer started now with timeout_ms fires: the first whole millisecond after
// the timeout ran out (0 ms: the current one, as it cannot fire before it starts).
uint64_t due_after(uint64_t timeout_ms) {
  uint64_t ns = uv_hrtime();
  uint64_t ms = ns / ns_per_ms;
  // An empty wheel catches up with the clock at no cost; its next event stays exact.
  if (state.pending == 0) state.current = ms;
  if (timeout_ms == 0) return ms;
  return saturating_add(saturating_add(ms, timeout_ms), ns % ns_per_ms != 0 ? 1 : 0);
}

// Puts t in the wheel (or moves it) with a new deadline; it counts as started now.
void schedule(tau_timer* t, uint64_t due_ms) {
  if (t->list != not_pending) remove_from_wheel(t);
  t->due_ms = due_ms;
  place(t);
  if (state.passes == 0) arm();
}

void unschedule(tau_timer* t) {
  if (t->list == not_pending) return;
  remove_from_wheel(t);
  if (state.passes == 0) arm();
}

// One pass: calls back, in deadline order, the timers that were due when it began. A
// timer started, restarted or repeated during the pass waits for a later pass, even
// when due at once: that one runs after the loop has polled for I/O, so timers that
// keep starting 0 ms timers cannot starve it.
void on_wakeup(uv_timer_t*) {
  state.armed_ms = never;  // libuv stopped wakeup before calling this
  const uint64_t now = now_ms();
  advance(now);
  wait_link firing;
  init_list(&firing);
  splice(&firing, &state.due);
  ++state.passes;
  while (!list_empty(&firing)) {
    auto* t = static_cast<tau_timer*>(firing.next);
    t->list = not_pending;
    unlink(t);
    --state.pending;
    // Like libuv's repeat: the next period counts from this pass, and it is set before
    // the callback, which may restart or stop the timer.
    if (t->repeat_ms != 0) schedule(t, saturating_add(now, t->repeat_ms));
    ++t->running;
    guarded_call(t->target.owner, "timer callback", [t] { t->cb(t->target.ctx); });
    if (--t->running == 0 && t->stopped) delete t;
  }
  --state.passes;
  arm(/*in_timer_phase=*/true);
}

void link_live(tau_timer* t) {
  t->live_next = state.live;
  if (state.live != nullptr) state.live->live_prev = t;
  state.live = t;
}

void unlink_live(tau_timer* t) {
  if (t->live_prev != nullptr) t->live_prev->live_next = t->live_next;
  else state.live = t->live_next;
  if (t->live_next != nullptr) t->live_next->live_prev = t->live_prev;
  t->live_prev = t->live_next = nullptr;
}

void clear_wheel() {
  for (auto& level : state.wheel)
    for (auto& slot : level) init_list(&slot);
  for (auto& bits : state.occupied) bits = 0;
  init_list(&state.due);
  state.pending = 0;
  state.current = now_ms();
}

}  // namespace

void timers_init() {
  uv_timer_init(loop(), &state.wakeup);
  state.wakeup.data = nullptr;
  uv_prepare_init(loop(), &state.soon);
  state.soon.data = nullptr;
  state.armed_ms = never;
  state.passes = 0;
  clear_wheel();
}

void timers_reset() {
  while (state.live != nullptr) {
    tau_timer* t = state.live;
    unlink_live(t);
    delete t;
  }
  clear_wheel();
  disarm();
}

std::vector<const char*> stop_timers_of(owner_id owner) {
  std::vector<tau_timer*> found;
  for (tau_timer* t = state.live; t != nullptr; t = t->live_next)
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
  auto* t = new tau_timer(cb, {ctx, current_owner()}, repeat_ms);
  link_live(t);
  // Counted from the precise clock now: the loop's cached clock may be a callback's
  // duration behind, which would make the timer fire early.
  schedule(t, due_after(timeout_ms));
  *out = t;
  return 0;
}

int tau_timer_restart(tau_timer_t* t, uint64_t timeout_ms, uint64_t repeat_ms) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (t == nullptr || t->stopped) return UV_EINVAL;
  t->repeat_ms = repeat_ms;
  schedule(t, due_after(timeout_ms));
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
