// Tests of net.hpp: TCP and UDP on loopback, name resolution, and what an aborted
// or idle socket leaves on the loop.
#include "tau/net.hpp"

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "connected_pair.hpp"
#include "runtime_fixture.hpp"
#include "tau/task.hpp"
#include "tau/time.hpp"

using namespace std::chrono_literals;

namespace {

class net_test : public runtime_test {
 protected:
  // Every resumption of a task must happen on the loop thread, the test's own.
  void expect_on_loop_thread() {
    EXPECT_TRUE(tau_on_loop_thread());
    EXPECT_EQ(std::this_thread::get_id(), test_thread_);
  }

  std::thread::id test_thread_ = std::this_thread::get_id();
};

// Runs the loop until nothing keeps it alive; false when it was still running
// after limit (something it should have let go of still holds it).
bool run_until_idle(std::chrono::milliseconds limit) {
  struct watchdog {
    uv_timer_t timer{};
    bool fired = false;
  } w;
  uv_timer_init(tau::detail::loop(), &w.timer);
  w.timer.data = &w;
  uv_timer_start(
      &w.timer,
      [](uv_timer_t* t) {
        static_cast<watchdog*>(t->data)->fired = true;
        uv_stop(t->loop);
      },
      static_cast<uint64_t>(limit.count()), 0);
  uv_unref(reinterpret_cast<uv_handle_t*>(&w.timer));  // the watchdog itself keeps nothing alive
  tau::detail::runtime_run();
  w.timer.data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&w.timer), nullptr);
  uv_run(tau::detail::loop(), UV_RUN_NOWAIT);
  return !w.fired;
}

bool fd_is_open(int fd) { return fd >= 0 && ::fcntl(fd, F_GETFD) != -1; }


std::string pattern(size_t size, unsigned seed) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + seed * 7 + i / 4096) & 0xff);
  return data;
}

}  // namespace

TEST_F(net_test, socket_address_parses_and_prints_numeric_addresses) {
  auto v4 = tau::socket_address::parse("127.0.0.1", 8080);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->port(), 8080);
  EXPECT_EQ(v4->to_string(), "127.0.0.1:8080");
  auto v6 = tau::socket_address::parse("[::1]", 53);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->to_string(), "[::1]:53");
  EXPECT_FALSE(tau::socket_address::parse("localhost", 80));
  EXPECT_FALSE(tau::socket_address::parse("1.2.3", 80));
}

TEST_F(net_test, echo_between_two_tasks) {
  auto listener = tau::tcp_listener::bind("127.0.0.1", 0);
  uint16_t port = listener.local_port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(listener.local_address().ip(), "127.0.0.1");

  std::string client_saw;
  size_t echoed = tau::block_on([&]() -> tau::task<size_t> {
    auto server = tau::spawn([&]() -> tau::task<size_t> {
      tau::tcp_stream stream = co_await listener.accept();
      expect_on_loop_thread();
      EXPECT_EQ(stream.local_address().port(), port);
      size_t total = 0;
      char buffer[256];
      while (size_t n = co_await stream.read_some(buffer)) {
        expect_on_loop_thread();
        co_await stream.write_all({buffer, n});
        total += n;
      }
      co_return total;
    });

    tau::tcp_stream client = co_await tau::tcp_stream::connect("127.0.0.1", port);
    expect_on_loop_thread();
    EXPECT_EQ(client.peer_address().to_string(), "127.0.0.1:" + std::to_string(port));
    for (std::string message : {"hello", "tau", "networking"}) {
      co_await client.write_all(message);
      std::string reply(message.size(), '\0');
      co_await client.read_exact(reply);
      expect_on_loop_thread();
      client_saw += reply + "/";
    }
    client.shutdown_write();
    EXPECT_EQ(co_await client.read_to_end(), "");  // the server closed after our EOF
    co_return co_await server;
  });
  EXPECT_EQ(client_saw, "hello/tau/networking/");
  EXPECT_EQ(echoed, 18u);
  EXPECT_EQ(tau_task_running_count(), 0u);
}

