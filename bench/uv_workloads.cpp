// uv_workloads.cpp: the libuv column of bench/run-shim: asio_workloads.cpp's three
// workloads written against a raw uv_loop_t, plain callbacks, same sizes, same
// options, same output lines (side=libuv).
// - posts:  N chained callbacks through uv_post_queue (the idle-drained vector that
//           tau_post is built on; a callback posted while draining runs next turn).
// - timers: M uv_timer_t in flight at once, due in 0 or 1 ms (i % 2).
// - echo:   a uv_tcp_t server and C client connections on 127.0.0.1 (port 0,
//           TCP_NODELAY) in the same loop; each client writes a B-byte message,
//           collects the B-byte echo and checks it, R rounds. The server writes back
//           what it reads (from a copy, since libuv reads on while a write is queued).
#include <uv.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "uv_post_queue.hpp"
#include "workload_options.hpp"

namespace {

using tau::bench::options;
using tau::bench::uv_post_queue;

// ---- posts: chained ----------------------------------------------------------

struct chain {
  uv_post_queue* queue;
  size_t left;
  uint64_t ran = 0;

  static void step(void* ctx) {
    auto* self = static_cast<chain*>(ctx);
    ++self->ran;
    if (--self->left > 0) self->queue->post(&step, self);
  }
};

uint64_t posts_chained(size_t n) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uint64_t ran = 0;
  {
    uv_post_queue queue(&loop);
    chain c{&queue, n};
    if (n > 0) queue.post(&chain::step, &c);
    uv_run(&loop, UV_RUN_DEFAULT);
    queue.close();
    uv_run(&loop, UV_RUN_DEFAULT);
    ran = c.ran;
  }
  uv_loop_close(&loop);
  return ran;
}

// ---- timers: M in flight -----------------------------------------------------

uint64_t timers_in_flight(size_t m) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uint64_t fired = 0;
  std::vector<uv_timer_t> timers(m);
  for (size_t i = 0; i < m; ++i) {
    uv_timer_init(&loop, &timers[i]);
    timers[i].data = &fired;
    uv_timer_start(
        &timers[i], [](uv_timer_t* t) { ++*static_cast<uint64_t*>(t->data); }, i % 2, 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  for (uv_timer_t& t : timers) uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return fired;
}

// ---- echo --------------------------------------------------------------------

inline unsigned char pattern(size_t k, size_t r, size_t j) {
  return static_cast<unsigned char>(k * 31 + r * 7 + j);
}

struct echo_totals {
  uint64_t verified_bytes = 0;
  size_t errors = 0;
};

void close_tcp(uv_tcp_t* t) {
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(t))) uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
}

// A write of a copy of what the server read; recycled through the session's free list.
struct server_write {
  uv_write_t req;
  struct server_session* session;
  size_t len;
  unsigned char data[4096];
};

struct server_session {
  uv_tcp_t tcp;
  echo_totals* totals;
  unsigned char buf[4096];
  std::vector<std::unique_ptr<server_write>> all;
  std::vector<server_write*> free;

  server_write* take() {
    if (free.empty()) {
      all.push_back(std::make_unique<server_write>());
      all.back()->session = this;
      return all.back().get();
    }
    server_write* w = free.back();
    free.pop_back();
    return w;
  }

  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* b) {
    auto* s = static_cast<server_session*>(h->data);
    *b = uv_buf_init(reinterpret_cast<char*>(s->buf), sizeof s->buf);
  }
  static void on_read(uv_stream_t* st, ssize_t n, const uv_buf_t*) {
    auto* s = static_cast<server_session*>(st->data);
    if (n < 0) {  // UV_EOF once the client is done
      close_tcp(&s->tcp);
      return;
    }
    if (n == 0) return;
    server_write* w = s->take();
    std::memcpy(w->data, s->buf, static_cast<size_t>(n));
    w->len = static_cast<size_t>(n);
    uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(w->data), static_cast<unsigned>(n));
    if (uv_write(&w->req, st, &b, 1, &on_written) != 0) {
      ++s->totals->errors;
      s->free.push_back(w);
      close_tcp(&s->tcp);
    }
  }
  static void on_written(uv_write_t* req, int status) {
    auto* w = reinterpret_cast<server_write*>(req);
    if (status < 0 && status != UV_ECANCELED) ++w->session->totals->errors;
    w->session->free.push_back(w);
  }
};

struct client {
  uv_tcp_t tcp;
  uv_connect_t connect;
  // The last write's completion runs a turn later, so a round may start while it is
  // still queued: two requests, each reused only once its callback ran.
  uv_write_t writes[2];
  bool busy[2] = {false, false};
  size_t id;
  size_t rounds;
  size_t msg;
  size_t round = 0;
  size_t got = 0;
  echo_totals* totals;
  unsigned char out[4096];
  unsigned char in[4096];

