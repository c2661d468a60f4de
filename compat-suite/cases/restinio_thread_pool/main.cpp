// restinio_thread_pool: a program (main runs on a thread of the plugin's own) that
// starts RESTinio with run_async on its own io_context and a pool of 4 threads, the
// way a multi-threaded server is written. Under tau the pool's threads park in
// run() and the handlers run on the loop thread. main waits until SERVE connections
// have closed (RESTinio's connection state listener), then stops the server and
// joins the pool. Args: "PORT SERVE".
#include <restinio/all.hpp>
#include <tau/tau.h>

#include <atomic>
#include <cstdio>
#include <future>
#include <memory>
#include <string>

namespace {

void say(const std::string& line) {
  std::printf("restinio: %s\n", line.c_str());
  std::fflush(stdout);
}

// Counts closed connections; the last one fulfils the promise main waits on.
class closed_connections {
 public:
  explicit closed_connections(int expected) : left_(expected) {}
  void state_changed(const restinio::connection_state::notice_t& notice) noexcept {
    if (restinio::holds_alternative<restinio::connection_state::closed_t>(notice.cause()) && --left_ == 0)
      all_closed_.set_value();
  }
  std::future<void> all_closed() { return all_closed_.get_future(); }

 private:
  std::atomic<int> left_;
  std::promise<void> all_closed_;
};

struct traits_t : restinio::default_traits_t {
  using request_handler_t = restinio::router::express_router_t<>;
  using connection_state_listener_t = closed_connections;
};

std::atomic<int> handlers_off_loop{0};

std::unique_ptr<traits_t::request_handler_t> make_router() {
  auto router = std::make_unique<traits_t::request_handler_t>();
  router->http_get("/hello", [](auto request, auto) {
    if (!tau_on_loop_thread()) ++handlers_off_loop;
    say("GET " + std::string(request->header().path()));
    return request->create_response().set_body("hello from a RESTinio thread pool").done();
  });
  router->http_post("/echo", [](auto request, auto) {
    if (!tau_on_loop_thread()) ++handlers_off_loop;
    say("POST " + std::string(request->header().path()) + ": " + request->body());
    return request->create_response().set_body("echo: " + request->body()).done();
  });
  return router;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: restinio_thread_pool PORT SERVE\n");
    return 2;
  }
  auto listener = std::make_shared<closed_connections>(std::stoi(argv[2]));
  auto all_closed = listener->all_closed();
  auto server = restinio::run_async<traits_t>(
      restinio::own_io_context(),
      restinio::server_settings_t<traits_t>{}
          .address("127.0.0.1")
          .port(static_cast<std::uint16_t>(std::stoi(argv[1])))
          .request_handler(make_router())
          .connection_state_listener(listener),
      4);
  say("running on a pool of 4 threads");  // run_async returns once the server is open
  all_closed.wait();
  server->stop();
  server->wait();
  say("stopped; handlers off the loop thread: " + std::to_string(handlers_off_loop.load()));
  return 0;
}
