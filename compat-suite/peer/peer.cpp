// peer: a host-driven plugin (process starts a task and returns) that plays the
// other end of an upstream example in the same tau process, on the same loop.
// Written on tau.hpp only. Its input line is "peer <mode> <args>..."; the modes,
// their arguments and what they do are the table `modes` below.
//
// Clients retry connecting for 5 s (the server plugin starts after this one).
// Servers listen before process returns. Output lines start with "peer: "; the
// last is "peer: done".
#include <tau/plugin.h>
#include <tau/tau.hpp>
#include <tau_compat/args.hpp>

#include <openssl/sha.h>

#include <cctype>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

using namespace std::chrono_literals;

namespace {

void say(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::printf("peer: ");
  std::vprintf(format, args);
  std::printf("\n");
  std::fflush(stdout);
  va_end(args);
}

tau::task<tau::tcp_stream> connect_with_retry(uint16_t port) {
  for (int attempt = 1;; ++attempt) {
    try {
      co_return co_await tau::tcp_stream::connect("127.0.0.1", port);
    } catch (const std::system_error& e) {
      if (e.code() != std::errc::connection_refused || attempt == 250) throw;
    }
    co_await tau::sleep(20ms);
  }
}

// Reads from a stream through a buffer, so that bytes after a delimiter are kept.
// (co_await only as a whole statement or initializer: GCC 12 miscompiles it in
// conditions and next to temporaries.)
struct reader {
  tau::tcp_stream& stream;
  std::string buffer;

  tau::task<bool> fill() {
    char chunk[16384];
    size_t n = co_await stream.read_some(chunk);
    buffer.append(chunk, n);
    co_return n > 0;
  }
  tau::task<std::string> until(std::string_view delimiter) {
    for (;;) {
      if (auto at = buffer.find(delimiter); at != std::string::npos) {
        std::string out = buffer.substr(0, at + delimiter.size());
        buffer.erase(0, at + delimiter.size());
        co_return out;
      }
      bool more = co_await fill();
      if (!more) throw std::runtime_error("connection closed before '" + std::string(delimiter) + "'");
    }
  }
  tau::task<std::string> exactly(size_t n) {
    while (buffer.size() < n) {
      bool more = co_await fill();
      if (!more)
        throw std::runtime_error("connection closed after " + std::to_string(buffer.size()) + " of " +
                                 std::to_string(n) + " bytes");
    }
    std::string out = buffer.substr(0, n);
    buffer.erase(0, n);
    co_return out;
  }
  tau::task<std::string> rest() {
    for (;;) {
      bool more = co_await fill();
      if (!more) break;
    }
    std::string out = std::move(buffer);
    buffer.clear();
    co_return out;
  }
};

std::string header_value(const std::string& head, const std::string& name) {
  std::string lower = head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string key = "\r\n" + name + ":";
  auto at = lower.find(key);
  if (at == std::string::npos) return {};
  auto start = head.find_first_not_of(' ', at + key.size());
  return head.substr(start, head.find("\r\n", start) - start);
}

// ---- WebSocket (RFC 6455), just enough for one text message each way ----------

std::string base64(const unsigned char* data, size_t n) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = data[i] << 16 | (i + 1 < n ? data[i + 1] << 8 : 0) | (i + 2 < n ? data[i + 2] : 0);
    out += table[v >> 18 & 63];
    out += table[v >> 12 & 63];
    out += i + 1 < n ? table[v >> 6 & 63] : '=';
    out += i + 2 < n ? table[v & 63] : '=';
  }
  return out;
}

std::string accept_key(const std::string& key) {
  std::string text = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return base64(digest, sizeof digest);
}

std::string frame(int opcode, const std::string& payload, bool masked) {
  std::string out;
  out += static_cast<char>(0x80 | opcode);
  char mask_bit = masked ? char(0x80) : char(0);
  if (payload.size() < 126) {
    out += static_cast<char>(mask_bit | static_cast<char>(payload.size()));
  } else {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xff);
  }
  std::string body = payload;
  if (masked) {
    unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    out.append(reinterpret_cast<char*>(key), 4);
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(body[i] ^ key[i % 4]);
  }
  return out + body;
}

struct ws_frame {
  int opcode;
  std::string payload;
};

tau::task<ws_frame> read_frame(reader& in) {
  std::string head = co_await in.exactly(2);
  int opcode = head[0] & 0x0f;
  bool masked = head[1] & 0x80;
  uint64_t length = head[1] & 0x7f;
  if (length == 126) {
    std::string ext = co_await in.exactly(2);
    length = static_cast<unsigned char>(ext[0]) << 8 | static_cast<unsigned char>(ext[1]);
  } else if (length == 127) {
    std::string ext = co_await in.exactly(8);
    length = 0;
    for (char c : ext) length = length << 8 | static_cast<unsigned char>(c);
  }
  std::string key;
  if (masked) key = co_await in.exactly(4);
  std::string payload = co_await in.exactly(static_cast<size_t>(length));
  if (masked)
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ key[i % 4]);
  co_return ws_frame{opcode, payload};
}

