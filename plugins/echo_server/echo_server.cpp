// echo_server: listens on 127.0.0.1, greets and echoes a fixed number of clients,
// then exits. Runs next to echo_client in one tau process, on the same loop.
//
// Input: "port=47123 clients=2 heartbeat=7" (clients defaults to 1; heartbeat, a
// period in ms for "heartbeat N" lines, to 0 = none; a bare number is the port).
#include <tau/plugin.h>
#include <tau/tau.hpp>

#include <charconv>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>

namespace {

struct settings {
  uint16_t port = 0;
  int clients = 1;
  int heartbeat_ms = 0;  // 0: no heartbeat lines
};

int parse_number(const std::string& text, const std::string& key) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0)
    throw std::invalid_argument("echo_server: '" + key + "' wants a number, got '" + text + "'");
  return value;
}

settings parse_settings(const std::string& input) {
  settings s;
  std::istringstream words(input);
  std::string word;
  bool has_port = false;
  while (words >> word) {
    auto eq = word.find('=');
    std::string key = eq == std::string::npos ? "port" : word.substr(0, eq);
    std::string value = eq == std::string::npos ? word : word.substr(eq + 1);
    if (key == "port") {
      s.port = static_cast<uint16_t>(parse_number(value, key));
      has_port = true;
    } else if (key == "clients") {
      s.clients = parse_number(value, key);
    } else if (key == "heartbeat") {
      s.heartbeat_ms = parse_number(value, key);
    }  // other keys belong to echo_client
  }
  if (!has_port || s.port == 0) throw std::invalid_argument("echo_server: input needs port=N (N > 0)");
  return s;
}

void say(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::printf("server: ");
  std::vprintf(format, args);
  std::printf("\n");
  std::fflush(stdout);
  va_end(args);
}

// Echoes one connection until the client closes its side; returns the bytes echoed.
tau::task<size_t> echo(tau::tcp_stream stream, int id) {
  size_t total = 0;
  char buffer[4096];
  while (size_t n = co_await stream.read_some(buffer)) {
    say("connection %d echoes '%.*s'", id, static_cast<int>(n), buffer);
    co_await stream.write_all({buffer, n});
    total += n;
  }
  say("connection %d closed after %zu bytes", id, total);
  co_return total;
}

// Prints a line every period while the server runs: its own timer, interleaving
// with the client's on the one loop.
tau::task<> heartbeat(int period_ms) {
  tau::interval every(std::chrono::milliseconds{period_ms});
  co_await every.tick();
  for (int beat = 1;; ++beat) {
    co_await every.tick();
    say("heartbeat %d", beat);
  }
}

tau::task<> serve(std::string input) {
  settings s = parse_settings(input);
  tau::join_handle<void> beats;
  if (s.heartbeat_ms > 0) beats = tau::spawn([period = s.heartbeat_ms] { return heartbeat(period); });
  auto listener = tau::tcp_listener::bind("127.0.0.1", s.port);
  say("listening on %s", listener.local_address().to_string().c_str());

  tau::join_set<size_t> connections;
  for (int id = 1; id <= s.clients; ++id) {
    tau::tcp_stream stream = co_await listener.accept();
    say("accepted connection %d", id);
    std::string greeting = "welcome, client " + std::to_string(id) + "\n";
    co_await stream.write_all(greeting);
    connections.spawn([stream = std::move(stream), id]() mutable { return echo(std::move(stream), id); });
  }
  listener.close();

  size_t total = 0;
  while (auto echoed = co_await connections.join_next()) total += *echoed;
  beats.abort();
  say("done, echoed %zu bytes over %d connection%s", total, s.clients, s.clients == 1 ? "" : "s");
}

tau_task_id process(const uint8_t* data, size_t len) {
  std::string input(reinterpret_cast<const char*>(data), len);  // data is valid only during the call
  return tau::spawn([input = std::move(input)] { return serve(input); }).task_id();
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {}
