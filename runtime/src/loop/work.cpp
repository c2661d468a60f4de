// work.cpp: the blocking pool (libuv's threadpool behind uv_queue_work).
#include <unordered_map>

#include "runtime.hpp"

using namespace tau::detail;

namespace {

struct work_request {
  uv_work_t req;
  tau_work_fn work;
  tau_work_done_cb done;
  callback_target target;
  bool threw = false;
};

// Blocking jobs in flight per owner: a plugin is not unmapped while its code runs
// on the pool. Loop thread.
std::unordered_map<owner_id, size_t> g_in_flight;

void run_work(uv_work_t* req) {
  thread_local alternate_signal_stack crash_report_stack;
  auto* w = static_cast<work_request*>(req->data);
  set_thread_code({w->target.owner, "blocking job"});
  try {
    w->work(w->target.ctx);
  } catch (...) {
    w->threw = true;  // reported on the loop thread, where reporting is safe
  }
  set_thread_code({});
}

void after_work(uv_work_t* req, int status) {
  auto* w = static_cast<work_request*>(req->data);
  if (--g_in_flight[w->target.owner] == 0) g_in_flight.erase(w->target.owner);
  if (w->threw) {
    report_failure(w->target.owner, "blocking work threw an exception");
    status = TAU_E_THREW;
  }
  if (w->done != nullptr)
    guarded_call(w->target.owner, "blocking work completion", [&] { w->done(w->target.ctx, status); });
  delete w;
}

}  // namespace

namespace tau::detail {
size_t jobs_in_flight_of(owner_id owner) {
  auto it = g_in_flight.find(owner);
  return it == g_in_flight.end() ? 0 : it->second;
}
}  // namespace tau::detail

extern "C" int tau_work_submit(tau_work_fn work, tau_work_done_cb done, void* ctx) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (work == nullptr) return UV_EINVAL;
  auto* w = new work_request{{}, work, done, {ctx, current_owner()}};
  w->req.data = w;
  if (int err = uv_queue_work(loop(), &w->req, run_work, after_work); err != 0) {
    delete w;
    return err;
  }
  ++g_in_flight[w->target.owner];
  return 0;
}
