// echo_client: connects to echo_server on 127.0.0.1 and, on every tick of a timer,
// sends one message over its connections in turn and waits for the echo. Its lines
// and the server's interleave in one fixed order, which shows both plugins' timers
// and sockets sharing one loop.
//
// Input: "port=47123 clients=2 messages=3" (clients: connections to open, default
// 1; messages: per connection, default 3; a bare number is the port).
#include <tau/plugin.h>
#include <tau/tau.hpp>

#include <charconv>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct settings {
  uint16_t port = 0;
  int clients = 1;
  int messages = 3;
};

int parse_number(const std::string& text, const std::string& key) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0)
    throw std::invalid_argument("echo_client: '" + key + "' wants a number, got '" + text + "'");
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
    } else if (key == "messages") {
      s.messages = parse_number(value, key);
    }
  }
  if (!has_port || s.port == 0) throw std::invalid_argument("echo_client: input needs port=N (N > 0)");
  return s;
}

void say(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::printf("client: ");
  std::vprintf(format, args);
  std::printf("\n");
  std::fflush(stdout);
  va_end(args);
}

// Plugins start in the order given, so the server may not listen yet: retry for
// about two seconds.
tau::task<tau::tcp_stream> connect_with_retry(uint16_t port) {
  for (int attempt = 1;; ++attempt) {
    try {
      co_return co_await tau::tcp_stream::connect("127.0.0.1", port);
    } catch (const tau::error& e) {
      if (e.code() != std::errc::connection_refused || attempt == 100) throw;
    }
    co_await tau::sleep(20ms);
  }
}

// The server's greeting: one line, and nothing follows it until we send.
tau::task<std::string> read_line(tau::tcp_stream& stream) {
  std::string line;
  char buffer[256];
  while (line.empty() || line.back() != '\n') {
    size_t n = co_await stream.read_some(buffer);
    if (n == 0) throw std::runtime_error("echo_client: server closed before greeting");
    line.append(buffer, n);
  }
  line.pop_back();
  co_return line;
}

tau::task<> run(std::string input) {
  settings s = parse_settings(input);
  std::vector<tau::tcp_stream> connections;
  for (int id = 1; id <= s.clients; ++id) {
    connections.push_back(co_await connect_with_retry(s.port));
    std::string greeting = co_await read_line(connections.back());
    say("connection %d greeted with '%s'", id, greeting.c_str());
  }

  tau::interval ticker(20ms);
  int ticks = s.clients * s.messages;
  for (int tick = 1; tick <= ticks; ++tick) {
    co_await ticker.tick();
    int id = (tick - 1) % s.clients + 1;
    tau::tcp_stream& stream = connections[id - 1];
    std::string message = "message " + std::to_string(tick);
    say("tick %d sends '%s' on connection %d", tick, message.c_str(), id);
    co_await stream.write_all(message);
    std::string echo(message.size(), '\0');
    co_await stream.read_exact(echo);
    say("connection %d got '%s' back", id, echo.c_str());
  }

  for (int id = 1; id <= s.clients; ++id) {
    tau::tcp_stream& stream = connections[id - 1];
    say("closing connection %d", id);
    stream.shutdown_write();
    std::string rest = co_await stream.read_to_end();
    say("connection %d closed by the server%s", id, rest.empty() ? "" : " (with unexpected data)");
  }
  say("done after %d ticks", ticks);
}

tau_task_id process(const uint8_t* data, size_t len) {
  std::string input(reinterpret_cast<const char*>(data), len);  // data is valid only during the call
  return tau::spawn([input = std::move(input)] { return run(input); }).task_id();
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {}
