// soak_protocol.hpp: what the two soak plugins (soak_tau.cpp, soak_asio.cpp) share:
// their input, the message pattern the clients send and verify, and the lines they
// print for bench/soak. Plain C++: no tau, no Asio.
//
// Input (--input): words key=value
//   role=both|server|client  both: server and clients in one process (default);
//                            server: listen on 127.0.0.1:port (0 picks one) and echo;
//                            client: connect to port
//   connections=N            client connections (server: connections to accept), 10000
//   port=P                   0
//   seconds=S                echo for S seconds after the last connection is up, 600
//   min_size=B max_size=B    message sizes, uniform in [min, max], 32..2048
//   report_ms=M              a progress line every M ms, 1000
//   connect_parallel=K       connects in flight at once, 64
//   fault=corrupt|drop|leak  (tests of bench/soak) the server flips a byte of the first
//                            echo, or closes the first connection after its first echo,
//                            or keeps 1 MiB per report period; none by default
//
// Message: a 24-byte header (magic, length, connection, checksum of the payload,
// sequence number; little-endian) and a payload drawn from (connection, sequence).
// Every message of a connection differs from the one before it, so an echo that is
// stale, duplicated or from another connection fails verification as surely as a
// flipped byte.
//
// Lines on stdout (one per event, flushed):
//   soak: listening port=P
//   soak: connected connections=N seconds=S          (all client connections are up)
//   soak: progress t=... <counters>                   (every report_ms)
//   soak: summary reason=duration|signal|clients-closed t=... <counters>   (at the end)
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace soak {

enum class role { both, server, client };
enum class fault { none, corrupt, drop, leak };

struct settings {
  soak::role role = role::both;
  int connections = 10000;
  uint16_t port = 0;
  double seconds = 600;
  size_t min_size = 32;
  size_t max_size = 2048;
  int report_ms = 1000;
  int connect_parallel = 64;
  soak::fault fault = fault::none;
};

constexpr size_t header_size = 24;
constexpr uint32_t magic = 0x4b414f53;  // "SOAK"

// Parses a whole number in [low, high] for key, or throws naming the plugin.
inline long long parse_integer(std::string_view plugin, const std::string& key, const std::string& text,
                               long long low, long long high) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high)
    throw std::invalid_argument(std::string(plugin) + ": '" + key + "' wants a whole number in [" +
                                std::to_string(low) + ", " + std::to_string(high) + "], got '" + text + "'");
  return value;
}

inline settings parse_settings(std::string_view plugin, std::string_view input) {
  settings s;
  std::istringstream words{std::string(input)};
  std::string word;
  while (words >> word) {
    auto eq = word.find('=');
    if (eq == std::string::npos)
      throw std::invalid_argument(std::string(plugin) + ": input word '" + word + "' is not key=value");
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "role") {
      if (value == "both")
        s.role = role::both;
      else if (value == "server")
        s.role = role::server;
      else if (value == "client")
        s.role = role::client;
      else
        throw std::invalid_argument(std::string(plugin) + ": 'role' is both, server or client, got '" +
                                    value + "'");
    } else if (key == "connections") {
      s.connections = static_cast<int>(parse_integer(plugin, key, value, 1, 1000000));
    } else if (key == "port") {
      s.port = static_cast<uint16_t>(parse_integer(plugin, key, value, 0, 65535));
    } else if (key == "seconds") {
      char* end = nullptr;
      s.seconds = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(s.seconds >= 0))
        throw std::invalid_argument(std::string(plugin) + ": 'seconds' wants a number >= 0, got '" + value +
                                    "'");
    } else if (key == "min_size") {
      s.min_size = static_cast<size_t>(parse_integer(plugin, key, value, header_size, 1 << 20));
    } else if (key == "max_size") {
      s.max_size = static_cast<size_t>(parse_integer(plugin, key, value, header_size, 1 << 20));
    } else if (key == "report_ms") {
      s.report_ms = static_cast<int>(parse_integer(plugin, key, value, 1, 3600000));
    } else if (key == "connect_parallel") {
      s.connect_parallel = static_cast<int>(parse_integer(plugin, key, value, 1, 100000));
    } else if (key == "fault") {
      if (value == "none")
        s.fault = fault::none;
      else if (value == "corrupt")
        s.fault = fault::corrupt;
      else if (value == "drop")
        s.fault = fault::drop;
      else if (value == "leak")
        s.fault = fault::leak;
      else
        throw std::invalid_argument(std::string(plugin) + ": 'fault' is none, corrupt, drop or leak, got '" +
                                    value + "'");
    } else {
      throw std::invalid_argument(
          std::string(plugin) + ": unknown input key '" + key +
          "' (known: role, connections, port, seconds, min_size, max_size, report_ms, "
          "connect_parallel, fault)");
    }
  }
  if (s.min_size > s.max_size)
    throw std::invalid_argument(std::string(plugin) + ": min_size " + std::to_string(s.min_size) +
                                " is above max_size " + std::to_string(s.max_size));
  if (s.role == role::client && s.port == 0)
    throw std::invalid_argument(std::string(plugin) + ": role=client needs port=P (the server's port)");
  return s;
}

