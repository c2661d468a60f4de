// Plain Asio with threads of its own, as real programs and libraries use it: threads
// parked in io_context::run(), run_one() from several threads, stop() and work guard
// resets from threads, futures waited on threads, synchronous I/O on a thread, a
// context destroyed off the loop. The --input names the mode. Every handler checks
// that it runs on the loop thread; each mode ends by printing how many did not.
//
// process() runs the mode's "main" on a plugin thread (tau::spawn_thread), as the
// compat adapter runs an upstream main.
#include <tau/plugin.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tau/tau.hpp>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

std::atomic<int> g_off_loop{0};

void on_loop() {
  if (!tau_on_loop_thread()) ++g_off_loop;
}

void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void report() { say("handlers off the loop thread: " + std::to_string(g_off_loop.load())); }

// 4 threads parked in run(); 20000 handlers posted from two other threads.
void parked_run() {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::vector<std::size_t> counts(4);
  std::vector<std::thread> runners;
  for (std::size_t i = 0; i < 4; ++i) runners.emplace_back([&, i] { counts[i] = io.run(); });
  const int total = 20000;
  int ran = 0;  // not atomic: only the loop thread touches it
  auto handler = [&] {
    on_loop();
    if (++ran == total) guard.reset();
  };
  std::thread poster([&] {
    for (int i = 0; i < total / 2; ++i) asio::post(io, handler);
  });
  for (int i = 0; i < total / 2; ++i) asio::post(io, handler);
  poster.join();
  for (auto& t : runners) t.join();
  std::size_t returned = 0;
  for (std::size_t c : counts) returned += c;
  say("parked-run: ran " + std::to_string(ran) + ", run() calls returned " + std::to_string(returned) +
      " in all, stopped=" + std::to_string(io.stopped()));
}

// Three threads each `while (io.run_one())`: every handler counted exactly once.
void run_one() {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::atomic<int> counted{0};
  std::vector<std::thread> runners;
  for (int i = 0; i < 3; ++i)
    runners.emplace_back([&] {
      while (io.run_one()) ++counted;
    });
  const int total = 300;
  int ran = 0;
  for (int i = 0; i < total; ++i)
    asio::post(io, [&] {
      on_loop();
      if (++ran == total) guard.reset();
    });
  for (auto& t : runners) t.join();
  say("run-one: ran " + std::to_string(ran) + ", run_one() returned 1 " + std::to_string(counted.load()) +
      " times");
}

// stop() from a plugin thread wakes every parked run().
void stop() {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::atomic<int> returned{0};
  std::vector<std::thread> runners;
  for (int i = 0; i < 2; ++i)
    runners.emplace_back([&] {
      io.run();
      ++returned;
    });
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    io.stop();
  });
  stopper.join();
  for (auto& t : runners) t.join();
  say("stop: " + std::to_string(returned.load()) +
      " parked run() calls returned, stopped=" + std::to_string(io.stopped()));
}

// The work guard reset on a thread ends the parked run() calls and lets the host exit.
void work_guard() {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  std::promise<void> fired;
  asio::steady_timer timer(io, 30ms);
  timer.async_wait([&](boost::system::error_code) {
    on_loop();
    fired.set_value();
  });
  fired.get_future().wait();
  guard.reset();
  runner.join();
  say("work-guard: reset on a thread, run() returned, stopped=" + std::to_string(io.stopped()));
}

// A handler's exception comes out of exactly one parked run().
void handler_throws() {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::mutex m;
  std::vector<std::string> outcomes;
  std::vector<std::thread> runners;
  for (int i = 0; i < 2; ++i)
    runners.emplace_back([&] {
      try {
        io.run();
        std::lock_guard lock(m);
        outcomes.push_back("returned");
      } catch (const std::runtime_error& e) {
        std::lock_guard lock(m);
        outcomes.push_back(std::string("threw '") + e.what() + "'");
        guard.reset();  // lets the other run() end
      }
    });
  asio::post(io, [] {
    on_loop();
    throw std::runtime_error("handler boom");
  });
  for (auto& t : runners) t.join();
  std::sort(outcomes.begin(), outcomes.end());
  say("throw: " + outcomes.at(0) + ", " + outcomes.at(1));
}

// Parked forever; the host's SIGTERM wakes them.
void sigterm() {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::vector<std::thread> runners;
  std::atomic<int> returned{0};
  for (int i = 0; i < 3; ++i)
    runners.emplace_back([&] {
      io.run();
      ++returned;
    });
  asio::post(io, [] {
    on_loop();
    say("sigterm: parked");
  });
  for (auto& t : runners) t.join();
  say("sigterm: " + std::to_string(returned.load()) + " run() calls returned");
}

