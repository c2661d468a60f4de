// task.cpp: the task table. A task is an id with a status; the work behind it is
// the plugin's (a coroutine, a callback) and reaches the runtime only through its
// vtable. Completion, cancel and join callbacks always run later, from the loop.
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime.hpp"

namespace tau::detail {
namespace {

struct joiner {
  tau_join_cb cb;
  void* ctx;
  owner_id owner;
};

struct task_record {
  owner_id owner = host_owner;
  int status = TAU_TASK_RUNNING;
  const tau_task_vtable* vtable = nullptr;
  void* ctx = nullptr;
  std::string error;
  std::vector<joiner> joiners;
  bool released = false;
  bool detached = false;
  bool observed = false;
  bool abort_requested = false;
  bool flush_posted = false;
};

std::unordered_map<tau_task_id, task_record> g_tasks;
tau_task_id g_next_id = 1;
size_t g_running = 0;

void* id_ctx(tau_task_id id) { return reinterpret_cast<void*>(static_cast<uintptr_t>(id)); }
tau_task_id ctx_id(void* ctx) { return static_cast<tau_task_id>(reinterpret_cast<uintptr_t>(ctx)); }

task_record* find(tau_task_id id) {
  auto it = g_tasks.find(id);
  return it == g_tasks.end() ? nullptr : &it->second;
}

void release(task_record& t) {
  if (t.released) return;
  t.released = true;
  if (t.vtable != nullptr && t.vtable->release != nullptr)
    guarded_call(t.owner, "task release", [&] { t.vtable->release(t.ctx); });
}

// Forgets a complete, detached task with no joiners left; a failure nobody joined is
// reported now.
void maybe_forget(tau_task_id id, task_record& t) {
  if (t.status == TAU_TASK_RUNNING || !t.detached || !t.joiners.empty() || t.flush_posted) return;
  if (t.status == TAU_TASK_FAILED && !t.observed)
    report_failure(t.owner, "task " + std::to_string(id) + " failed: " + t.error);
  g_tasks.erase(id);
}

// Runs from the loop after a task completed or gained a joiner.
void flush(void* ctx) {
  tau_task_id id = ctx_id(ctx);
  task_record* t = find(id);
  if (t == nullptr) return;
  t->flush_posted = false;
  if (t->status == TAU_TASK_RUNNING) return;
  release(*t);
  std::vector<joiner> joiners;
  joiners.swap(t->joiners);
  if (!joiners.empty()) t->observed = true;
  std::string error = t->error;
  int status = t->status;
  for (const joiner& j : joiners)
    guarded_call(j.owner, "join callback", [&] { j.cb(j.ctx, id, status, error.c_str()); });
  if ((t = find(id)) != nullptr) maybe_forget(id, *t);
}

void post_flush(tau_task_id id, task_record& t) {
  if (t.flush_posted) return;
  t.flush_posted = true;
  tau_post(flush, id_ctx(id));
}

void finish(tau_task_id id, task_record& t, int status, std::string error) {
  t.status = status;
  t.error = std::move(error);
  --g_running;
  post_flush(id, t);
}

void run_cancel(void* ctx) {
  tau_task_id id = ctx_id(ctx);
  task_record* t = find(id);
  if (t == nullptr || t->status != TAU_TASK_RUNNING) return;
  if (t->vtable != nullptr && t->vtable->cancel != nullptr) {
    const tau_task_vtable* vt = t->vtable;
    void* task_ctx = t->ctx;
    guarded_call(t->owner, "task cancel", [&] { vt->cancel(task_ctx); });
    t = find(id);  // cancel may have spawned tasks and rehashed the table
    if (t == nullptr || t->status != TAU_TASK_RUNNING) return;
  }
  finish(id, *t, TAU_TASK_ABORTED, "aborted");
}

struct c_spawn {
  tau_task_id id;
  tau_callback fn;
  void* ctx;
};

void run_c_spawn(void* ctx) {
  auto* s = static_cast<c_spawn*>(ctx);
  task_record* t = find(s->id);
  if (t != nullptr && t->status == TAU_TASK_RUNNING) {
    bool ok = guarded_call(t->owner, "task", [&] { s->fn(s->ctx); });
    if ((t = find(s->id)) != nullptr && t->status == TAU_TASK_RUNNING)
      finish(s->id, *t, ok ? TAU_TASK_OK : TAU_TASK_FAILED, ok ? "" : "task threw");
  }
  delete s;
}

}  // namespace

void tasks_reset() {
  for (auto& [id, t] : g_tasks) release(t);
  g_tasks.clear();
  g_next_id = 1;
  g_running = 0;
}

std::vector<running_task> running_tasks() {
  std::vector<running_task> out;
  for (auto& [id, t] : g_tasks)
    if (t.status == TAU_TASK_RUNNING) out.push_back({id, t.owner});
  return out;
}

void abort_tasks_of(owner_id owner) {
  std::vector<tau_task_id> ids;
  for (auto& [id, t] : g_tasks)
    if (t.status == TAU_TASK_RUNNING && t.owner == owner) ids.push_back(id);
  for (tau_task_id id : ids) tau_task_abort(id);
}

size_t running_tasks_of(owner_id owner) {
  size_t count = 0;
  for (auto& [id, t] : g_tasks) count += t.status == TAU_TASK_RUNNING && t.owner == owner;
  return count;
}

// Its records go without a release call (their code is gone), and so do the join
// callbacks it registered on other plugins' tasks.
void forget_tasks_of(owner_id owner) {
  for (auto it = g_tasks.begin(); it != g_tasks.end();) {
    task_record& t = it->second;
    std::erase_if(t.joiners, [owner](const joiner& j) { return j.owner == owner; });
    if (t.owner != owner) {
      ++it;
      continue;
    }
    if (t.status == TAU_TASK_RUNNING) --g_running;
    it = g_tasks.erase(it);
  }
}

void abort_all_tasks() {
  std::vector<tau_task_id> ids;
  for (auto& [id, t] : g_tasks)
    if (t.status == TAU_TASK_RUNNING) ids.push_back(id);
  for (tau_task_id id : ids) tau_task_abort(id);
}

}  // namespace tau::detail

