// asio_workloads.cpp: one Asio workload source, compiled twice by bench/CMakeLists.txt:
// - asio_workloads_native: against the system Boost.Asio headers (its own epoll
//   scheduler and reactor), entry main();
// - libbench_asio_workloads.so: a tau plugin built with tau_add_project_plugin, so the
//   shim's scheduler and reactor replace Asio's, entry plugin_init/process; run with
//   `tau --plugin libbench_asio_workloads.so --input "..."`.
// The code between the entries is identical; both drive every workload with a plain
// io_context::run() (in the plugin, from process(): run() drives the shared loop).
//
// Workloads (each on a fresh io_context, timed from its construction to its
// destruction, wall clock):
// - posts:  N chained posts: each handler posts the next; one in flight.
// - timers: M steady_timers in flight at once, due in 0 or 1 ms (i % 2), a plain
//           handler each; ends when the last has fired.
// - echo:   a server and C client connections in the same io_context on 127.0.0.1
//           (port 0, TCP_NODELAY); each client writes a B-byte message, reads the
//           B-byte echo back and checks it, R rounds.
// - parked: P handlers posted from one thread while 4 threads are inside run()
//           (natively they run the handlers; under the shim they are parked and
//           the loop thread runs them). In the plugin the workload's own main runs
//           on a plugin thread (tau_thread_spawn), as an adapted program's would.
// - lateness: L steady_timers due 100 us to 5 ms (evenly spread) after a start time
//           just past their arming, a handler each that records how late it ran
//           (now minus its deadline); the run reports the p50 and p99, in us.
// Each timed run prints one line:
//   asio_workloads side=native|shim workload=posts ms=12.345 cpu_ms=12.1 check=1000000 expected=1000000
// check == expected or the run lost or corrupted work (bench/run-shim marks it WRONG).
// The lateness line adds p50_us=... p99_us=... armed_us=... due_before_run=... (how
// long arming the timers took; how many were due before it ended, late by no fault of
// the loop).
//
// Options (argv for the native binary, --input for the plugin), key=value, see
// workload_options.hpp:
//   posts=1000000 timers=100000 conns=64 rounds=1000 msg=64 parked=1000000 lateness=10000
//   warmup=1 reps=1 only=posts,timers,echo,parked,lateness
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "workload_options.hpp"

// The shim's scheduler.hpp includes tau_loop.hpp; Asio's own does not. Refuse to
// build a side against the wrong headers.
#if defined(TAU_BENCH_PLUGIN)
#if !defined(BOOST_ASIO_DETAIL_TAU_LOOP_HPP)
#error "the plugin side must be built with the tau shim first on the include path"
#endif
#include <tau/plugin.h>
#define SIDE "shim"
#else
#if defined(BOOST_ASIO_DETAIL_TAU_LOOP_HPP)
#error "the native side picked up the tau shim's Asio headers"
#endif
#define SIDE "native"
#endif

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using tau::bench::options;
using tau::bench::parse;
using tau::bench::timed;

// The concurrency hint a single-threaded Asio program passes (the shim ignores it).
constexpr int concurrency_hint = 1;

// ---- posts: chained ----------------------------------------------------------

struct chain {
  asio::io_context& io;
  size_t left;
  uint64_t ran = 0;
};

struct chain_step {
  chain* c;
  void operator()() const {
    ++c->ran;
    if (--c->left > 0) asio::post(c->io, chain_step{c});
  }
};

uint64_t posts_chained(size_t n) {
  asio::io_context io{concurrency_hint};
  chain c{io, n};
  if (n > 0) asio::post(io, chain_step{&c});
  io.run();
  return c.ran;
}

// ---- timers: M in flight -----------------------------------------------------

uint64_t timers_in_flight(size_t m) {
  asio::io_context io{concurrency_hint};
  uint64_t fired = 0;
  std::vector<asio::steady_timer> timers;
  timers.reserve(m);
  for (size_t i = 0; i < m; ++i) {
    timers.emplace_back(io, std::chrono::milliseconds(i % 2));
    timers.back().async_wait([&fired](const error_code& ec) {
      if (!ec) ++fired;
    });
  }
  io.run();
  return fired;
}

// ---- lateness: how late timers due in 100 us to 5 ms fire ---------------------

// The p-th percentile (nearest rank) of sorted values; 0 for none.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<size_t>(p / 100 * static_cast<double>(sorted.size()) + 0.999999);
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