// ---- what the modes do --------------------------------------------------------

tau::task<> tcp_echo_client(uint16_t port, std::string message) {
  tau::tcp_stream s = co_await connect_with_retry(port);
  co_await s.write_all(message);
  std::string back(message.size(), '\0');
  co_await s.read_exact(back);
  say("echo: %s", back.c_str());
}

tau::task<> udp_echo_client(uint16_t port, std::string message) {
  tau::udp_socket s = tau::udp_socket::bind("127.0.0.1", 0);
  auto to = *tau::socket_address::parse("127.0.0.1", port);
  char buffer[2048];
  for (int attempt = 1;; ++attempt) {
    co_await s.send_to(message, to);
    try {
      auto got = co_await tau::timeout(200ms, s.recv_from(buffer));
      say("echo: %s", std::string(buffer, got.size).c_str());
      co_return;
    } catch (const tau::timed_out&) {
      if (attempt == 25) throw std::runtime_error("no UDP echo after 25 tries");
    }
  }
}

// Sends one request (Connection: close) and prints the response's status and body.
tau::task<> http_request(uint16_t port, std::string method, std::string path, std::string body) {
  tau::tcp_stream s = co_await connect_with_retry(port);
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nUser-Agent: tau-compat-peer\r\nConnection: close\r\n";
  if (method == "POST")
    request += "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  co_await s.write_all(request);
  reader in{s, {}};
  std::string head = co_await in.until("\r\n\r\n");
  say("status: %s", head.substr(0, head.find("\r\n")).c_str());
  std::string length = header_value(head, "content-length");
  // (no co_await inside ?: : GCC 12 miscompiles it)
  std::string answer;
  if (length.empty())
    answer = co_await in.rest();
  else
    answer = co_await in.exactly(std::stoul(length));
  while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
  say("body: %s", answer.c_str());
}

tau::task<> http_get_post(uint16_t port, std::string get_path, std::string post_path, std::string body) {
  co_await http_request(port, "GET", get_path, "");
  co_await http_request(port, "POST", post_path, body);
}

tau::task<> ws_echo_client(uint16_t port, std::string path, std::string message) {
  tau::tcp_stream s = co_await connect_with_retry(port);
  std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                        "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  co_await s.write_all(request);
  reader in{s, {}};
  std::string head = co_await in.until("\r\n\r\n");
  say("handshake: %s", head.substr(0, head.find("\r\n")).c_str());
  if (header_value(head, "sec-websocket-accept") != accept_key(key))
    throw std::runtime_error("bad Sec-WebSocket-Accept in: " + head);
  std::string text = frame(1, message, true);
  co_await s.write_all(text);
  ws_frame reply = co_await read_frame(in);
  say("ws echo: %s", reply.payload.c_str());
  std::string close = frame(8, std::string("\x03\xe8", 2), true);
  co_await s.write_all(close);
  ws_frame closing = co_await read_frame(in);
  say("ws close: opcode %d", closing.opcode);
}

tau::task<> chat_client(uint16_t port, std::string message) {
  tau::tcp_stream s = co_await connect_with_retry(port);
  char header[8];
  std::snprintf(header, sizeof header, "%4d", static_cast<int>(message.size()));
  std::string out = std::string(header, 4) + message;
  co_await s.write_all(out);
  reader in{s, {}};
  std::string length = co_await in.exactly(4);
  std::string body = co_await in.exactly(std::stoul(length));
  say("chat: %s", body.c_str());
}

tau::task<> line_client(uint16_t port, std::string message) {
  tau::tcp_stream s = co_await connect_with_retry(port);
  std::string out = message + "\n";
  co_await s.write_all(out);
  reader in{s, {}};
  std::string line = co_await in.until("\n");
  line.pop_back();
  say("line: %s", line.c_str());
}

tau::task<> read_client(uint16_t port, int count) {
  for (int i = 0; i < count; ++i) {
    tau::tcp_stream s = co_await connect_with_retry(port);
    std::string data;
    bool reset = false;
    try {
      data = co_await s.read_to_end();
    } catch (const std::system_error& e) {
      // Connected to a listening socket the server then closed (between two of
      // its accepts): try again.
      if (e.code() != std::errc::connection_reset) throw;
      reset = true;
    }
    if (reset) {
      --i;
      co_await tau::sleep(20ms);
      continue;
    }
    while (!data.empty() && (data.back() == '\n' || data.back() == '\r')) data.pop_back();
    say("read: %s", data.c_str());
  }
}

