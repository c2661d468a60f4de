// Tests of buffered.hpp over loopback TCP: lines and records across partial packets
// and at end of stream, the line limit, reads through the buffer, reads and flushes
// aborted mid-way, and when the writer's bytes reach the wire.
#include "tau/buffered.hpp"

#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "connected_pair.hpp"
#include "runtime_fixture.hpp"
#include "tau/time.hpp"

using namespace std::chrono_literals;

namespace {

using buffered_test = runtime_test;


// Waits until the reader has taken in exactly `expected` and is waiting for more.
tau::task<> until_buffered(const tau::buffered_reader& reader, std::string expected) {
  while (reader.buffered() != expected) co_await tau::sleep(1ms);
}

std::string pattern(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + i / 4096) & 0xff);
  return data;
}

}  // namespace

TEST_F(buffered_test, read_line_joins_a_line_that_arrives_in_pieces) {
  std::vector<std::optional<std::string>> lines;
  tau::block_on([&]() -> tau::task<> {
    auto pair = co_await connect_pair();
    auto& client = pair.client;
    auto& server = pair.server;
    tau::buffered_reader reader(client);
    auto peer = tau::spawn([&]() -> tau::task<> {
      co_await server.write_all("hel");
      co_await until_buffered(reader, "hel");  // read_line holds half a line and waits
      co_await server.write_all("lo\nwor");
      co_await until_buffered(reader, "wor");
      co_await server.write_all("ld\r");
      co_await until_buffered(reader, "world\r");
      co_await server.write_all("\nlast");
      server.shutdown_write();
    });
    for (int i = 0; i < 5; ++i) lines.push_back(co_await reader.read_line());
    co_await peer;
  });
  EXPECT_EQ(lines,
            (std::vector<std::optional<std::string>>{"hello", "world", "last", std::nullopt, std::nullopt}));
}

TEST_F(buffered_test, read_line_strips_crlf_keeps_a_lone_cr_and_returns_empty_lines) {
  std::vector<std::optional<std::string>> lines;
  tau::block_on([&]() -> tau::task<> {
    auto pair = co_await connect_pair();
    auto& client = pair.client;
    auto& server = pair.server;
    co_await server.write_all("a\r\n\n\r\nb\rc\n\rd\r");
    server.shutdown_write();
    tau::buffered_reader reader(client, 64, 3);  // a small capacity: lines span reads
    while (auto line = co_await reader.read_line()) lines.push_back(line);
    lines.push_back(co_await reader.read_line());
  });
  EXPECT_EQ(lines, (std::vector<std::optional<std::string>>{"a", "", "", "b\rc", "\rd", std::nullopt}));
}

TEST_F(buffered_test, read_line_on_a_stream_that_ends_at_once_is_empty) {
  std::optional<std::string> line = "not read";
  tau::block_on([&]() -> tau::task<> {
    auto pair = co_await connect_pair();
    auto& client = pair.client;
    auto& server = pair.server;
    server.shutdown_write();
    tau::buffered_reader reader(client);
    line = co_await reader.read_line();
  });
  EXPECT_EQ(line, std::nullopt);
}

TEST_F(buffered_test, a_line_longer_than_the_limit_throws_and_stays_unread) {
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto pair = co_await connect_pair();
    auto& client = pair.client;
    auto& server = pair.server;
    co_await server.write_all("12345678\n123456789abc\nok\n");
    server.shutdown_write();
    tau::buffered_reader reader(client, 8, 4);
    trace.push_back(*co_await reader.read_line());  // exactly the limit is fine
    try {
      co_await reader.read_line();
      trace.push_back("no error");
    } catch (const tau::line_too_long& e) {
      trace.push_back("too long: " + std::to_string(e.limit()));
    }
    std::string rest(13, '\0');
    co_await reader.read_exact(rest);  // the long line is still there, from its start
    trace.push_back(rest);
    trace.push_back(*co_await reader.read_line());
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"12345678", "too long: 8", "123456789abc\n", "ok"}));
}

