// connected_pair.hpp: both ends of a loopback TCP connection, for the tests of
// net.hpp and of what is built on it.
#pragma once

#include <utility>

#include "tau/net.hpp"
#include "tau/task.hpp"

struct connected_pair {
  tau::tcp_stream client;
  tau::tcp_stream server;
};

// A client and the server side of its connection. The listener queues the
// connection until accept, so connecting first needs no second task.
inline tau::task<connected_pair> connect_pair() {
  auto listener = tau::tcp_listener::bind("127.0.0.1", 0);
  auto client = co_await tau::tcp_stream::connect("127.0.0.1", listener.local_port());
  auto server = co_await listener.accept();
  co_return connected_pair{std::move(client), std::move(server)};
}