// use_future waited on a plugin thread; the handlers run on the loop.
void future(asio::io_context& host_io) {
  auto f = asio::post(host_io, asio::use_future([] {
                        on_loop();
                        return 7;
                      }));
  int value = f.get();
  asio::steady_timer timer(host_io, 20ms);
  auto waited = timer.async_wait(asio::use_future);
  waited.get();
  say("future: got " + std::to_string(value) + " on a plugin thread, timer waited");
}

// Asio's rule for a program's contexts: f, bound to b, runs only while b is run.
void gated() {
  asio::io_context a, b;
  bool ran = false;
  asio::post(a, asio::bind_executor(b, [&] {
               on_loop();
               ran = true;
             }));
  std::size_t in_a = a.run();
  bool after_a = ran;
  std::size_t in_b = b.run();
  say("gated: a.run() ran " + std::to_string(in_a) + ", f ran after a.run(): " + (after_a ? "yes" : "no") +
      ", b.run() ran " + std::to_string(in_b) + ", f ran: " + (ran ? "yes" : "no"));
}

// A context with a pending accept, a pending wait and a connected socket, destroyed
// on a thread without being run: the handlers are destroyed, never called.
void destroy_off_loop() {
  int called = 0;
  {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    acceptor.async_accept([&](boost::system::error_code, tcp::socket) { ++called; });
    asio::steady_timer timer(io, 1h);
    timer.async_wait([&](boost::system::error_code) { ++called; });
    tcp::socket client(io);
    client.connect(acceptor.local_endpoint());
    char byte;
    client.async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code, std::size_t) { ++called; });
  }
  say("destroy-off-loop: context destroyed, handlers called " + std::to_string(called));
}

// Timers started and cancelled on a thread while another thread runs the context.
void timers_off_loop() {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  std::vector<std::unique_ptr<asio::steady_timer>> timers;
  std::atomic<int> aborted{0};
  for (int i = 0; i < 100; ++i) {
    timers.push_back(std::make_unique<asio::steady_timer>(io, 1h));
    timers.back()->async_wait([&](boost::system::error_code ec) {
      on_loop();
      if (ec == asio::error::operation_aborted) ++aborted;
    });
  }
  std::size_t cancelled = 0;
  for (auto& t : timers) cancelled += t->cancel();
  std::promise<void> fired;
  asio::steady_timer shortly(io, 20ms);
  shortly.async_wait([&](boost::system::error_code ec) {
    on_loop();
    if (!ec) fired.set_value();
  });
  fired.get_future().wait();
  guard.reset();
  runner.join();
  say("timers: cancel() returned " + std::to_string(cancelled) + ", handlers aborted " +
      std::to_string(aborted.load()) + ", short timer fired");
}

// A strand with 3 parked and 3 posting threads: its handlers never overlap.
void strand() {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  auto s = asio::make_strand(io);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([&] { io.run(); });
  const int per_poster = 10000;
  int ran = 0;
  bool inside = false, overlapped = false;
  std::vector<std::thread> posters;
  for (int p = 0; p < 3; ++p)
    posters.emplace_back([&] {
      for (int i = 0; i < per_poster; ++i)
        asio::post(s, [&] {
          on_loop();
          if (inside) overlapped = true;
          inside = true;
          if (++ran == 3 * per_poster) guard.reset();
          inside = false;
        });
    });
  for (auto& t : posters) t.join();
  for (auto& t : threads) t.join();
  say("strand: ran " + std::to_string(ran) + ", overlapped: " + (overlapped ? "yes" : "no"));
}

// execute() with blocking.always of a move-only function, on the loop and off it.
void thread_pool_move_only() {
  asio::thread_pool pool(1);
  auto ex = asio::require(pool.executor(), asio::execution::blocking.always);
  auto p = std::make_unique<int>(42);
  int seen = 0;
  ex.execute([p = std::move(p), &seen] {
    on_loop();
    seen = *p;
  });
  pool.join();
  say("thread_pool: move-only function ran, seen=" + std::to_string(seen));
}

std::string g_mode;
asio::io_context* g_host_io;  // host-driven: created on the loop thread
std::unique_ptr<tcp::acceptor> g_acceptor;
std::thread g_server;  // sync-server's, joined in plugin_destroy
// destroy-joins': threads of the plugin's own in run(), stopped and joined by
// plugin_destroy on the loop thread, as library destructors do.
std::vector<std::thread> g_runners;
std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> g_guard;