// Arms n timers due 100 us to 5 ms after a start time, in deadline order, and runs
// them; returns how many fired and sets fields to "p50_us=.. p99_us=.. armed_us=..
// due_before_run=..". The start time is 2 us per timer ahead of now (20 ms for 10k),
// so that arming them all (about 0.1 us each natively, more on a busy machine) ends
// before the first is due: a deadline that passes while arming would measure the
// arming, not the loop.
uint64_t timer_lateness(size_t n, std::string& fields) {
  using clock = asio::steady_timer::clock_type;
  constexpr std::chrono::nanoseconds first = std::chrono::microseconds(100);
  constexpr std::chrono::nanoseconds last = std::chrono::milliseconds(5);
  asio::io_context io{concurrency_hint};
  std::vector<asio::steady_timer> timers;
  timers.reserve(n);
  for (size_t i = 0; i < n; ++i) timers.emplace_back(io);
  std::vector<double> late_us;  // actual minus deadline, per fired timer
  late_us.reserve(n);
  clock::time_point now = clock::now();
  clock::time_point start = now + std::chrono::microseconds(2 * n);
  for (size_t i = 0; i < n; ++i) {
    double along = n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 0.0;  // 0 .. 1
    clock::time_point deadline =
        start + first + std::chrono::duration_cast<clock::duration>((last - first) * along);
    timers[i].expires_at(deadline);
    timers[i].async_wait([&late_us, deadline](const error_code& ec) {
      clock::time_point ran = clock::now();
      if (!ec) late_us.push_back(std::chrono::duration<double, std::micro>(ran - deadline).count());
    });
  }
  clock::time_point armed = clock::now();
  size_t due_before_run = 0;  // deadlines that passed while arming
  for (const asio::steady_timer& t : timers) due_before_run += t.expiry() < armed ? 1 : 0;
  io.run();
  std::vector<double> sorted = late_us;
  std::sort(sorted.begin(), sorted.end());
  char buf[160];
  std::snprintf(buf, sizeof buf, "p50_us=%.1f p99_us=%.1f armed_us=%.1f due_before_run=%zu",
                percentile(sorted, 50), percentile(sorted, 99),
                std::chrono::duration<double, std::micro>(armed - now).count(), due_before_run);
  fields = buf;
  return late_us.size();
}

// ---- echo: C clients x R round trips of B bytes over loopback ------------------

// Byte j of round r of connection k: what the client sends and expects back.
inline unsigned char pattern(size_t k, size_t r, size_t j) {
  return static_cast<unsigned char>(k * 31 + r * 7 + j);
}

class server_session {
 public:
  explicit server_session(tcp::socket socket) : socket_(std::move(socket)) {}
  void start() { read(); }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buf_), [this](const error_code& ec, size_t n) {
      if (ec) {  // eof once the client is done
        socket_.close();
        return;
      }
      asio::async_write(socket_, asio::buffer(buf_.data(), n), [this](const error_code& ec, size_t) {
        if (ec) {
          socket_.close();
          return;
        }
        read();
      });
    });
  }

  tcp::socket socket_;
  std::array<unsigned char, 4096> buf_{};
};

struct echo_totals {
  uint64_t verified_bytes = 0;
  size_t errors = 0;
};

class client {
 public:
  client(asio::io_context& io, size_t id, const options& o, echo_totals& totals)
      : socket_(io), id_(id), rounds_(o.rounds), msg_(o.msg), totals_(totals) {}

  void start(const tcp::endpoint& server) {
    socket_.async_connect(server, [this](const error_code& ec) {
      if (ec) return fail();
      socket_.set_option(tcp::no_delay(true));
      send();
    });
  }

 private:
  void send() {
    for (size_t j = 0; j < msg_; ++j) out_[j] = pattern(id_, round_, j);
    asio::async_write(socket_, asio::buffer(out_.data(), msg_), [this](const error_code& ec, size_t) {
      if (ec) return fail();
      asio::async_read(socket_, asio::buffer(in_.data(), msg_), [this](const error_code& ec, size_t n) {
        if (ec) return fail();
        if (n == msg_ && std::memcmp(in_.data(), out_.data(), msg_) == 0) totals_.verified_bytes += n;
        if (++round_ < rounds_) return send();
        socket_.close();  // the server reads eof and closes its side
      });
    });
  }

  void fail() {
    ++totals_.errors;
    socket_.close();
  }

  tcp::socket socket_;
  size_t id_;
  size_t rounds_;
  size_t msg_;
  size_t round_ = 0;
  echo_totals& totals_;
  std::array<unsigned char, 4096> out_{};
  std::array<unsigned char, 4096> in_{};
};

