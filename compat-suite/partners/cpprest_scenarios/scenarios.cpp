// cpprest_scenarios: cpprestsdk 2.10.18 (static, in this plugin) used as an
// application would, one scenario per run. Run through the adapter: main is on a
// thread of the plugin's own, so its .wait() calls block only that thread; cpprest's
// 40 pool threads park in io_service::run() and every handler and pplx
// continuation runs on the loop thread. Usage: cpprest_scenarios SCENARIO ARGS...
//
//   pplx                      continuations, when_all, a task_completion_event set
//                             from main, .wait() and .get() on main
//   http-client PORT          GET /hello, then POST a JSON body to /items (the
//                             peer's http-echo-server answers with JSON)
//   http-listener PORT        an http_listener on 127.0.0.1:PORT answers the peer's
//                             GET, then closes
//   listener-close-busy PORT  an http_listener answers a POST of JSON from an
//                             http_client of this plugin, then closes while the
//                             client's kept-alive connection is open
//   websocket PORT            websocket_client to the peer's ws-echo-server: one
//                             text message each way, then close
//   websocket-lazy-pool PORT  the same, without creating cpprest's pool first
//
// Output lines start with "cpprest: "; the last is "cpprest: done".
#include <cpprest/http_client.h>
#include <cpprest/http_listener.h>
#include <cpprest/json.h>
#include <cpprest/ws_client.h>
#include <pplx/pplxtasks.h>
#include <pplx/threadpool.h>
#include <tau/tau.h>

#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

using namespace web;
using namespace web::http;

namespace {

void say(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::printf("cpprest: ");
  std::vprintf(format, args);
  std::printf("\n");
  std::fflush(stdout);
  va_end(args);
}

// Continuations that ran off the loop thread (the shim's rule says: none).
std::atomic<int> off_loop{0};
void note_thread() {
  if (!tau_on_loop_thread()) ++off_loop;
}

std::string base_uri(const std::string& port) { return "http://127.0.0.1:" + port; }

void pplx_scenario() {
  // A chain of continuations, each on the pool (the loop thread here).
  int value = pplx::create_task([] {
                note_thread();
                return 20;
              })
                  .then([](int x) {
                    note_thread();
                    return x + 1;
                  })
                  .then([](pplx::task<int> t) {
                    note_thread();
                    return t.get() * 2;
                  })
                  .get();
  say("chain: %d", value);
  // when_all over several tasks.
  std::vector<pplx::task<int>> parts;
  for (int i = 1; i <= 4; ++i)
    parts.push_back(pplx::create_task([i] {
      note_thread();
      return i * i;
    }));
  auto sum = pplx::when_all(parts.begin(), parts.end()).then([](std::vector<int> squares) {
    note_thread();
    int s = 0;
    for (int v : squares) s += v;
    return s;
  });
  sum.wait();
  say("when_all: %d", sum.get());
  // An event set from this thread releases a continuation on the pool.
  pplx::task_completion_event<std::string> event;
  auto greeted = pplx::create_task(event).then([](std::string word) {
    note_thread();
    return "hello " + word;
  });
  event.set("tau");
  say("event: %s", greeted.get().c_str());
  // An exception travels through the chain to wait()/get().
  auto failing = pplx::create_task([]() -> int { throw std::runtime_error("expected failure"); }).then([](int x) {
    return x;
  });
  try {
    failing.wait();
    say("exception: not thrown");
  } catch (const std::runtime_error& e) {
    say("exception: %s", e.what());
  }
}

void http_client_scenario(const std::string& port) {
  client::http_client client(utility::conversions::to_string_t(base_uri(port)));
  client.request(methods::GET, U("/hello"))
      .then([](http_response r) {
        note_thread();
        say("GET status: %d", r.status_code());
        return r.extract_json();
      })
      .then([](json::value v) {
        note_thread();
        say("GET answer: %s %s body=%s", v.at(U("method")).as_string().c_str(), v.at(U("path")).as_string().c_str(),
            v.at(U("body")).serialize().c_str());
      })
      .wait();
  json::value item = json::value::object();
  item[U("name")] = json::value::string(U("tau"));
  item[U("count")] = json::value::number(3);
  client.request(methods::POST, U("/items"), item)
      .then([](http_response r) {
        note_thread();
        say("POST status: %d", r.status_code());
        return r.extract_json();
      })
      .then([](json::value v) {
        note_thread();
        const json::value& body = v.at(U("body"));
        say("POST answer: %s %s name=%s count=%d", v.at(U("method")).as_string().c_str(),
            v.at(U("path")).as_string().c_str(), body.at(U("name")).as_string().c_str(),
            body.at(U("count")).as_integer());
      })
      .wait();
}

// Requests the listener has answered, counted from its continuations, waited for on main.
struct answered_count {
  std::mutex lock;
  std::condition_variable changed;
  int count = 0;

