// B of the hand-over test: an Asio line server that answers each line "vVERSION:
// LINE". On a reload its snapshot hands the listening socket and every connected
// client's socket to the new build, whose restore serves them: the port stays, and
// so do the connections.
#include <boost/asio.hpp>
#include <tau/plugin.h>
#include <tau/tau.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#define VERSION 1

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::io_context io;
tcp::acceptor acceptor(io);

struct session : std::enable_shared_from_this<session> {
  explicit session(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  asio::streambuf in;
  std::string out;

  void read() {
    asio::async_read_until(socket, in, '\n', [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      if (ec) return;
      std::string line(asio::buffers_begin(self->in.data()), asio::buffers_begin(self->in.data()) + n - 1);
      self->in.consume(n);
      self->out = "v" + std::to_string(VERSION) + ": " + line + "\n";
      asio::async_write(self->socket, asio::buffer(self->out), [self](boost::system::error_code ec, size_t) {
        if (!ec) self->read();
      });
    });
  }
};

std::vector<std::weak_ptr<session>> sessions;

void serve(tcp::socket socket) {
  auto s = std::make_shared<session>(std::move(socket));
  sessions.push_back(s);
  s->read();
}

void accept() {
  acceptor.async_accept([](boost::system::error_code ec, tcp::socket socket) {
    if (ec) return;
    serve(std::move(socket));
    accept();
  });
}

void say(const char* how) {
  std::printf("server version %d %s on port %u\n", VERSION, how, acceptor.local_endpoint().port());
  std::fflush(stdout);
}

tau_task_id process(const uint8_t*, size_t) {
  if (!acceptor.is_open()) {  // not restored: a first start
    acceptor.open(tcp::v4());
    acceptor.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor.listen();
    say("listening");
  }
  accept();
  return 0;
}

// The listener first, then the connections (a read in flight is left unread by
// this build: what the client sends meanwhile reaches the new one).
void snapshot(tau_state_t* state) {
  tau_state_add_fd(state, acceptor.native_handle());
  for (auto& weak : sessions)
    if (auto s = weak.lock(); s && s->socket.is_open()) tau_state_add_fd(state, s->socket.native_handle());
}

void restore(const uint8_t*, size_t, const int* fds, size_t count) {
  acceptor.assign(tcp::v4(), fds[0]);
  for (size_t i = 1; i < count; ++i) serve(tcp::socket(io, tcp::v4(), fds[i]));
  say(("restored with " + std::to_string(count - 1) + " connection(s)").c_str());
}

}  // namespace

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  hooks->snapshot = snapshot;
  hooks->restore = restore;
  return 0;
}
