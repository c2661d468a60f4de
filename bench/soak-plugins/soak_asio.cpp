// soak_asio: the soak benchmark's plugin in plain Boost.Asio (C++20 coroutines,
// tcp::acceptor, tcp::socket, signal_set, steady_timer), run on tau's loop through
// the shim. The same run as soak_tau.cpp: a server echoes; every client connection
// sends a message, waits for its echo, verifies every byte and sends the next, until
// the run's time is up or SIGINT/SIGTERM arrives; then each client closes its side
// and the server ends once its connections are closed. Input and output lines: see
// soak_protocol.hpp.
//
//   tau --plugin bench/soak-plugins/soak_asio.cpp --input "connections=100 seconds=10"
#include <tau/plugin.h>

#include <array>
#include <boost/asio.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "soak_protocol.hpp"

#ifndef TAU_ASIO_SHIM
#error \
    "soak_asio is a tau plugin: compile it with tau (tau --plugin soak_asio.cpp), which puts the shim first"
#endif

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr const char* plugin_name = "soak_asio";

// One run. The context is created in process(), on the loop thread, so the loop
// runs its handlers and its pending operations keep the host running.
struct soak_run {
  asio::io_context io;
  asio::signal_set signals{io, SIGINT, SIGTERM};
  asio::steady_timer progress{io};
  asio::steady_timer deadline{io};
  tcp::acceptor acceptor{io};
  std::set<tcp::socket*> serving;  // closed by a stop in role=server
  bool accepting = false;          // the accept loop runs
  int accepted = 0;
  int next = 0;        // the next client connection to open
  int connectors = 0;  // connector coroutines running
  int clients = 0;     // client coroutines running
  bool finished = false;
  // Clients send their first message once every connection is up (echo traffic would
  // slow the connects down, and the run's figures start there): cancelling the
  // timer opens the gate.
  asio::steady_timer gate{io, asio::steady_timer::time_point::max()};
  bool gate_open = false;
};

soak::settings g_settings;
soak::counters g_counters;
soak::clock g_clock;
const char* g_stop_reason = nullptr;  // set once the run should end
soak_run* g_run = nullptr;

void request_stop(const char* reason) {
  if (g_stop_reason != nullptr) return;
  g_stop_reason = reason;
  if (g_settings.role != soak::role::server) return;
  error_code ignored;
  g_run->acceptor.close(ignored);
  for (tcp::socket* socket : g_run->serving) socket->close(ignored);
}

// Called whenever a part of the run ends: once all have, the timers and the signal
// wait go, and with them the last work that keeps the host running.
void finish_if_done() {
  soak_run& run = *g_run;
  bool clients_done = g_settings.role == soak::role::server || (run.connectors == 0 && run.clients == 0);
  if (!clients_done || run.finished) return;
  error_code ignored;
  // Stopped while connecting: the server would wait for the rest for ever.
  if (run.accepting && run.accepted < g_settings.connections) run.acceptor.close(ignored);
  if (run.accepting || !run.serving.empty()) return;
  run.finished = true;
  run.signals.cancel(ignored);
  run.progress.cancel();
  run.deadline.cancel();
  const char* reason = g_stop_reason != nullptr ? g_stop_reason : "clients-closed";
  soak::print_counters("summary", reason, g_clock.seconds(), g_settings.role, g_counters);
}

// Echoes one connection until the client closes its side.
asio::awaitable<void> echo(tcp::socket socket, bool first) {
  g_run->serving.insert(&socket);
  ++g_counters.serving;
  std::array<char, 1024> buffer;  // smaller than most messages: echoes come back in pieces
  bool corrupt = first && g_settings.fault == soak::fault::corrupt;
  for (;;) {
    error_code ec;
    size_t n =
        co_await socket.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      if (std::exchange(corrupt, false)) buffer[n / 2] ^= 0x20;
      co_await asio::async_write(socket, asio::buffer(buffer.data(), n),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      if (ec != asio::error::eof && ec != asio::error::operation_aborted) ++g_counters.server_errors;
      break;
    }
    g_counters.echoed += n;
    if (first && g_settings.fault == soak::fault::drop) break;  // closes with the echo's rest unread
  }
  --g_counters.serving;
  g_run->serving.erase(&socket);
  finish_if_done();
}

// Accepts the run's connections.
asio::awaitable<void> accept_connections() {
  soak_run& run = *g_run;
  while (run.accepted < g_settings.connections) {
    error_code ec;
    tcp::socket socket = co_await run.acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // closed by a stop
    socket.set_option(tcp::no_delay(true), ec);
    bool first = run.accepted++ == 0;
    asio::co_spawn(run.io, echo(std::move(socket), first), asio::detached);
  }
  error_code ignored;
  run.acceptor.close(ignored);
  run.accepting = false;
  finish_if_done();
}