inline uint64_t mix(uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline uint64_t seed_of(uint32_t connection, uint64_t sequence) {
  return mix((uint64_t{connection} << 40) ^ sequence);
}

inline size_t message_size(const settings& s, uint32_t connection, uint64_t sequence) {
  return s.min_size + mix(seed_of(connection, sequence)) % (s.max_size - s.min_size + 1);
}

// The payload byte at offset i (from the header's end) of a message.
inline char payload_byte(uint64_t seed, size_t i) {
  return static_cast<char>(mix(seed + i / 8) >> (8 * (i % 8)));
}

inline uint32_t checksum(std::span<const char> payload) {  // FNV-1a
  uint32_t h = 2166136261u;
  for (char c : payload) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return h;
}

inline void put32(char* at, uint32_t v) {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<char>(v >> (8 * i));
}
inline uint32_t get32(const char* at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(at[i])} << (8 * i);
  return v;
}

// Writes message (connection, sequence) into out, whose size is its message_size.
inline void fill_message(std::span<char> out, uint32_t connection, uint64_t sequence) {
  uint64_t seed = seed_of(connection, sequence);
  std::span<char> payload = out.subspan(header_size);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = payload_byte(seed, i);
  put32(out.data(), magic);
  put32(out.data() + 4, static_cast<uint32_t>(out.size()));
  put32(out.data() + 8, connection);
  put32(out.data() + 12, checksum(payload));
  put32(out.data() + 16, static_cast<uint32_t>(sequence));
  put32(out.data() + 20, static_cast<uint32_t>(sequence >> 32));
}

// The bytes of echo that differ from message (connection, sequence), regenerated
// rather than kept, so that a client holds one buffer. 0: the echo is intact, its
// header names this connection and sequence and its checksum matches its payload.
inline size_t corrupt_bytes(std::span<const char> echo, uint32_t connection, uint64_t sequence) {
  char header[header_size];
  uint64_t seed = seed_of(connection, sequence);
  size_t wrong = 0;
  uint32_t sum = 2166136261u;
  for (size_t i = header_size; i < echo.size(); ++i) {
    char expected = payload_byte(seed, i - header_size);
    sum = (sum ^ static_cast<uint8_t>(expected)) * 16777619u;
    wrong += echo[i] != expected;
  }
  put32(header, magic);
  put32(header + 4, static_cast<uint32_t>(echo.size()));
  put32(header + 8, connection);
  put32(header + 12, sum);
  put32(header + 16, static_cast<uint32_t>(sequence));
  put32(header + 20, static_cast<uint32_t>(sequence >> 32));
  for (size_t i = 0; i < header_size && i < echo.size(); ++i) wrong += echo[i] != header[i];
  if (wrong == 0 && checksum(echo.subspan(header_size)) != get32(echo.data() + 12)) wrong = 1;
  return wrong;
}

// What one process has seen so far: its clients' side, then its server's.
struct counters {
  int open = 0;                  // client connections open now
  uint64_t round_trips = 0;      // echoes received and verified intact
  uint64_t bytes = 0;            // bytes of intact echoes (each counted once)
  uint64_t verify_failures = 0;  // echoes that differed from what was sent
  uint64_t corrupt_bytes = 0;    // their differing bytes
  uint64_t lost_bytes = 0;       // sent but never echoed (the connection ended first)
  uint64_t dropped = 0;          // client connections that ended before the run did
  uint64_t errors = 0;           // socket errors on client connections
  int serving = 0;               // server connections open now
  uint64_t echoed = 0;           // bytes the server echoed
  uint64_t server_errors = 0;    // server connections that ended with an error, not the client's close
};

// Counts the echo of message (connection, sequence) that came back whole.
inline void record_echo(counters& c, std::span<const char> echo, uint32_t connection, uint64_t sequence) {
  if (size_t wrong = corrupt_bytes(echo, connection, sequence)) {
    ++c.verify_failures;
    c.corrupt_bytes += wrong;
  } else {
    ++c.round_trips;
    c.bytes += echo.size();
  }
}

// Counts a client connection that ended while echoed of its sent bytes had come back.
inline void record_drop(counters& c, size_t sent, size_t echoed, bool error) {
  --c.open;
  ++c.dropped;
  c.lost_bytes += sent - echoed;
  if (error) ++c.errors;
}

// fault=leak: memory kept for good, touched so that it counts in RSS.
inline void leak_one_mebibyte() {
  static std::vector<std::unique_ptr<char[]>> kept;
  kept.push_back(std::make_unique<char[]>(1 << 20));
  std::memset(kept.back().get(), 0x5a, 1 << 20);
}

class clock {
 public:
  void start() { start_ = std::chrono::steady_clock::now(); }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

inline const char* role_name(role r) {
  return r == role::both ? "both" : r == role::server ? "server" : "client";
}

inline void print_counters(const char* what, const char* reason, double t, role r, const counters& c) {
  auto n = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf(
      "soak: %s%s%s t=%.3f role=%s open=%d round_trips=%llu bytes=%llu verify_failures=%llu "
      "corrupt_bytes=%llu lost_bytes=%llu dropped=%llu errors=%llu serving=%d echoed=%llu "
      "server_errors=%llu\n",
      what, reason ? " reason=" : "", reason ? reason : "", t, role_name(r), c.open, n(c.round_trips),
      n(c.bytes), n(c.verify_failures), n(c.corrupt_bytes), n(c.lost_bytes), n(c.dropped), n(c.errors),
      c.serving, n(c.echoed), n(c.server_errors));
  std::fflush(stdout);
}

inline void print_listening(uint16_t port) {
  std::printf("soak: listening port=%u\n", port);
  std::fflush(stdout);
}

inline void print_connected(int connections, double seconds) {
  std::printf("soak: connected connections=%d seconds=%g\n", connections, seconds);
  std::fflush(stdout);
}

}  // namespace soak