TEST_F(buffered_test, an_endless_line_throws_instead_of_growing_the_buffer) {
  size_t held = 0;
  bool too_long = false;
  tau::block_on([&]() -> tau::task<> {
    auto pair = co_await connect_pair();
    auto& client = pair.client;
    auto& server = pair.server;
    tau::buffered_reader reader(client, 1000, 64);
    auto peer = tau::spawn([&]() -> tau::task<> {
      std::string chunk(100, 'x');
      for (int i = 0; i < 1000; ++i) co_await server.write_all(chunk);  // 100 kB, no newline
      server.shutdown_write();
    });
    try {
      co_await reader.read_line();
    } catch (const tau::line_too_long&) {
      too_long = true;
    }
    held = reader.buffered().size();
    peer.abort();
    try {
      co_await peer;
    } catch (const tau::task_aborted&) {
    }
  });
  EXPECT_TRUE(too_long);
  EXPECT_LE(held, 2048u);  // the limit and one buffer's growth, not what the peer sent
}

TEST_F(buffered_test, the_limit_applies_at_end_of_stream_too) {
  bool too_long = false;
  tau::block_on([&]() -> tau::task<> {
    auto pair = co_await connect_pair();
    auto& client = pair.client;
    auto& server = pair.server;
    co_await server.write_all("0123456789");
    server.shutdown_write();
    tau::buffered_reader reader(client, 9);
    try {
      co_await reader.read_line();
    } catch (const tau::line_too_long&) {
      too_long = true;
    }
  });
  EXPECT_TRUE(too_long);
}

TEST_F(buffered_test, read_until_finds_a_delimiter_split_across_reads) {
  std::vector<std::optional<std::string>> records;
  std::string body;
  tau::block_on([&]() -> tau::task<> {
    auto pair = co_await connect_pair();
    auto& client = pair.client;
    auto& server = pair.server;
    tau::buffered_reader reader(client, 64, 4);
    auto peer = tau::spawn([&]() -> tau::task<> {
      co_await server.write_all("GET / HTTP/1.1\r\nHost: x\r\n\r");
      co_await until_buffered(reader, "GET / HTTP/1.1\r\nHost: x\r\n\r");  // three of four delimiter bytes
      co_await server.write_all("\nbody;a;;b");
      server.shutdown_write();
    });
    records.push_back(co_await reader.read_until("\r\n\r\n"));
    std::string part(4, '\0');
    co_await reader.read_exact(part);
    body = part;
    for (int i = 0; i < 5; ++i) records.push_back(co_await reader.read_until(";"));
    co_await peer;
  });
  EXPECT_EQ(records, (std::vector<std::optional<std::string>>{"GET / HTTP/1.1\r\nHost: x", "", "a", "", "b",
                                                              std::nullopt}));
  EXPECT_EQ(body, "body");
}

TEST_F(buffered_test, read_some_and_read_exact_pass_through_the_buffer) {
  std::vector<std::string> trace;
  std::string big;
  tau::block_on([&]() -> tau::task<> {
    auto pair = co_await connect_pair();
    auto& client = pair.client;
    auto& server = pair.server;
    co_await server.write_all("head\n0123456789");
    tau::buffered_reader reader(client, 64, 16);
    trace.push_back(*co_await reader.read_line());
    trace.push_back(std::string(reader.buffered()));  // what came with the line waits in the buffer
    char small[4];
    size_t n = co_await reader.read_some(small);
    trace.push_back(std::string(small, n));
    std::string exact(6, '\0');
    co_await reader.read_exact(exact);
    trace.push_back(exact);
    auto peer = tau::spawn([&]() -> tau::task<> {
      co_await server.write_all(pattern(100000));
      server.shutdown_write();
    });
    big.resize(100000);
    co_await reader.read_exact(big);  // with an empty buffer and a big destination: read directly
    co_await peer;
    char after[16];
    trace.push_back(std::to_string(co_await reader.read_some(after)));
    try {
      co_await reader.read_exact(std::span<char>(after, 1));
      trace.push_back("no error");
    } catch (const tau::error& e) {
      trace.push_back(
          e.code() == std::error_code(tau::tau_error_category::eof, tau::tau_category()) ? "eof" : e.what());
    }
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"head", "0123456789", "0123", "456789", "0", "eof"}));
  EXPECT_EQ(big, pattern(100000));
}