  void add() {
    std::lock_guard<std::mutex> hold(lock);
    ++count;
    changed.notify_all();
  }
  void wait_for(int n) {
    std::unique_lock<std::mutex> hold(lock);
    changed.wait(hold, [&] { return count >= n; });
  }
};

// The peer's GET (it retries connecting until the listener is open), then close.
// With own_client, a POST of JSON from an http_client of this plugin instead, whose
// connection stays open (cpprest's client always asks for keep-alive) while the
// listener closes.
void http_listener_scenario(const std::string& port, bool own_client) {
  using web::http::experimental::listener::http_listener;
  http_listener listener(utility::conversions::to_string_t(base_uri(port) + "/"));
  answered_count answered;
  listener.support([&](http_request request) {
    note_thread();
    say("listener: %s %s", request.method().c_str(), request.relative_uri().path().c_str());
    // The body is read after this handler returns: wait for it in a continuation.
    request.extract_string()
        .then([request](std::string body) mutable {
          note_thread();
          if (request.method() == methods::POST) {
            json::value v = json::value::parse(body);
            say("listener: posted name=%s", v.at(U("name")).as_string().c_str());
            json::value reply = json::value::object();
            reply[U("stored")] = json::value::string(v.at(U("name")).as_string());
            return request.reply(status_codes::Created, reply);
          }
          return request.reply(status_codes::OK, U("served by cpprest http_listener"));
        })
        .then([&answered](pplx::task<void> sent) {
          note_thread();
          sent.get();
          answered.add();
        });
  });
  listener.open().wait();
  say("listener: open");
  std::unique_ptr<client::http_client> client;
  if (own_client) {
    client = std::make_unique<client::http_client>(utility::conversions::to_string_t(base_uri(port)));
    json::value item = json::value::object();
    item[U("name")] = json::value::string(U("tau"));
    client->request(methods::POST, U("/items"), item)
        .then([](http_response r) {
          note_thread();
          say("client: status %d", r.status_code());
          return r.extract_json();
        })
        .then([](json::value v) {
          note_thread();
          say("client: stored %s", v.at(U("stored")).as_string().c_str());
        })
        .wait();
  }
  answered.wait_for(1);
  say("listener: closing");
  listener.close().wait();
  say("listener: closed");
}

void websocket_scenario(const std::string& port) {
  using namespace web::websockets::client;
  websocket_client client;
  client.connect(utility::conversions::to_string_t("ws://127.0.0.1:" + port + "/echo")).wait();
  say("websocket: connected");
  websocket_outgoing_message out;
  out.set_utf8_message("hello over cpprest");
  client.send(out).wait();
  std::string echoed = client.receive()
                           .then([](websocket_incoming_message in) {
                             note_thread();
                             return in.extract_string();
                           })
                           .get();
  say("websocket: echo: %s", echoed.c_str());
  client.close().wait();
  say("websocket: closed");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) throw std::invalid_argument("usage: cpprest_scenarios SCENARIO ARGS...");
  const std::string& scenario = args[0];
  // cpprest creates its pool at the first use. Here that is on main's thread, so the
  // pool's io_service is run-gated and belongs to this plugin: when main returns the
  // 40 threads parked in its run() wake up. websocket-lazy-pool leaves it to the
  // WebSocket client, which first uses it inside a handler (see README.md).
  if (scenario != "websocket-lazy-pool") crossplat::threadpool::shared_instance();
  if (scenario == "pplx") pplx_scenario();
  else if (scenario == "http-client") http_client_scenario(args.at(1));
  else if (scenario == "http-listener") http_listener_scenario(args.at(1), false);
  else if (scenario == "listener-close-busy") http_listener_scenario(args.at(1), true);
  else if (scenario == "websocket" || scenario == "websocket-lazy-pool") websocket_scenario(args.at(1));
  else throw std::invalid_argument("unknown scenario '" + scenario + "'");
  say("continuations off the loop thread: %d", off_loop.load());
  say("done");
  return off_loop == 0 ? 0 : 1;
}