  void fail() {
    ++totals->errors;
    close_tcp(&tcp);
  }
  void send() {
    for (size_t j = 0; j < msg; ++j) out[j] = pattern(id, round, j);
    got = 0;
    int i = busy[0] ? 1 : 0;
    if (busy[i]) return fail();
    busy[i] = true;
    writes[i].data = this;
    uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(out), static_cast<unsigned>(msg));
    if (uv_write(&writes[i], reinterpret_cast<uv_stream_t*>(&tcp), &b, 1, &on_written) != 0) {
      busy[i] = false;
      fail();
    }
  }
  static void on_connected(uv_connect_t* req, int status) {
    auto* c = static_cast<client*>(req->data);
    if (status < 0) return c->fail();
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), &on_alloc, &on_read);
    c->send();
  }
  static void on_written(uv_write_t* req, int status) {
    auto* c = static_cast<client*>(req->data);
    c->busy[req == &c->writes[0] ? 0 : 1] = false;
    if (status < 0 && status != UV_ECANCELED) c->fail();
  }
  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* b) {
    auto* c = static_cast<client*>(h->data);
    *b = uv_buf_init(reinterpret_cast<char*>(c->in + c->got), static_cast<unsigned>(c->msg - c->got));
  }
  static void on_read(uv_stream_t* st, ssize_t n, const uv_buf_t*) {
    auto* c = static_cast<client*>(st->data);
    if (n < 0) return c->fail();
    c->got += static_cast<size_t>(n);
    if (c->got < c->msg) return;
    if (std::memcmp(c->in, c->out, c->msg) == 0) c->totals->verified_bytes += c->msg;
    if (++c->round < c->rounds) return c->send();
    close_tcp(&c->tcp);  // the server reads eof and closes its side
  }
};

struct server {
  uv_tcp_t listener;
  uv_loop_t* loop;
  size_t conns;
  size_t accepted = 0;
  echo_totals* totals;
  std::vector<std::unique_ptr<server_session>> sessions;

  static void on_connection(uv_stream_t* st, int status) {
    auto* s = static_cast<server*>(st->data);
    if (status < 0) {
      ++s->totals->errors;
      return;
    }
    auto session = std::make_unique<server_session>();
    session->totals = s->totals;
    uv_tcp_init(s->loop, &session->tcp);
    session->tcp.data = session.get();
    if (uv_accept(st, reinterpret_cast<uv_stream_t*>(&session->tcp)) != 0) {
      ++s->totals->errors;
      close_tcp(&session->tcp);
      s->sessions.push_back(std::move(session));
      return;
    }
    uv_tcp_nodelay(&session->tcp, 1);
    uv_read_start(reinterpret_cast<uv_stream_t*>(&session->tcp), &server_session::on_alloc,
                  &server_session::on_read);
    s->sessions.push_back(std::move(session));
    if (++s->accepted == s->conns) close_tcp(&s->listener);
  }
};

uint64_t echo(const options& o) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  echo_totals totals;
  auto srv = std::make_unique<server>();
  srv->loop = &loop;
  srv->conns = o.conns;
  srv->totals = &totals;
  srv->sessions.reserve(o.conns);
  uv_tcp_init(&loop, &srv->listener);
  srv->listener.data = srv.get();
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", 0, &addr);
  uv_tcp_bind(&srv->listener, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (uv_listen(reinterpret_cast<uv_stream_t*>(&srv->listener), SOMAXCONN, &server::on_connection) != 0) {
    std::fprintf(stderr, "uv_workloads: listen failed\n");
    return 0;
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&srv->listener, reinterpret_cast<sockaddr*>(&bound), &len);

  std::vector<std::unique_ptr<client>> clients;
  clients.reserve(o.conns);
  for (size_t k = 0; k < o.conns; ++k) {
    auto c = std::make_unique<client>();
    c->id = k;
    c->rounds = o.rounds;
    c->msg = o.msg;
    c->totals = &totals;
    uv_tcp_init(&loop, &c->tcp);
    c->tcp.data = c.get();
    c->connect.data = c.get();
    if (uv_tcp_connect(&c->connect, &c->tcp, reinterpret_cast<const sockaddr*>(&bound), &client::on_connected) != 0)
      c->fail();
    clients.push_back(std::move(c));
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  if (totals.errors != 0) std::fprintf(stderr, "uv_workloads: echo: %zu error(s)\n", totals.errors);
  uv_loop_close(&loop);
  return totals.verified_bytes;
}

void run_all(const options& o) {
  using tau::bench::timed;
  for (int i = 0; i < o.warmup + o.reps; ++i) {
    bool print = i >= o.warmup;
    if (o.wants("posts")) timed("libuv", "posts", o.posts, print, [&] { return posts_chained(o.posts); });
    if (o.wants("timers"))
      timed("libuv", "timers", o.timers, print, [&] { return timers_in_flight(o.timers); });
    if (o.wants("echo")) timed("libuv", "echo", o.echo_bytes(), print, [&] { return echo(o); });
  }
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  std::string text;
  for (int i = 1; i < argc; ++i) text += std::string(argv[i]) + " ";
  if (!parse(o, text)) return 2;
  run_all(o);
  return 0;
}