// One client connection: message after message until the run stops.
asio::awaitable<void> client(tcp::socket socket, uint32_t id) {
  std::vector<char> buffer;
  buffer.reserve(g_settings.max_size);
  if (!g_run->gate_open) {
    error_code ignored;
    co_await g_run->gate.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  bool dropped = false;
  for (uint64_t sequence = 0; g_stop_reason == nullptr; ++sequence) {
    buffer.resize(soak::message_size(g_settings, id, sequence));
    soak::fill_message(buffer, id, sequence);
    error_code ec;
    size_t echoed = 0;
    co_await asio::async_write(socket, asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec)
      echoed = co_await asio::async_read(socket, asio::buffer(buffer),
                                         asio::redirect_error(asio::use_awaitable, ec));
    if (echoed < buffer.size()) {
      soak::record_drop(g_counters, buffer.size(), echoed, ec && ec != asio::error::eof);
      dropped = true;
      break;
    }
    soak::record_echo(g_counters, buffer, id, sequence);
  }
  if (!dropped) {
    error_code ec;
    socket.shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, 256> rest;
    size_t extra = 0;
    while (!ec)
      extra +=
          co_await socket.async_read_some(asio::buffer(rest), asio::redirect_error(asio::use_awaitable, ec));
    if (ec != asio::error::eof) ++g_counters.errors;
    if (extra > 0) {  // the server echoed more than was sent
      ++g_counters.verify_failures;
      g_counters.corrupt_bytes += extra;
    }
    --g_counters.open;
  }
  --g_run->clients;
  finish_if_done();
}

asio::awaitable<void> report_progress() {
  auto every = std::chrono::milliseconds(g_settings.report_ms);
  g_run->progress.expires_after(every);
  for (;;) {
    error_code ec;
    co_await g_run->progress.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || g_run->finished) co_return;
    g_run->progress.expires_at(g_run->progress.expiry() + every);
    if (g_settings.fault == soak::fault::leak) soak::leak_one_mebibyte();
    soak::print_counters("progress", nullptr, g_clock.seconds(), g_settings.role, g_counters);
  }
}

void start_echoing() {
  g_clock.start();
  soak::print_connected(g_settings.connections, g_settings.seconds);
  asio::co_spawn(g_run->io, report_progress(), asio::detached);
  g_run->deadline.expires_after(std::chrono::milliseconds(std::llround(g_settings.seconds * 1000)));
  g_run->deadline.async_wait([](error_code ec) {
    if (!ec) request_stop("duration");
  });
}

// Opens connections next, next+1, ... (shared with the other connectors) and starts
// each one's client.
asio::awaitable<void> connect_clients(tcp::endpoint server) {
  soak_run& run = *g_run;
  while (run.next < g_settings.connections && g_stop_reason == nullptr) {
    uint32_t id = static_cast<uint32_t>(run.next++);
    tcp::socket socket(run.io);
    error_code ec;
    co_await socket.async_connect(server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      // The first failure is reported by the host against this plugin (a handler
      // that throws); the run winds down and tau exits 1.
      if (g_stop_reason != nullptr) break;  // the connects in flight when the first failed
      std::string failure = std::string(plugin_name) + ": connection " + std::to_string(id + 1) + " of " +
                            std::to_string(g_settings.connections) +
                            ": connect to 127.0.0.1:" + std::to_string(server.port()) + ": " + ec.message();
      asio::post(run.io, [failure] { throw std::runtime_error(failure); });
      request_stop("error");
      break;
    }
    socket.set_option(tcp::no_delay(true), ec);
    ++g_counters.open;
    ++run.clients;
    asio::co_spawn(run.io, client(std::move(socket), id), asio::detached);
  }
  if (--run.connectors == 0) {
    run.gate_open = true;
    run.gate.cancel();
    if (g_stop_reason == nullptr) start_echoing();
  }
  finish_if_done();
}

void start_run() {
  soak_run& run = *g_run;
  tcp::endpoint server(asio::ip::address_v4::loopback(), g_settings.port);
  if (g_settings.role != soak::role::client) {
    run.acceptor.open(tcp::v4());
    run.acceptor.set_option(tcp::acceptor::reuse_address(true));
    run.acceptor.bind(server);
    run.acceptor.listen(asio::socket_base::max_listen_connections);
    server = run.acceptor.local_endpoint();
    soak::print_listening(server.port());
    run.accepting = true;
    asio::co_spawn(run.io, accept_connections(), asio::detached);
  }
  run.signals.async_wait([](error_code ec, int) {
    if (!ec) request_stop("signal");
  });
  if (g_settings.role == soak::role::server) {
    g_clock.start();
    asio::co_spawn(run.io, report_progress(), asio::detached);
    return;
  }
  run.connectors = g_settings.connect_parallel;
  for (int i = 0; i < g_settings.connect_parallel; ++i)
    asio::co_spawn(run.io, connect_clients(server), asio::detached);
}

tau_task_id process(const uint8_t* data, size_t len) {
  g_settings = soak::parse_settings(plugin_name, {reinterpret_cast<const char*>(data), len});
  g_run = new soak_run();
  start_run();
  return 0;
}

}  // namespace

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" void plugin_destroy() {
  delete g_run;
  g_run = nullptr;
}
