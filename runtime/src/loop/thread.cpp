// thread.cpp: threads that belong to a plugin (tau_thread_spawn). They may block;
// no callback ever runs on them. The host knows each one, keeps the loop alive
// while it runs, and joins it on the loop thread once it has ended.
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime.hpp"

using namespace tau::detail;

namespace {

struct plugin_thread {
  std::thread thread;
  tau_thread_fn fn;
  tau_work_done_cb done;
  callback_target target;
  std::string name;  // the thread's name: "tau:" and the plugin's file name
  bool threw = false;
  std::atomic<pid_t> tid{0};  // set by the thread itself
};

std::vector<plugin_thread*> g_threads;  // loop thread only

void finish(plugin_thread* t) {
  if (t->thread.joinable()) t->thread.join();
  g_threads.erase(std::find(g_threads.begin(), g_threads.end(), t));
  tau_loop_release();
  if (t->threw) report_failure(t->target.owner, "plugin thread threw an exception");
  if (t->done != nullptr)
    guarded_call(t->target.owner, "thread completion",
                 [&] { t->done(t->target.ctx, t->threw ? TAU_E_THREW : 0); });
  delete t;
}

void on_thread_ended(void* ctx) { finish(static_cast<plugin_thread*>(ctx)); }

void thread_main(plugin_thread* t) {
  t->tid.store(gettid());
  alternate_signal_stack crash_report_stack;
  set_thread_owner(t->target.owner);
  set_thread_code({t->target.owner, "plugin thread"});
  pthread_setname_np(pthread_self(), t->name.c_str());
  try {
    t->fn(t->target.ctx);
  } catch (...) {
    t->threw = true;  // reported on the loop thread, where reporting is safe
  }
  tau_post(on_thread_ended, t);
}

void on_grace_over(void* ctx) { *static_cast<bool*>(ctx) = true; }

}  // namespace

namespace tau::detail {

bool join_plugin_threads(uint64_t grace_ms) {
  if (g_threads.empty()) return true;
  bool over = false;
  tau_timer_t* grace = nullptr;
  tau_timer_start(&grace, grace_ms, 0, on_grace_over, &over);
  while (!g_threads.empty() && !over) runtime_run_once();
  tau_timer_stop(grace);
  return g_threads.empty();
}

std::vector<owner_id> running_thread_owners() {
  std::vector<owner_id> owners;
  for (const plugin_thread* t : g_threads) owners.push_back(t->target.owner);
  return owners;
}

size_t running_threads_of(owner_id owner) {
  return static_cast<size_t>(
      std::count_if(g_threads.begin(), g_threads.end(), [owner](const plugin_thread* t) { return t->target.owner == owner; }));
}

bool threads_asleep(owner_id owner) {
  for (const plugin_thread* t : g_threads) {
    if (t->target.owner != owner) continue;
    pid_t tid = t->tid.load();
    if (tid == 0) return false;  // not started yet
    std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string line;
    std::getline(stat, line);
    size_t end = line.rfind(')');  // the state follows the name, which may hold anything
    if (end == std::string::npos || end + 2 >= line.size()) continue;  // ended meanwhile
    char state = line[end + 2];
    if (state != 'S' && state != 'D') return false;
  }
  return true;
}

void threads_reset() {
  // Their on_thread_ended posts run (and free them) in the quiesce that follows.
  for (plugin_thread* t : g_threads)
    if (t->thread.joinable()) t->thread.join();
}

}  // namespace tau::detail

extern "C" {

int tau_thread_spawn(tau_thread_fn fn, tau_work_done_cb done, void* ctx) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (fn == nullptr) return UV_EINVAL;
  auto* t = new plugin_thread{{}, fn, done, {ctx, current_owner()}, {}, false, {}};
  // Named for the plugin, for ps and gdb: "tau:" and its file name without "lib"
  // and extension, in the kernel's 15 bytes.
  std::string plugin = owner_name(t->target.owner);
  plugin = plugin.substr(plugin.find_last_of('/') + 1);
  plugin = plugin.substr(0, plugin.find('.'));
  if (plugin.rfind("lib", 0) == 0) plugin.erase(0, 3);
  t->name = ("tau:" + plugin).substr(0, 15);
  try {
    t->thread = std::thread(thread_main, t);
  } catch (const std::system_error& e) {
    delete t;
    return -e.code().value();
  }
  g_threads.push_back(t);
  tau_loop_hold();
  return 0;
}

size_t tau_thread_running_count(void) { return on_loop_thread() ? g_threads.size() : 0; }

}  // extern "C"