TEST_F(net_test, four_mebibytes_full_duplex) {
  constexpr size_t size = 4 << 20;
  const std::string to_server = pattern(size, 1);
  const std::string to_client = pattern(size, 2);
  std::string server_got(size, '\0');
  std::string client_got(size, '\0');

  tau::block_on([&]() -> tau::task<> {
    auto [client, server] = co_await connect_pair();
    // Each side writes its whole payload while reading the other's: neither
    // write could finish if the other side were not reading at the same time.
    auto side = [](tau::tcp_stream& stream, const std::string& out, std::string& in) -> tau::task<> {
      auto writer = tau::spawn([&]() -> tau::task<> {
        co_await stream.write_all(out);
        stream.shutdown_write();
      });
      co_await stream.read_exact(in);
      EXPECT_EQ(co_await stream.read_to_end(), "");
      co_await writer;
    };
    auto server_side = tau::spawn([&] { return side(server, to_client, server_got); });
    co_await side(client, to_server, client_got);
    co_await server_side;
  });
  EXPECT_TRUE(server_got == to_server);
  EXPECT_TRUE(client_got == to_client);
}

TEST_F(net_test, read_returns_zero_at_end_of_stream_and_read_exact_throws) {
  tau::block_on([&]() -> tau::task<> {
    auto [client, server] = co_await connect_pair();
    co_await server.write_all("bye");
    server.close();
    EXPECT_FALSE(server.is_open());
    char buffer[16];
    EXPECT_EQ(co_await client.read_some(buffer), 3u);
    EXPECT_EQ(co_await client.read_some(buffer), 0u);
    EXPECT_EQ(co_await client.read_some(buffer), 0u);  // and stays at the end

    auto [client2, server2] = co_await connect_pair();
    co_await server2.write_all("short");
    server2.shutdown_write();
    std::string want(10, '\0');
    try {
      co_await client2.read_exact(want);
      ADD_FAILURE() << "read_exact returned";
    } catch (const tau::error& e) {
      EXPECT_EQ(e.code(), std::error_code(tau::tau_error_category::eof, tau::tau_category()));
      EXPECT_NE(std::string(e.what()).find("unexpected end of stream"), std::string::npos) << e.what();
    }
  });
}

// write_some sends part of a big buffer when the socket cannot take it all, and waits
// only when it can take nothing.
TEST_F(net_test, write_some_writes_what_fits_and_waits_only_for_room) {
  const std::string data = pattern(16 << 20, 3);
  std::vector<size_t> sizes;
  std::string received;
  tau::block_on([&]() -> tau::task<> {
    auto [client, server] = co_await connect_pair();
    EXPECT_EQ(co_await client.write_some(""), 0u);
    auto reader = tau::spawn([&]() -> tau::task<std::string> { co_return co_await server.read_to_end(); });
    size_t sent = 0;
    while (sent < data.size()) {
      size_t n = co_await client.write_some(std::string_view(data).substr(sent));
      sizes.push_back(n);
      sent += n;
    }
    client.shutdown_write();
    received = co_await reader;
  });
  EXPECT_GT(sizes.size(), 1u);  // 16 MiB is more than loopback takes at once
  EXPECT_EQ(std::count(sizes.begin(), sizes.end(), 0u), 0);
  EXPECT_TRUE(received == data);
}

