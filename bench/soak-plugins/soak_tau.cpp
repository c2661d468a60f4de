// soak_tau: the soak benchmark's plugin on tau.hpp (tau::tcp_listener, tau::tcp_stream,
// tasks). A server echoes; every client connection sends a message, waits for its
// echo, verifies every byte and sends the next, until the run's time is up or
// SIGINT/SIGTERM arrives; then each client closes its side and the server ends once
// its connections are closed. Input and output lines: see soak_protocol.hpp.
//
//   tau --plugin bench/soak-plugins/soak_tau.cpp --input "connections=100 seconds=10"
#include <tau/plugin.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <string>
#include <system_error>
#include <tau/tau.hpp>
#include <utility>

#include "soak_protocol.hpp"

namespace {

constexpr const char* plugin_name = "soak_tau";

soak::settings g_settings;
soak::counters g_counters;
soak::clock g_clock;
const char* g_stop_reason = nullptr;  // set once the run should end
tau::join_handle<void> g_server;      // aborted by a stop in role=server
int g_accepted = 0;                   // server connections accepted so far
// Clients send their first message once every connection is up: echo traffic would
// slow the connects down, and the run's figures start there.
bool g_gate_open = false;
tau::notify g_gate;

void request_stop(const char* reason) {
  if (g_stop_reason != nullptr) return;
  g_stop_reason = reason;
  if (g_settings.role == soak::role::server) g_server.abort();
}

// Keeps counters.serving right however an echo task ends, aborts included.
struct serving_count {
  serving_count() { ++g_counters.serving; }
  ~serving_count() { --g_counters.serving; }
};

// Echoes one connection until the client closes its side.
tau::task<> echo(tau::tcp_stream stream, bool first) {
  serving_count serving;
  char buffer[1024];  // smaller than most messages: echoes come back in pieces
  bool corrupt = first && g_settings.fault == soak::fault::corrupt;
  try {
    while (size_t n = co_await stream.read_some(buffer)) {
      if (std::exchange(corrupt, false)) buffer[n / 2] ^= 0x20;
      co_await stream.write_all({buffer, n});
      g_counters.echoed += n;
      if (first && g_settings.fault == soak::fault::drop) co_return;  // closes with the echo's rest unread
    }
  } catch (const std::system_error&) {
    ++g_counters.server_errors;
  }
}

// Accepts the run's connections, then waits until every one is closed.
tau::task<> serve(tau::tcp_listener listener) {
  tau::join_set<void> echoes;
  for (int i = 0; i < g_settings.connections; ++i) {
    tau::tcp_stream stream = co_await listener.accept();
    stream.set_nodelay(true);
    ++g_accepted;
    echoes.spawn(
        [stream = std::move(stream), first = i == 0]() mutable { return echo(std::move(stream), first); });
  }
  listener.close();
  while (co_await echoes.join_next()) {
  }
}

// One client connection: message after message until the run stops.
tau::task<> client(tau::tcp_stream stream, uint32_t id) {
  std::string buffer;
  buffer.reserve(g_settings.max_size);
  if (!g_gate_open) co_await g_gate.notified();
  for (uint64_t sequence = 0; g_stop_reason == nullptr; ++sequence) {
    buffer.resize(soak::message_size(g_settings, id, sequence));
    soak::fill_message(buffer, id, sequence);
    size_t echoed = 0;
    bool error = false;
    try {
      co_await stream.write_all(buffer);
      while (echoed < buffer.size()) {
        size_t n = co_await stream.read_some(std::span(buffer).subspan(echoed));
        if (n == 0) break;
        echoed += n;
      }
    } catch (const std::system_error&) {
      error = true;
    }
    if (echoed < buffer.size()) {
      soak::record_drop(g_counters, buffer.size(), echoed, error);
      co_return;
    }
    soak::record_echo(g_counters, buffer, id, sequence);
  }
  std::string rest;
  try {
    stream.shutdown_write();
    rest = co_await stream.read_to_end();
  } catch (const std::system_error&) {
    ++g_counters.errors;
  }
  if (!rest.empty()) {  // the server echoed more than was sent
    ++g_counters.verify_failures;
    g_counters.corrupt_bytes += rest.size();
  }
  --g_counters.open;
}

// Opens connections next, next+1, ... (shared with the other connectors) and starts
// each one's client.
tau::task<> connect_clients(tau::socket_address server, int& next, tau::join_set<void>& clients) {
  while (next < g_settings.connections && g_stop_reason == nullptr) {
    uint32_t id = static_cast<uint32_t>(next++);
    tau::tcp_stream stream;
    try {
      stream = co_await tau::tcp_stream::connect(server);
    } catch (const std::system_error& e) {
      if (g_stop_reason != nullptr) co_return;  // the connects in flight when the first failed
      request_stop("error");
      throw std::runtime_error(std::string(plugin_name) + ": connection " + std::to_string(id + 1) + " of " +
                               std::to_string(g_settings.connections) + ": " + e.what());
    }
    stream.set_nodelay(true);
    ++g_counters.open;
    clients.spawn([stream = std::move(stream), id]() mutable { return client(std::move(stream), id); });
  }
}

tau::task<> stop_after(double seconds) {
  co_await tau::sleep(std::chrono::milliseconds(std::llround(seconds * 1000)));
  request_stop("duration");
}

tau::task<> stop_on(int signum) {
  tau::signal_stream signals(signum);
  co_await signals.recv();
  request_stop("signal");
}

tau::task<> report_progress() {
  tau::interval every(std::chrono::milliseconds(g_settings.report_ms));
  co_await every.tick();  // the first tick is at once
  for (;;) {
    co_await every.tick();
    if (g_settings.fault == soak::fault::leak) soak::leak_one_mebibyte();
    soak::print_counters("progress", nullptr, g_clock.seconds(), g_settings.role, g_counters);
  }
}

// The run's tasks that would otherwise keep the host running: aborted however
// run() ends.
struct helper_tasks {
  tau::join_handle<void> on_interrupt, on_terminate, progress, deadline;
  ~helper_tasks() {
    for (auto* helper : {&on_interrupt, &on_terminate, &progress, &deadline}) helper->abort();
  }
};

// The clients' part of the run: connect them all, echo until the run stops.
tau::task<> run_clients(uint16_t port, helper_tasks& helpers) {
  tau::socket_address server = *tau::socket_address::parse("127.0.0.1", port);
  tau::join_set<void> clients;
  int next = 0;
  {
    tau::join_set<void> connectors;
    for (int i = 0; i < g_settings.connect_parallel; ++i)
      connectors.spawn([server, &next, &clients] { return connect_clients(server, next, clients); });
    while (co_await connectors.join_next()) {
    }
  }
  g_gate_open = true;
  g_gate.notify_waiters();
  if (g_stop_reason == nullptr) {
    g_clock.start();
    soak::print_connected(g_settings.connections, g_settings.seconds);
    helpers.progress = tau::spawn(report_progress);
    helpers.deadline = tau::spawn([] { return stop_after(g_settings.seconds); });
  }
  while (co_await clients.join_next()) {
  }
}

tau::task<> run() {
  helper_tasks helpers;
  helpers.on_interrupt = tau::spawn([] { return stop_on(SIGINT); });
  helpers.on_terminate = tau::spawn([] { return stop_on(SIGTERM); });
  uint16_t port = g_settings.port;
  if (g_settings.role != soak::role::client) {
    tau::tcp_listener listener = tau::tcp_listener::bind("127.0.0.1", port);
    port = listener.local_port();
    soak::print_listening(port);
    g_server = tau::spawn([listener = std::move(listener)]() mutable { return serve(std::move(listener)); });
  }
  try {
    if (g_settings.role == soak::role::server) {
      g_clock.start();
      helpers.progress = tau::spawn(report_progress);
    } else {
      co_await run_clients(port, helpers);
      // Stopped while connecting: the server would wait for the rest for ever.
      if (g_accepted < g_settings.connections) g_server.abort();
    }
    if (g_server.valid()) co_await g_server;
  } catch (const tau::task_aborted&) {
    // the server, stopped early
  } catch (...) {
    g_server.abort();
    g_server = {};
    throw;
  }
  g_server = {};
  const char* reason = g_stop_reason != nullptr ? g_stop_reason : "clients-closed";
  soak::print_counters("summary", reason, g_clock.seconds(), g_settings.role, g_counters);
}

tau_task_id process(const uint8_t* data, size_t len) {
  g_settings = soak::parse_settings(plugin_name, {reinterpret_cast<const char*>(data), len});
  return tau::spawn(run).task_id();
}

}  // namespace

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" void plugin_destroy() {}