// A synchronous server on a thread of the plugin's, an async client on the loop.
tau_task_id sync_server() {
  g_acceptor =
      std::make_unique<tcp::acceptor>(*g_host_io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  g_server = std::thread([] {
    tcp::socket peer(*g_host_io);
    g_acceptor->accept(peer);
    asio::streambuf line;
    asio::read_until(peer, line, '\n');
    std::string text{asio::buffers_begin(line.data()), asio::buffers_end(line.data())};
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    asio::write(peer, asio::buffer(text));
  });
  struct client {
    tcp::socket socket{*g_host_io};
    std::string request = "hello\n";
    asio::streambuf reply;
  };
  auto c = std::make_shared<client>();
  c->socket.async_connect(g_acceptor->local_endpoint(), [c](boost::system::error_code ec) {
    on_loop();
    if (ec) return say("sync-server: connect failed: " + ec.message());
    asio::async_write(c->socket, asio::buffer(c->request), [c](boost::system::error_code, std::size_t) {
      on_loop();
      asio::async_read_until(c->socket, c->reply, '\n', [c](boost::system::error_code ec, std::size_t) {
        on_loop();
        std::string text{asio::buffers_begin(c->reply.data()), asio::buffers_end(c->reply.data())};
        if (!ec) text.pop_back();
        say("sync-server: client got '" + text + "'");
        report();
      });
    });
  });
  return 0;
}

// A context created inside a handler whose drain a thread of the plugin's own (a
// std::thread, not tau_thread_spawn) posted, with a work guard and a std::thread
// parked in its run(): cpprest's pool, created by its first task inside a
// websocketpp handler. When the plugin ends, that thread should wake up.
asio::io_context* g_lazy_pool = nullptr;
std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> g_lazy_guard;
std::thread g_lazy_runner;

void foreign_thread_context() {
  asio::io_context a;  // run-gated: created on this plugin thread
  std::promise<void> created;
  std::thread driver([&] {
    asio::post(a, [&] {
      on_loop();
      g_lazy_pool = new asio::io_context;
      g_lazy_guard = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
          g_lazy_pool->get_executor());
      g_lazy_runner = std::thread([] { g_lazy_pool->run(); });
      created.set_value();
    });
    a.run();
  });
  created.get_future().wait();
  driver.join();
  say("foreign-thread-context: pool created in a handler, its thread in run()");
  tau_plugin_end();
}

tau_task_id process(const uint8_t* data, size_t len) {
  g_mode.assign(reinterpret_cast<const char*>(data), len);
  g_host_io = new asio::io_context;
  if (g_mode == "sync-server") return sync_server();
  auto main = [] {
    if (g_mode == "parked-run")
      parked_run();
    else if (g_mode == "run-one")
      run_one();
    else if (g_mode == "stop")
      stop();
    else if (g_mode == "work-guard")
      work_guard();
    else if (g_mode == "throw")
      handler_throws();
    else if (g_mode == "sigterm")
      sigterm();
    else if (g_mode == "future")
      future(*g_host_io);
    else if (g_mode == "gated")
      gated();
    else if (g_mode == "destroy-off-loop")
      destroy_off_loop();
    else if (g_mode == "timers")
      timers_off_loop();
    else if (g_mode == "strand")
      strand();
    else if (g_mode == "thread-pool")
      thread_pool_move_only();
    else if (g_mode == "foreign-thread-context")
      foreign_thread_context();
    else
      throw std::invalid_argument("unknown mode '" + g_mode + "'");
    report();
  };
  if (g_mode == "destroy-joins") {
    g_guard = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
        g_host_io->get_executor());
    for (int i = 0; i < 2; ++i) g_runners.emplace_back([] { g_host_io->run(); });
    asio::post(*g_host_io, [] {
      on_loop();
      say("destroy-joins: parked");
    });
    return 0;
  }
  if (g_mode == "host-driven") {
    // Contexts created on the loop thread: the loop runs them, nobody calls run().
    static asio::io_context a, b;
    asio::post(a, asio::bind_executor(b, [] {
                 on_loop();
                 say("host-driven: f ran without run()");
                 report();
               }));
    return 0;
  }
  return tau::spawn_thread(main).task_id();
}

}  // namespace

// The seed's plain entry points: no TAU_PLUGIN_EXPORT (plugin.h declares them).
extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" void plugin_destroy() {
  if (!g_runners.empty()) {
    g_host_io->stop();
    for (auto& t : g_runners) t.join();
    g_guard.reset();
    say("destroy-joins: stopped and joined " + std::to_string(g_runners.size()) + " threads");
    report();
  }
  if (g_server.joinable()) g_server.join();
  if (g_lazy_runner.joinable()) {
    g_lazy_pool->stop();
    g_lazy_runner.join();
    g_lazy_guard.reset();
    delete g_lazy_pool;
  }
  g_acceptor.reset();
  delete g_host_io;
  say("destroyed");
}