uint64_t echo(const options& o) {
  asio::io_context io{concurrency_hint};
  echo_totals totals;
  std::vector<std::unique_ptr<server_session>> sessions;
  std::vector<std::unique_ptr<client>> clients;
  sessions.reserve(o.conns);
  clients.reserve(o.conns);

  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  size_t accepted = 0;
  struct accept_loop {
    tcp::acceptor& acceptor;
    std::vector<std::unique_ptr<server_session>>& sessions;
    size_t& accepted;
    size_t conns;
    echo_totals& totals;
    void operator()() const {
      acceptor.async_accept([*this](const error_code& ec, tcp::socket socket) {
        if (ec) {
          ++totals.errors;
          return;
        }
        socket.set_option(tcp::no_delay(true));
        sessions.push_back(std::make_unique<server_session>(std::move(socket)));
        sessions.back()->start();
        if (++accepted < conns) (*this)();
        else acceptor.close();
      });
    }
  };
  if (o.conns > 0) accept_loop{acceptor, sessions, accepted, o.conns, totals}();
  tcp::endpoint server = acceptor.local_endpoint();
  for (size_t k = 0; k < o.conns; ++k) {
    clients.push_back(std::make_unique<client>(io, k, o, totals));
    clients.back()->start(server);
  }
  io.run();
  if (totals.errors != 0) std::fprintf(stderr, "asio_workloads: echo: %zu error(s)\n", totals.errors);
  // Sockets go before their io_context.
  clients.clear();
  sessions.clear();
  return totals.verified_bytes;
}

// ---- parked: posts from a thread while 4 threads are in run() -------------------

uint64_t posts_to_parked_threads(size_t n) {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::atomic<uint64_t> ran{0};
  auto handler = [&] {
    if (ran.fetch_add(1, std::memory_order_relaxed) + 1 == n) guard.reset();
  };
  std::vector<std::thread> runners;
  for (int i = 0; i < 4; ++i) runners.emplace_back([&] { io.run(); });
  std::thread poster([&] {
    for (size_t i = 0; i < n; ++i) asio::post(io, handler);
  });
  poster.join();
  if (n == 0) guard.reset();
  for (std::thread& t : runners) t.join();
  return ran.load();
}

#if defined(TAU_BENCH_PLUGIN)
// A program's main runs on a thread of the plugin's own; process() drives the loop
// until it is done.
uint64_t parked(size_t n) {
  struct job {
    size_t n;
    uint64_t ran = 0;
    bool done = false;
  } j{n};
  tau_thread_spawn([](void* p) {
    auto* j = static_cast<job*>(p);
    j->ran = posts_to_parked_threads(j->n);
  }, [](void* p, int) { static_cast<job*>(p)->done = true; }, &j);
  tau_block_on([](void* p) { return static_cast<job*>(p)->done ? 1 : 0; }, &j);
  return j.ran;
}
#else
uint64_t parked(size_t n) { return posts_to_parked_threads(n); }
#endif

// ---- the runs --------------------------------------------------------------------

void run_all(const options& o) {
  for (int i = 0; i < o.warmup + o.reps; ++i) {
    bool print = i >= o.warmup;
    if (o.wants("posts")) timed(SIDE, "posts", o.posts, print, [&] { return posts_chained(o.posts); });
    if (o.wants("timers")) timed(SIDE, "timers", o.timers, print, [&] { return timers_in_flight(o.timers); });
    if (o.wants("echo"))
      timed(SIDE, "echo", o.echo_bytes(), print, [&] { return echo(o); });
    if (o.wants("parked")) timed(SIDE, "parked", o.parked, print, [&] { return parked(o.parked); });
    if (o.wants("lateness")) {
      std::string fields;
      auto run = [&] { return timer_lateness(o.lateness, fields); };
      timed(SIDE, "lateness", o.lateness, print, run, fields);
    }
  }
}

}  // namespace

#if defined(TAU_BENCH_PLUGIN)

namespace {

tau_task_id process(const uint8_t* data, size_t len) {
  options o;
  if (!parse(o, std::string(reinterpret_cast<const char*>(data), len)))
    throw std::runtime_error("asio_workloads: bad --input");
  run_all(o);
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {}

#else

int main(int argc, char** argv) {
  options o;
  std::string text;
  for (int i = 1; i < argc; ++i) text += std::string(argv[i]) + " ";
  if (!parse(o, text)) return 2;
  run_all(o);
  return 0;
}

#endif