tau::task<> echo_server(tau::tcp_listener listener) {
  tau::tcp_stream s = co_await listener.accept();
  char buffer[4096];
  for (;;) {
    size_t n = co_await s.read_some(buffer);
    if (n == 0) break;
    std::string chunk(buffer, n);
    co_await s.write_all(chunk);
  }
}

tau::task<> echo_through(tau::tcp_listener listener, uint16_t port, std::string message) {
  auto server = tau::spawn([l = std::move(listener)]() mutable { return echo_server(std::move(l)); });
  tau::tcp_stream s = co_await connect_with_retry(port);
  co_await s.write_all(message);
  std::string back(message.size(), '\0');
  co_await s.read_exact(back);
  say("echo: %s", back.c_str());
  s.close();
  co_await server;
}

tau::task<> http_server(tau::tcp_listener listener, int count, std::string body) {
  for (int i = 0; i < count; ++i) {
    tau::tcp_stream s = co_await listener.accept();
    reader in{s, {}};
    std::string head = co_await in.until("\r\n\r\n");
    say("request: %s", head.substr(0, head.find("\r\n")).c_str());
    std::string response = "HTTP/1.1 200 OK\r\nServer: tau-compat-peer\r\nContent-Type: text/plain\r\n"
                           "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    co_await s.write_all(response);
    s.shutdown_write();
    std::string ignored = co_await in.rest();
  }
}

tau::task<> ws_echo_server(tau::tcp_listener listener, int count) {
  for (int i = 0; i < count; ++i) {
    tau::tcp_stream s = co_await listener.accept();
    reader in{s, {}};
    std::string head = co_await in.until("\r\n\r\n");
    say("upgrade: %s", head.substr(0, head.find("\r\n")).c_str());
    std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: " + accept_key(header_value(head, "sec-websocket-key")) + "\r\n\r\n";
    co_await s.write_all(response);
    for (;;) {
      ws_frame f = co_await read_frame(in);
      if (f.opcode == 8) {
        std::string close = frame(8, f.payload.substr(0, 2), false);
        co_await s.write_all(close);
        say("ws close received");
        break;
      }
      if (f.opcode == 9) {
        std::string pong = frame(10, f.payload, false);
        co_await s.write_all(pong);
        continue;
      }
      say("ws message: %s", f.payload.c_str());
      std::string echo = frame(f.opcode, f.payload, false);
      co_await s.write_all(echo);
    }
    s.shutdown_write();
    std::string ignored = co_await in.rest();
  }
}

// Answers COUNT requests (one per connection, or several on a kept-alive one) with
// {"method":M,"path":P,"body":B}, B the request's body as sent (a client posting
// JSON gets it back) or null; prints each request and its body.
tau::task<> http_echo_server(tau::tcp_listener listener, int count) {
  for (int served = 0; served < count;) {
    tau::tcp_stream s = co_await listener.accept();
    reader in{s, {}};
    while (served < count) {
      std::string head;
      try {
        head = co_await in.until("\r\n\r\n");
      } catch (const std::runtime_error&) {
        break;  // the client closed its kept-alive connection
      }
      std::string line = head.substr(0, head.find("\r\n"));
      std::string method = line.substr(0, line.find(' '));
      std::string path = line.substr(method.size() + 1, line.rfind(' ') - method.size() - 1);
      std::string length = header_value(head, "content-length");
      std::string body;
      if (!length.empty()) body = co_await in.exactly(std::stoul(length));
      say("request: %s", line.c_str());
      if (!body.empty()) say("request body: %s", body.c_str());
      std::string json = "{\"method\":\"" + method + "\",\"path\":\"" + path + "\",\"body\":" +
                         (body.empty() ? std::string("null") : body) + "}";
      std::string response = "HTTP/1.1 200 OK\r\nServer: tau-compat-peer\r\nContent-Type: application/json\r\n"
                             "Content-Length: " + std::to_string(json.size()) + "\r\n\r\n" + json;
      co_await s.write_all(response);
      ++served;
    }
  }
}

// ---- the modes -----------------------------------------------------------------

class arguments;

// A mode of the peer: a row of the table `modes`.
struct mode {
  std::string_view name;
  std::string_view usage;  // its arguments: "peer <name> <usage>"
  std::string_view what;   // what it does
  // Reads the arguments and does what must happen before process returns (a server
  // binds its listener); returns the rest of the work, not yet started.
  tau::task<> (*start)(const arguments&);
};

// A mode's arguments: the words after "peer <mode>". A missing or malformed one
// throws, naming the mode's usage.
class arguments {
 public:
  arguments(const mode& m, std::vector<std::string> words) : mode_(m), words_(std::move(words)) {}