TEST_F(buffered_test, a_read_line_aborted_while_waiting_loses_no_bytes) {
  std::optional<std::string> line;
  tau::block_on([&]() -> tau::task<> {
    auto pair = co_await connect_pair();
    auto& client = pair.client;
    auto& server = pair.server;
    tau::buffered_reader reader(client);
    auto first = tau::spawn([&]() -> tau::task<> { co_await reader.read_line(); });
    co_await server.write_all("par");
    co_await until_buffered(reader, "par");
    first.abort();
    EXPECT_THROW(co_await first, tau::task_aborted);
    co_await server.write_all("tial\n");
    line = co_await reader.read_line();
  });
  EXPECT_EQ(line, "partial");
}

TEST_F(buffered_test, written_bytes_wait_in_the_buffer_until_flush) {
  std::string received;
  size_t buffered_before_flush = 0;
  tau::block_on([&]() -> tau::task<> {
    auto pair = co_await connect_pair();
    auto& client = pair.client;
    auto& server = pair.server;
    tau::buffered_writer writer(client);
    co_await writer.write("buffered ");
    co_await writer.write("twice, ");
    buffered_before_flush = writer.buffered_size();
    co_await client.write_all("direct, ");  // overtakes what the writer holds
    co_await writer.flush();
    co_await writer.flush();  // nothing left: sends nothing again
    client.shutdown_write();
    received = co_await server.read_to_end();
  });
  EXPECT_EQ(buffered_before_flush, 16u);
  EXPECT_EQ(received, "direct, buffered twice, ");
}

TEST_F(buffered_test, the_buffer_is_sent_when_a_write_would_overflow_it) {
  std::string received;
  std::vector<size_t> sizes;
  tau::block_on([&]() -> tau::task<> {
    auto pair = co_await connect_pair();
    auto& client = pair.client;
    auto& server = pair.server;
    tau::buffered_writer writer(client, 4);
    co_await writer.write("ab");
    co_await writer.write("cd");  // exactly full: still held
    sizes.push_back(writer.buffered_size());
    co_await client.write_all("X");
    co_await writer.write("e");  // does not fit: "abcd" goes first
    sizes.push_back(writer.buffered_size());
    co_await client.write_all("Y");
    co_await writer.write("0123456789");  // the capacity or more: after "e", straight through
    sizes.push_back(writer.buffered_size());
    co_await client.write_all("Z");
    co_await writer.write("f");
    co_await writer.flush();
    client.shutdown_write();
    received = co_await server.read_to_end();
  });
  EXPECT_EQ(sizes, (std::vector<size_t>{4, 1, 0}));
  EXPECT_EQ(received, "XabcdYe0123456789Zf");
}

TEST_F(buffered_test, what_is_never_flushed_is_never_sent) {
  std::string received;
  tau::block_on([&]() -> tau::task<> {
    auto pair = co_await connect_pair();
    auto& client = pair.client;
    auto& server = pair.server;
    {
      tau::buffered_writer writer(client);
      co_await writer.write("sent ");
      co_await writer.flush();
      co_await writer.write("dropped");
    }
    client.shutdown_write();
    received = co_await server.read_to_end();
  });
  EXPECT_EQ(received, "sent ");
}

TEST_F(buffered_test, a_flush_aborted_mid_way_neither_loses_nor_repeats_bytes) {
  const std::string payload = pattern(16 << 20);
  std::string received;
  size_t left_after_abort = 0;
  tau::block_on([&]() -> tau::task<> {
    auto pair = co_await connect_pair();
    auto& client = pair.client;
    auto& server = pair.server;
    int small = 64 << 10;
    ::setsockopt(client.native_handle(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    ::setsockopt(server.native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    tau::buffered_writer writer(client, payload.size() + 1);
    co_await writer.write(payload);
    auto flushing = tau::spawn([&]() -> tau::task<> { co_await writer.flush(); });
    for (int i = 0; i < 5000 && writer.buffered_size() == payload.size(); ++i)
      co_await tau::sleep(1ms);  // until some went out (the rest cannot: nobody reads)
    flushing.abort();
    EXPECT_THROW(co_await flushing, tau::task_aborted);
    left_after_abort = writer.buffered_size();
    auto reader = tau::spawn([&]() -> tau::task<std::string> { co_return co_await server.read_to_end(); });
    co_await writer.flush();
    client.shutdown_write();
    received = co_await reader;
  });
  EXPECT_GT(left_after_abort, 0u);  // the abort did cut the flush short
  EXPECT_LT(left_after_abort, payload.size());
  EXPECT_EQ(received.size(), payload.size());
  EXPECT_TRUE(received == payload);
}