using namespace tau::detail;

extern "C" {

tau_task_id tau_task_new(const tau_task_vtable* vtable, void* ctx) {
  if (!on_loop_thread()) return 0;
  tau_task_id id = g_next_id++;
  task_record& t = g_tasks[id];
  t.owner = current_owner();
  t.vtable = vtable;
  t.ctx = ctx;
  ++g_running;
  return id;
}

int tau_task_complete(tau_task_id id, int status, const char* error) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  task_record* t = find(id);
  if (t == nullptr) return TAU_E_NO_TASK;
  if (t->status != TAU_TASK_RUNNING || (status != TAU_TASK_OK && status != TAU_TASK_FAILED))
    return UV_EINVAL;
  finish(id, *t, status, error != nullptr ? error : "");
  return 0;
}

tau_task_id tau_spawn(tau_callback fn, void* ctx) {
  if (fn == nullptr) return 0;
  tau_task_id id = tau_task_new(nullptr, nullptr);
  if (id == 0) return 0;
  tau_post(run_c_spawn, new c_spawn{id, fn, ctx});
  return id;
}

int tau_task_join(tau_task_id id, tau_join_cb cb, void* ctx) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (cb == nullptr) return UV_EINVAL;
  task_record* t = find(id);
  if (t == nullptr) return TAU_E_NO_TASK;
  t->joiners.push_back({cb, ctx, current_owner()});
  if (t->status != TAU_TASK_RUNNING) post_flush(id, *t);
  return 0;
}

int tau_task_unjoin(tau_task_id id, tau_join_cb cb, void* ctx) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  task_record* t = find(id);
  if (t == nullptr) return TAU_E_NO_TASK;
  for (auto it = t->joiners.begin(); it != t->joiners.end(); ++it) {
    if (it->cb == cb && it->ctx == ctx) {
      t->joiners.erase(it);
      maybe_forget(id, *t);
      return 0;
    }
  }
  return UV_ENOENT;
}

int tau_task_abort(tau_task_id id) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  task_record* t = find(id);
  if (t == nullptr) return TAU_E_NO_TASK;
  if (t->status != TAU_TASK_RUNNING || t->abort_requested) return 0;
  t->abort_requested = true;
  owner_scope scope(t->owner);
  return tau_post(run_cancel, id_ctx(id));
}

int tau_task_detach(tau_task_id id, int outcome_seen) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  task_record* t = find(id);
  if (t == nullptr) return TAU_E_NO_TASK;
  t->detached = true;
  if (outcome_seen != 0) t->observed = true;
  maybe_forget(id, *t);
  return 0;
}

int tau_task_status(tau_task_id id) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  task_record* t = find(id);
  return t == nullptr ? TAU_E_NO_TASK : t->status;
}

size_t tau_task_running_count(void) { return g_running; }

}  // extern "C"