// A reset arrives as an error on the watch (which the loop then stops); the
// waiting reader must still wake and see ECONNRESET.
TEST_F(net_test, reset_by_peer_wakes_the_reader_with_econnreset) {
  tau::block_on([&]() -> tau::task<> {
    auto [client, server] = co_await connect_pair();
    auto reader = tau::spawn([&]() -> tau::task<std::error_code> {
      char buffer[16];
      try {
        co_await client.read_some(buffer);
      } catch (const tau::error& e) {
        co_return e.code();
      }
      co_return std::error_code();
    });
    co_await tau::sleep(2ms);
    linger abort_on_close{1, 0};
    EXPECT_EQ(
        ::setsockopt(server.native_handle(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close),
        0);
    server.close();
    EXPECT_EQ(co_await reader, std::errc::connection_reset);
  });
  EXPECT_TRUE(run_until_idle(2s));
}

TEST_F(net_test, connect_refused_throws_tau_error_naming_the_address) {
  uint16_t port = tau::tcp_listener::bind("127.0.0.1", 0).local_port();  // closed at once: nobody listens
  try {
    tau::block_on([&]() -> tau::task<> { co_await tau::tcp_stream::connect("127.0.0.1", port); });
    FAIL() << "connect succeeded";
  } catch (const tau::error& e) {
    EXPECT_EQ(e.code(), std::errc::connection_refused) << e.what();
    EXPECT_NE(std::string(e.what()).find("127.0.0.1 port " + std::to_string(port)), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(run_until_idle(2s));
}

TEST_F(net_test, connect_resolves_localhost) {
  auto listener = tau::tcp_listener::bind("127.0.0.1", 0);
  std::string got = tau::block_on([&]() -> tau::task<std::string> {
    auto addresses = co_await tau::resolve("localhost", std::to_string(listener.local_port()));
    expect_on_loop_thread();
    bool has_loopback = false;
    for (const auto& a : addresses)
      has_loopback |= a.ip() == "127.0.0.1" && a.port() == listener.local_port();
    EXPECT_TRUE(has_loopback);

    auto client = co_await tau::tcp_stream::connect("localhost", listener.local_port());
    expect_on_loop_thread();
    auto server = co_await listener.accept();
    co_await client.write_all("by name");
    client.shutdown_write();
    co_return co_await server.read_to_end();
  });
  EXPECT_EQ(got, "by name");
}

TEST_F(net_test, unknown_host_throws_a_resolver_error) {
  try {
    tau::block_on([]() -> tau::task<> { co_await tau::resolve("no-such-host.invalid", "80"); });
    FAIL() << "resolved";
  } catch (const tau::error& e) {
    EXPECT_EQ(&e.code().category(), &tau::tau_category());
    EXPECT_GE(-e.tau_code(), TAU_ERRNO_LIMIT);  // a UV_EAI_* code
    EXPECT_NE(std::string(e.what()).find("resolve 'no-such-host.invalid:80'"), std::string::npos) << e.what();
  }
}

TEST_F(net_test, numeric_host_resolves_without_a_lookup) {
  auto addresses = tau::block_on([]() -> tau::task<std::vector<tau::socket_address>> {
    co_return co_await tau::resolve("127.0.0.1", "9");
  });
  ASSERT_EQ(addresses.size(), 1u);
  EXPECT_EQ(addresses[0].to_string(), "127.0.0.1:9");
}

TEST_F(net_test, udp_round_trip) {
  auto a = tau::udp_socket::bind("127.0.0.1", 0);
  auto b = tau::udp_socket::bind("127.0.0.1", 0);
  tau::block_on([&]() -> tau::task<> {
    auto responder = tau::spawn([&]() -> tau::task<> {
      char buffer[64];
      auto got = co_await b.recv_from(buffer);
      expect_on_loop_thread();
      EXPECT_EQ(std::string(buffer, got.size), "ping");
      EXPECT_EQ(got.from, a.local_address());
      co_await b.send_to("pong", got.from);
    });
    EXPECT_EQ(co_await a.send_to("ping", b.local_address()), 4u);
    char buffer[64];
    auto reply = co_await a.recv_from(buffer);
    expect_on_loop_thread();
    EXPECT_EQ(std::string(buffer, reply.size), "pong");
    EXPECT_EQ(reply.from.port(), b.local_port());
    co_await responder;
  });
}

TEST_F(net_test, aborting_a_task_blocked_in_accept_closes_its_listener) {
  int fd = -1;
  bool accepted = false;
  tau::block_on([&]() -> tau::task<> {
    auto h = tau::spawn([&]() -> tau::task<> {
      auto listener = tau::tcp_listener::bind("127.0.0.1", 0);
      fd = listener.native_handle();
      co_await listener.accept();
      accepted = true;
    });
    co_await tau::sleep(5ms);
    EXPECT_TRUE(fd_is_open(fd));
    h.abort();
    EXPECT_THROW(co_await h, tau::task_aborted);
  });
  EXPECT_FALSE(accepted);
  EXPECT_FALSE(fd_is_open(fd));
  EXPECT_TRUE(run_until_idle(2s));
}

TEST_F(net_test, aborting_a_task_blocked_in_read_closes_its_stream) {
  int fd = -1;
  std::string peer_read = "not read";
  tau::block_on([&]() -> tau::task<> {
    auto [client, server] = co_await connect_pair();
    fd = server.native_handle();
    auto reader = tau::spawn([&, s = std::move(server)]() mutable -> tau::task<> {
      char buffer[16];
      co_await s.read_some(buffer);
      ADD_FAILURE() << "read returned";
    });
    co_await tau::sleep(5ms);
    reader.abort();
    EXPECT_THROW(co_await reader, tau::task_aborted);
    peer_read = co_await client.read_to_end();  // the aborted task's stream was closed
  });
  EXPECT_EQ(peer_read, "");
  EXPECT_FALSE(fd_is_open(fd));
  EXPECT_TRUE(run_until_idle(2s));
}

// The stream outlives the aborted reader: data arriving afterwards must not resume
// the destroyed frame (ASan would report it), and another task can read it.
TEST_F(net_test, aborted_reader_leaves_a_shared_stream_usable) {
  std::string got = tau::block_on([&]() -> tau::task<std::string> {
    auto [client, server] = co_await connect_pair();
    auto reader = tau::spawn([&]() -> tau::task<> {
      char buffer[16];
      co_await server.read_some(buffer);
      ADD_FAILURE() << "aborted reader resumed";
    });
    co_await tau::sleep(5ms);
    reader.abort();
    EXPECT_THROW(co_await reader, tau::task_aborted);
    co_await client.write_all("after");
    co_await tau::sleep(5ms);  // readable now, with nobody waiting
    std::string out(5, '\0');
    co_await server.read_exact(out);
    co_return out;
  });
  EXPECT_EQ(got, "after");
}

TEST_F(net_test, aborting_a_connect_during_name_resolution_cancels_the_lookup) {
  auto listener = tau::tcp_listener::bind("127.0.0.1", 0);
  tau::block_on([&]() -> tau::task<> {
    auto connecting = tau::spawn([&]() -> tau::task<> {
      co_await tau::tcp_stream::connect("localhost", listener.local_port());
      ADD_FAILURE() << "connect returned";
    });
    connecting.abort();  // its cancel runs after its first step started the lookup
    EXPECT_THROW(co_await connecting, tau::task_aborted);
  });
  EXPECT_TRUE(run_until_idle(2s));
}

TEST_F(net_test, idle_sockets_do_not_keep_the_loop_alive) {
  tau::tcp_listener listener = tau::tcp_listener::bind("127.0.0.1", 0);
  tau::tcp_stream client;
  tau::tcp_stream server;
  tau::spawn([&]() -> tau::task<> {
    client = co_await tau::tcp_stream::connect("127.0.0.1", listener.local_port());
    server = co_await listener.accept();
    co_await client.write_all("ping");
    char buffer[4];
    co_await server.read_exact(buffer);   // waited for readiness once, then let go
    co_await client.write_all("unread");  // readable data that nobody waits for
  });
  EXPECT_TRUE(run_until_idle(2s));
  EXPECT_TRUE(client.is_open());
  EXPECT_TRUE(server.is_open());
}

TEST_F(net_test, listener_queues_connections_until_someone_accepts) {
  auto listener = tau::tcp_listener::bind("127.0.0.1", 0);
  std::vector<tau::tcp_stream> clients;
  tau::spawn([&]() -> tau::task<> {
    for (std::string name : {"first", "second"}) {
      clients.push_back(co_await tau::tcp_stream::connect("127.0.0.1", listener.local_port()));
      co_await clients.back().write_all(name);
      clients.back().shutdown_write();
    }
  });
  EXPECT_TRUE(run_until_idle(2s));  // both connected while nobody accepted

  std::string got = tau::block_on([&]() -> tau::task<std::string> {
    std::string all;
    for (int i = 0; i < 2; ++i) {
      auto stream = co_await listener.accept();
      all += co_await stream.read_to_end() + ";";
    }
    co_return all;
  });
  EXPECT_EQ(got, "first;second;");
}

// What a plugin's restore hook does with a listening socket its old build handed
// over: connections queued meanwhile are accepted by the new listener.
TEST_F(net_test, a_listener_adopts_a_listening_descriptor_and_its_queued_connections) {
  auto old_listener = tau::tcp_listener::bind("127.0.0.1", 0);
  uint16_t port = old_listener.local_port();
  int handed_over = ::fcntl(old_listener.native_handle(), F_DUPFD_CLOEXEC, 0);
  ASSERT_GE(handed_over, 0);
  old_listener.close();
  tau::tcp_stream client = tau::block_on(tau::tcp_stream::connect("127.0.0.1", port));
  tau::tcp_listener adopted(handed_over);
  EXPECT_EQ(adopted.local_port(), port);
  std::string got = tau::block_on([&]() -> tau::task<std::string> {
    co_await client.write_all("queued");
    client.shutdown_write();
    auto stream = co_await adopted.accept();
    co_return co_await stream.read_to_end();
  });
  EXPECT_EQ(got, "queued");
  EXPECT_THROW(tau::tcp_listener(-1), tau::error);
}

TEST_F(net_test, second_concurrent_reader_is_a_logic_error) {
  tau::block_on([&]() -> tau::task<> {
    auto [client, server] = co_await connect_pair();
    auto first = tau::spawn([&]() -> tau::task<size_t> {
      char buffer[8];
      co_return co_await server.read_some(buffer);
    });
    co_await tau::sleep(2ms);
    char buffer[8];
    EXPECT_THROW(co_await server.read_some(buffer), std::logic_error);
    EXPECT_THROW(server.close(), std::logic_error);  // the first reader still waits
    co_await client.write_all("x");
    EXPECT_EQ(co_await first, 1u);
  });
}

TEST_F(net_test, operations_on_a_closed_stream_throw_ebadf) {
  tau::block_on([&]() -> tau::task<> {
    tau::tcp_stream stream;
    char buffer[4];
    try {
      co_await stream.read_some(buffer);
      ADD_FAILURE() << "read on a closed stream";
    } catch (const tau::error& e) {
      EXPECT_EQ(e.code(), std::errc::bad_file_descriptor);
    }
  });
}

TEST_F(net_test, bind_rejects_a_name_and_a_port_in_use) {
  EXPECT_THROW(tau::tcp_listener::bind("localhost", 0), tau::error);
  auto first = tau::tcp_listener::bind("127.0.0.1", 0);
  try {
    tau::tcp_listener::bind("127.0.0.1", first.local_port());
    FAIL() << "bound twice";
  } catch (const tau::error& e) {
    EXPECT_EQ(e.code(), std::errc::address_in_use);
    EXPECT_NE(std::string(e.what()).find("listen on 127.0.0.1:"), std::string::npos) << e.what();
  }
}