  const std::string& word(size_t i) const {
    if (i >= words_.size()) usage("missing argument " + std::to_string(i + 1));
    return words_[i];
  }
  // The words from i on, joined by blanks; empty when there are none.
  std::string rest(size_t from) const {
    std::string out;
    for (size_t i = from; i < words_.size(); ++i) out += (out.empty() ? "" : " ") + words_[i];
    return out;
  }
  int number(size_t i) const {
    const std::string& text = word(i);
    try {
      return std::stoi(text);
    } catch (const std::logic_error&) {
      usage("'" + text + "' is not a number");
    }
  }
  uint16_t port(size_t i) const { return static_cast<uint16_t>(number(i)); }
  // A listener on 127.0.0.1 at the port of argument i, bound now (before the next
  // plugin's process runs).
  tau::tcp_listener bind(size_t i) const { return tau::tcp_listener::bind("127.0.0.1", port(i)); }
  // The same, and says so.
  tau::tcp_listener listen(size_t i) const {
    tau::tcp_listener listener = bind(i);
    say("listening on %s", word(i).c_str());
    return listener;
  }

 private:
  [[noreturn]] void usage(const std::string& problem) const {
    std::string name(mode_.name);
    throw std::invalid_argument("peer " + name + ": " + problem + " (usage: peer " + name + " " +
                                std::string(mode_.usage) + ")");
  }

  const mode& mode_;
  std::vector<std::string> words_;
};

const mode modes[] = {
    {"tcp-echo-client", "PORT WORDS...", "send WORDS, expect them echoed",
     [](const arguments& a) { return tcp_echo_client(a.port(0), a.rest(1)); }},
    {"udp-echo-client", "PORT WORDS...", "one datagram, expect it echoed",
     [](const arguments& a) { return udp_echo_client(a.port(0), a.rest(1)); }},
    {"http-get", "PORT PATH", "GET PATH, print status and body",
     [](const arguments& a) { return http_request(a.port(0), "GET", a.word(1), ""); }},
    {"http-post", "PORT PATH BODY...", "POST BODY (text/plain) to PATH, print status and body",
     [](const arguments& a) { return http_request(a.port(0), "POST", a.word(1), a.rest(2)); }},
    {"http-get-post", "PORT GET_PATH POST_PATH BODY...", "GET, then POST on a new connection",
     [](const arguments& a) { return http_get_post(a.port(0), a.word(1), a.word(2), a.rest(3)); }},
    {"ws-echo-client", "PORT PATH WORDS...", "WebSocket handshake, one text message",
     [](const arguments& a) { return ws_echo_client(a.port(0), a.word(1), a.rest(2)); }},
    {"chat-client", "PORT WORDS...", "Asio chat protocol (4-digit length header)",
     [](const arguments& a) { return chat_client(a.port(0), a.rest(1)); }},
    {"line-client", "PORT WORDS...", "send \"WORDS\\n\", print the first line back",
     [](const arguments& a) { return line_client(a.port(0), a.rest(1)); }},
    {"read-client", "PORT COUNT", "COUNT times: connect, print all it reads",
     [](const arguments& a) { return read_client(a.port(0), a.number(1)); }},
    {"echo-through", "PORT ECHO_PORT WORDS...",
     "echo server on ECHO_PORT, and a client sending WORDS to PORT (a proxy to it)",
     [](const arguments& a) { return echo_through(a.bind(1), a.port(0), a.rest(2)); }},
    {"http-server", "PORT COUNT WORDS...", "answer COUNT requests with WORDS",
     [](const arguments& a) { return http_server(a.listen(0), a.number(1), a.rest(2)); }},
    {"ws-echo-server", "PORT COUNT", "accept COUNT WebSocket sessions, echo them",
     [](const arguments& a) { return ws_echo_server(a.listen(0), a.number(1)); }},
    {"http-echo-server", "PORT COUNT",
     "answer COUNT requests with JSON naming the method and path, the request's (JSON) body under \"body\" "
     "(null when empty)",
     [](const arguments& a) { return http_echo_server(a.listen(0), a.number(1)); }},
};

const mode& find_mode(const std::string& name) {
  std::string known;
  for (const mode& m : modes) {
    if (m.name == name) return m;
    known += (known.empty() ? "" : ", ") + std::string(m.name);
  }
  throw std::invalid_argument("peer: unknown mode '" + name + "' (modes: " + known + ")");
}

tau::task<> then_done(tau::task<> work) {
  co_await std::move(work);
  say("done");
}

tau_task_id process(const uint8_t* data, size_t len) {
  std::vector<std::string> words =
      tau_compat::arguments_for("peer", std::string_view(reinterpret_cast<const char*>(data), len));
  const mode& m = find_mode(words.size() > 1 ? words[1] : "");
  arguments a(m, {words.begin() + 2, words.end()});
  return tau::spawn(then_done(m.start(a))).task_id();
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {}
