// system_executor through the shim: the system context starts no thread; what is
// posted to it runs on the loop thread (from process() and from handlers), in
// order; dispatch runs at once; a strand on it serialises; join() inside the loop
// runs the ready handlers at once. The process's thread count (/proc/self/task),
// measured after the host's blocking pool has started, does not grow.
#include <boost/asio.hpp>
#include <tau/plugin.h>
#include <tau/tau.h>

#include <dirent.h>

#include <cstdio>
#include <string>
#include <thread>

#ifndef TAU_ASIO_SHIM
#error "compiled against the system Asio headers, not tau's shim"
#endif

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

asio::io_context* io;
std::thread::id loop_thread;
int off_loop = 0;
int baseline = 0;
std::string from_process;

void on_loop() {
  if (std::this_thread::get_id() != loop_thread) ++off_loop;
}

int thread_count() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

asio::awaitable<void> check() {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer t(ex, 10ms);
  co_await t.async_wait(asio::use_awaitable);
  std::printf("posted from process: %s\n", from_process.c_str());

  // From inside a handler: queued behind the caller, run on the loop thread.
  asio::system_executor sys;
  std::string order;
  asio::post(sys, [&] { on_loop(); order += "post "; });
  asio::defer(sys, [&] { on_loop(); order += "defer "; });
  asio::dispatch(sys, [&] { on_loop(); order += "dispatch "; });
  // A handler with no executor of its own completes through the system executor.
  asio::post(asio::bind_executor(sys, [&] { on_loop(); order += "bound"; }));
  bool queued = order == "dispatch ";
  t.expires_after(5ms);
  co_await t.async_wait(asio::use_awaitable);
  std::printf("posted from a handler: %s (queued, not run inline: %s)\n", order.c_str(), queued ? "yes" : "no");

  // join() inside the loop cannot wait: it runs what is ready now.
  int count = 0;
  for (int i = 0; i < 3; ++i) asio::post(sys, [&] { on_loop(); ++count; });
  asio::query(sys, asio::execution::context).join();
  std::printf("join inside a handler: %d of 3 handlers ran before it returned\n", count);

  std::printf("new threads: %d\n", thread_count() - baseline);
}

void noop(void*) {}

tau_task_id process(const uint8_t*, size_t) {
  loop_thread = std::this_thread::get_id();
  // Start the host's blocking pool first, so that its threads are in the baseline.
  tau_work_submit(&noop, nullptr, nullptr);
  baseline = thread_count();

  asio::system_executor sys;
  asio::post(sys, [] {
    on_loop();
    from_process += "post ";
    asio::post(asio::system_executor(), [] { on_loop(); from_process += "chained "; });
  });
  asio::defer(sys, [] { on_loop(); from_process += "defer "; });
  asio::post([] { on_loop(); from_process += "default "; });  // no executor: the system one
  asio::execution::execute(asio::require(sys, asio::execution::blocking.never), [] {
    on_loop();
    from_process += "never ";
  });
  asio::strand<asio::system_executor> strand(sys);
  for (int i = 0; i < 3; ++i) asio::post(strand, [i] { on_loop(); from_process += "strand" + std::to_string(i) + " "; });
  asio::dispatch(sys, [] { from_process += "dispatch "; });  // runs at once

  io = new asio::io_context();
  asio::co_spawn(*io, check(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {
  delete io;
  std::printf("handlers off the loop thread: %d\n", off_loop);
}
