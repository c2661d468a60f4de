// thread_pool through the shim: the pool starts no thread; its handlers run on the
// loop thread. join() from process() drives the loop until the pool is done; join()
// inside a handler runs the ready handlers at once; execute() with blocking.always
// from the loop runs the function at once; timers and strands on a pool executor
// work, and a pool with pending work keeps the host running. The process's thread
// count (/proc/self/task), measured after the host's blocking pool has started,
// does not grow.
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

asio::thread_pool* pool;
std::thread::id loop_thread;
int off_loop = 0;
int baseline = 0;

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

asio::awaitable<void> on_pool() {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer t(ex, 10ms);
  co_await t.async_wait(asio::use_awaitable);
  on_loop();
  std::printf("timer on a pool executor: fired on the loop thread: %s\n",
              std::this_thread::get_id() == loop_thread ? "yes" : "no");

  // blocking.always from the loop: Asio would wait for a pool thread.
  bool ran = false, inside = false;
  auto always = asio::require(pool->get_executor(), asio::execution::blocking.always);
  asio::execution::execute(always, [&] {
    on_loop();
    ran = true;
    inside = pool->get_executor().running_in_this_thread();
  });
  std::printf("blocking.always: ran before execute returned: %s, inside the pool: %s\n",
              ran ? "yes" : "no", inside ? "yes" : "no");

  // join() inside a handler cannot wait: it runs what is ready, then returns.
  {
    asio::thread_pool local(2);
    int count = 0;
    for (int i = 0; i < 3; ++i) asio::post(local, [&] { on_loop(); ++count; });
    local.join();
    std::printf("join inside a handler: %d of 3 handlers ran before it returned\n", count);
  }

  auto strand = asio::make_strand(*pool);
  std::string order;
  for (int i = 0; i < 3; ++i) asio::post(strand, [&, i] { on_loop(); order += std::to_string(i); });
  asio::steady_timer t2(ex, 5ms);
  co_await t2.async_wait(asio::use_awaitable);
  std::printf("strand on the pool: %s\n", order.c_str());

  std::printf("new threads: %d\n", thread_count() - baseline);
}

void noop(void*) {}

tau_task_id process(const uint8_t*, size_t) {
  loop_thread = std::this_thread::get_id();
  // Start the host's blocking pool first, so that its threads are in the baseline.
  tau_work_submit(&noop, nullptr, nullptr);
  baseline = thread_count();

  {
    asio::thread_pool p(4);
    int count = 0;
    for (int i = 0; i < 8; ++i) asio::post(p, [&] { on_loop(); ++count; });
    asio::post(p, [&] { asio::post(p, [&] { on_loop(); ++count; }); });
    p.join();
    std::printf("join from process: %d of 9 handlers ran before it returned\n", count);
  }
  {
    asio::thread_pool p(2);
    int count = 0;
    asio::steady_timer t(p, 5ms);
    t.async_wait([&](boost::system::error_code ec) { on_loop(); count += !ec; });
    p.wait();
    std::printf("wait from process: timer fired: %s\n", count == 1 ? "yes" : "no");
  }

  // No join: the pool's pending work keeps the host running until it is done.
  pool = new asio::thread_pool(3);
  asio::co_spawn(*pool, on_pool(), [](std::exception_ptr e) {
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
  delete pool;
  std::printf("handlers off the loop thread: %d\n", off_loop);
}
