// net.hpp: TCP and UDP sockets on the shared loop, and name resolution.
//
// Sockets are non-blocking. An operation that would block waits for readiness on
// the socket's one tau_poll watch (level-triggered, like mio), then tries again.
// The watch asks the loop only for the events some task waits for and is paused
// while nobody waits, so an idle socket neither keeps the loop alive nor wakes it.
//
// At most one task may wait to read and one to write on a socket at a time (a
// reader task and a writer task can share a stream). A socket must outlive the
// operations pending on it: a task still waiting when it is destroyed is never
// resumed. Aborting a waiting task withdraws its wait. Failures throw tau::error
// (error.hpp) carrying the errno (or a tau_error_category code) and what failed.
#pragma once

#include <arpa/inet.h>
#include <netdb.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <coroutine>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "tau/error.hpp"
#include "tau/task.hpp"
#include "tau/tau.h"

namespace tau {

// An IPv4 or IPv6 address with a port.
class socket_address {
 public:
  socket_address() noexcept = default;
  socket_address(const sockaddr* address, socklen_t size) noexcept {
    size_ = std::min<socklen_t>(size, sizeof storage_);
    std::memcpy(&storage_, address, size_);
  }

  // A numeric address ("127.0.0.1", "::1" or "[::1]") with port; nullopt for
  // anything else, names included.
  static std::optional<socket_address> parse(std::string_view ip, uint16_t port) {
    if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    std::string text(ip);
    socket_address a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
    if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      a.size_ = sizeof(sockaddr_in);
      return a;
    }
    if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      a.size_ = sizeof(sockaddr_in6);
      return a;
    }
    return std::nullopt;
  }

  int family() const noexcept { return storage_.ss_family; }
  uint16_t port() const noexcept {
    if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    return 0;
  }
  // The address without the port: "127.0.0.1", "::1".
  std::string ip() const {
    char text[INET6_ADDRSTRLEN] = "";
    if (family() == AF_INET)
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text, sizeof text);
    else if (family() == AF_INET6)
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text, sizeof text);
    return text;
  }
  // "127.0.0.1:8080", "[::1]:8080".
  std::string to_string() const {
    std::string port_text = std::to_string(port());
    return family() == AF_INET6 ? "[" + ip() + "]:" + port_text : ip() + ":" + port_text;
  }

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t size() const noexcept { return size_; }

  friend bool operator==(const socket_address& a, const socket_address& b) noexcept {
    return a.size_ == b.size_ && std::memcmp(&a.storage_, &b.storage_, a.size_) == 0;
  }

 private:
  sockaddr_storage storage_{};
  socklen_t size_ = 0;
};

namespace detail {

[[noreturn]] inline void throw_errno(int err, const std::string& what) {
  throw error(std::error_code(err, std::system_category()), what);
}

inline bool would_block(int err) noexcept { return err == EAGAIN || err == EWOULDBLOCK; }

inline socket_address local_address_of(int fd, const char* what) {
  sockaddr_storage storage{};
  socklen_t size = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &size) < 0) throw_errno(errno, what);
  return socket_address(reinterpret_cast<sockaddr*>(&storage), size);
}

// A new non-blocking socket, or throws.
inline int open_socket(int family, int type, const std::string& what) {
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno(errno, what);
  return fd;
}

class watched_socket;

// Suspends until the socket is ready for one event (TAU_READABLE or TAU_WRITABLE).
// Destroying it while it waits (its task aborted) withdraws the wait.
class readiness_awaiter {
 public:
  readiness_awaiter(watched_socket* socket, int event) noexcept : socket_(socket), event_(event) {}
  readiness_awaiter(const readiness_awaiter&) = delete;
  readiness_awaiter& operator=(const readiness_awaiter&) = delete;
  ~readiness_awaiter();

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h);
  void await_resume() const noexcept {}

 private:
  friend class watched_socket;
  watched_socket* socket_;  // null once woken, or when the socket went away first
  int event_;
  std::coroutine_handle<> waiting_;
};

// A socket descriptor, its readiness watch and the tasks waiting on it. Lives on
// the heap so that the watch's context pointer survives moves of its owner.
class watched_socket {
 public:
  // Takes ownership of fd, a non-blocking socket.
  explicit watched_socket(int fd) noexcept : fd_(fd) {}
  watched_socket(const watched_socket&) = delete;
  watched_socket& operator=(const watched_socket&) = delete;
  ~watched_socket() {
    // Whoever still waits could only be woken through this socket: leave them.
    for (readiness_awaiter*& w : waiters_)
      if (w != nullptr) std::exchange(w, nullptr)->socket_ = nullptr;
    if (destroyed_ != nullptr) *destroyed_ = true;
    tau_poll_stop(poll_);  // the loop must forget fd before the number can be reused
    if (fd_ >= 0) ::close(fd_);
  }

  int fd() const noexcept { return fd_; }
  bool has_waiters() const noexcept { return waiters_[0] != nullptr || waiters_[1] != nullptr; }
  readiness_awaiter ready(int event) noexcept { return readiness_awaiter(this, event); }

 private:
  friend class readiness_awaiter;

  static int slot_of(int event) noexcept { return event == TAU_READABLE ? 0 : 1; }
  int wanted() const noexcept {
    return (waiters_[0] != nullptr ? TAU_READABLE : 0) | (waiters_[1] != nullptr ? TAU_WRITABLE : 0);
  }

  void wait(readiness_awaiter* w) {
    readiness_awaiter*& slot = waiters_[slot_of(w->event_)];
    if (slot != nullptr)
      throw std::logic_error(w->event_ == TAU_READABLE ? "another task is already reading from this socket"
                                                       : "another task is already writing to this socket");
    slot = w;
    if (int rc = update_interest(); rc < 0) {
      slot = nullptr;
      update_interest();
      throw error(rc, "watch socket readiness");
    }
  }

  void forget(readiness_awaiter* w) noexcept {
    readiness_awaiter*& slot = waiters_[slot_of(w->event_)];
    if (slot != w) return;
    slot = nullptr;
    update_interest();
  }

  // Makes the watch ask for what the waiters need; each change costs epoll_ctl calls.
  int update_interest() noexcept {
    int want = wanted();
    if (want == registered_) return 0;
    if (poll_ == nullptr) {
      if (want == 0) return 0;
      if (int rc = tau_poll_start(&poll_, fd_, want, &on_ready, this); rc < 0) {
        poll_ = nullptr;
        return rc;
      }
    } else if (int rc = tau_poll_update(poll_, want); rc < 0) {
      registered_ = -1;
      return rc;
    }
    registered_ = want;
    return 0;
  }

  static void on_ready(void* ctx, int status, int events) noexcept {
    auto* self = static_cast<watched_socket*>(ctx);
    // After an error the loop has stopped the watch; events names every waiter,
    // who retries its operation and meets the error.
    if (status < 0) self->registered_ = -1;
    bool destroyed = false;
    self->destroyed_ = &destroyed;
    for (int event : {TAU_READABLE, TAU_WRITABLE}) {
      if ((events & event) == 0) continue;
      readiness_awaiter* w = std::exchange(self->waiters_[slot_of(event)], nullptr);
      if (w == nullptr) continue;
      w->socket_ = nullptr;
      w->waiting_.resume();  // may wait again, or close and destroy this socket
      if (destroyed) return;
    }
    self->destroyed_ = nullptr;
    self->update_interest();
  }

  int fd_;
  tau_poll_t* poll_ = nullptr;                          // started on the first wait
  int registered_ = 0;                                  // events the watch asks for; -1 when unknown
  readiness_awaiter* waiters_[2] = {nullptr, nullptr};  // reader, writer
  bool* destroyed_ = nullptr;                           // set while on_ready resumes waiters
};

inline readiness_awaiter::~readiness_awaiter() {
  if (socket_ != nullptr) socket_->forget(this);
}

inline void readiness_awaiter::await_suspend(std::coroutine_handle<> h) {
  waiting_ = h;
  try {
    socket_->wait(this);
  } catch (...) {
    socket_ = nullptr;  // never registered: nothing to forget
    throw;
  }
}

// The socket of a tcp_stream, tcp_listener or udp_socket, or throws EBADF when
// it was closed or moved from.
inline watched_socket& open_or_throw(const std::unique_ptr<watched_socket>& socket, const char* what) {
  if (!socket) throw_errno(EBADF, what);
  return *socket;
}

// Closes a socket that nobody waits on.
inline void close_socket(std::unique_ptr<watched_socket>& socket, const char* what) {
  if (socket && socket->has_waiters())
    throw std::logic_error(std::string(what) + ": a task is still waiting on this socket");
  socket.reset();
}

// One tau_getaddrinfo lookup. Destroying the awaiter cancels a lookup in flight.
class lookup_awaiter {
 public:
  lookup_awaiter(const std::string& host, const std::string& service) : host_(host), service_(service) {}
  lookup_awaiter(const lookup_awaiter&) = delete;
  lookup_awaiter& operator=(const lookup_awaiter&) = delete;
  ~lookup_awaiter() {
    if (request_ != nullptr) tau_getaddrinfo_cancel(request_);
    if (result_ != nullptr) tau_freeaddrinfo(result_);
  }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    waiting_ = h;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
    const char* service = service_.empty() ? nullptr : service_.c_str();
    if (int rc = tau_getaddrinfo(&request_, host_.c_str(), service, &hints, &on_resolved, this); rc < 0) {
      request_ = nullptr;
      throw error(rc, "resolve " + describe());
    }
  }
  std::vector<socket_address> await_resume() const {
    if (status_ < 0) throw error(status_, "resolve " + describe());
    std::vector<socket_address> addresses;
    for (const addrinfo* ai = result_; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
      socket_address a(ai->ai_addr, ai->ai_addrlen);
      if (std::find(addresses.begin(), addresses.end(), a) == addresses.end()) addresses.push_back(a);
    }
    return addresses;
  }

 private:
  static void on_resolved(void* ctx, int status, addrinfo* result) noexcept {
    auto* self = static_cast<lookup_awaiter*>(ctx);
    self->request_ = nullptr;
    self->status_ = status;
    self->result_ = result;
    self->waiting_.resume();
  }
  std::string describe() const { return "'" + host_ + (service_.empty() ? "" : ":" + service_) + "'"; }

  std::string host_;
  std::string service_;
  tau_getaddrinfo_t* request_ = nullptr;  // while in flight
  addrinfo* result_ = nullptr;
  int status_ = 0;
  std::coroutine_handle<> waiting_;
};

inline std::optional<uint16_t> parse_port(std::string_view text) {
  uint16_t port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return port;
}

}  // namespace detail

// The addresses of host (a name or a numeric address) and service (a port number
// or a service name; empty for port 0), looked up on the blocking pool. A numeric
// host and port need no lookup.
inline task<std::vector<socket_address>> resolve(std::string host, std::string service) {
  if (auto port = service.empty() ? std::optional<uint16_t>(0) : detail::parse_port(service)) {
    if (auto numeric = socket_address::parse(host, *port)) co_return std::vector<socket_address>{*numeric};
  }
  detail::lookup_awaiter lookup(host, service);  // named: see fs.hpp on GCC 12 and temporaries
  co_return co_await lookup;
}

// A connected TCP socket.
class tcp_stream {
 public:
  tcp_stream() noexcept = default;
  // Takes ownership of fd, a connected non-blocking TCP socket.
  explicit tcp_stream(int fd) : socket_(std::make_unique<detail::watched_socket>(fd)) {}

  // Connects to the first address of host (resolved without blocking the loop)
  // that accepts; the error of the last one tried otherwise.
  static task<tcp_stream> connect(std::string host, uint16_t port);
  static task<tcp_stream> connect(socket_address address);

  // Reads what is available, waiting for at least one byte; 0 means the peer
  // closed its side (or buffer is empty).
  task<size_t> read_some(std::span<char> buffer);
  // Fills buffer; throws (tau_error_category::eof) when the stream ends first.
  task<> read_exact(std::span<char> buffer);
  // Reads until the peer closes its side.
  task<std::string> read_to_end();
  // Writes what the socket takes now, waiting until it takes at least one byte;
  // returns the bytes written (0 only for empty data).
  task<size_t> write_some(std::string_view data);
  // Writes every byte of data (which must stay valid until the task ends).
  task<> write_all(std::string_view data);

  // Sends FIN: the peer reads end of stream; this side can still read.
  void shutdown_write() {
    if (::shutdown(detail::open_or_throw(socket_, "tcp_stream::shutdown_write").fd(), SHUT_WR) < 0)
      detail::throw_errno(errno, "tcp_stream::shutdown_write");
  }
  // Closes the socket now (the destructor does too). Throws std::logic_error while
  // another task waits on it.
  void close() { detail::close_socket(socket_, "tcp_stream::close"); }
  bool is_open() const noexcept { return socket_ != nullptr; }

  void set_nodelay(bool on) {
    int value = on ? 1 : 0;
    if (::setsockopt(detail::open_or_throw(socket_, "tcp_stream::set_nodelay").fd(), IPPROTO_TCP, TCP_NODELAY,
                     &value, sizeof value) < 0)
      detail::throw_errno(errno, "tcp_stream::set_nodelay");
  }
  socket_address local_address() const {
    return detail::local_address_of(detail::open_or_throw(socket_, "tcp_stream::local_address").fd(),
                                    "tcp_stream::local_address");
  }
  socket_address peer_address() const {
    int fd = detail::open_or_throw(socket_, "tcp_stream::peer_address").fd();
    sockaddr_storage storage{};
    socklen_t size = sizeof storage;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &size) < 0)
      detail::throw_errno(errno, "tcp_stream::peer_address");
    return socket_address(reinterpret_cast<sockaddr*>(&storage), size);
  }
  int native_handle() const noexcept { return socket_ ? socket_->fd() : -1; }

 private:
  std::unique_ptr<detail::watched_socket> socket_;
};

inline task<tcp_stream> tcp_stream::connect(socket_address address) {
  std::string what = "connect to " + address.to_string();
  tcp_stream stream(detail::open_socket(address.family(), SOCK_STREAM, what));
  detail::watched_socket& socket = *stream.socket_;
  if (::connect(socket.fd(), address.data(), address.size()) == 0) co_return stream;
  if (errno != EINPROGRESS && errno != EINTR) detail::throw_errno(errno, what);
  for (;;) {
    co_await socket.ready(TAU_WRITABLE);
    int err = 0;
    socklen_t size = sizeof err;
    if (::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &err, &size) < 0) err = errno;
    if (err != 0) detail::throw_errno(err, what);
    sockaddr_storage peer{};
    socklen_t peer_size = sizeof peer;
    if (::getpeername(socket.fd(), reinterpret_cast<sockaddr*>(&peer), &peer_size) == 0) co_return stream;
    if (errno != ENOTCONN) detail::throw_errno(errno, what);
  }
}

inline task<tcp_stream> tcp_stream::connect(std::string host, uint16_t port) {
  std::string service = std::to_string(port);
  std::vector<socket_address> addresses = co_await resolve(host, service);
  std::error_code last(EADDRNOTAVAIL, std::system_category());
  for (const socket_address& address : addresses) {
    try {
      co_return co_await connect(address);
    } catch (const error& e) {
      last = e.code();
    }
  }
  throw error(last, "connect to " + host + " port " + std::to_string(port));
}

inline task<size_t> tcp_stream::read_some(std::span<char> buffer) {
  detail::watched_socket& socket = detail::open_or_throw(socket_, "tcp_stream::read_some");
  for (;;) {
    ssize_t n = ::recv(socket.fd(), buffer.data(), buffer.size(), 0);
    if (n >= 0) co_return static_cast<size_t>(n);
    int err = errno;
    if (err == EINTR) continue;
    if (!detail::would_block(err)) detail::throw_errno(err, "tcp_stream::read_some");
    co_await socket.ready(TAU_READABLE);
  }
}

inline task<> tcp_stream::read_exact(std::span<char> buffer) {
  while (!buffer.empty()) {
    size_t n = co_await read_some(buffer);
    if (n == 0)
      throw error(std::error_code(tau_error_category::eof, tau_category()), "tcp_stream::read_exact");
    buffer = buffer.subspan(n);
  }
}

inline task<std::string> tcp_stream::read_to_end() {
  std::string data;
  char chunk[16384];
  while (size_t n = co_await read_some(chunk)) data.append(chunk, n);
  co_return data;
}

inline task<size_t> tcp_stream::write_some(std::string_view data) {
  detail::watched_socket& socket = detail::open_or_throw(socket_, "tcp_stream::write_some");
  if (data.empty()) co_return 0;
  for (;;) {
    ssize_t n = ::send(socket.fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) co_return static_cast<size_t>(n);
    int err = errno;
    if (err == EINTR) continue;
    if (!detail::would_block(err)) detail::throw_errno(err, "tcp_stream::write_some");
    co_await socket.ready(TAU_WRITABLE);
  }
}

inline task<> tcp_stream::write_all(std::string_view data) {
  detail::watched_socket& socket = detail::open_or_throw(socket_, "tcp_stream::write_all");
  while (!data.empty()) {
    ssize_t n = ::send(socket.fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    int err = errno;
    if (err == EINTR) continue;
    if (!detail::would_block(err)) detail::throw_errno(err, "tcp_stream::write_all");
    co_await socket.ready(TAU_WRITABLE);
  }
}

// A listening TCP socket. While no task awaits accept() it does not keep the loop
// alive; the kernel queues incoming connections (up to the backlog) until one does.
class tcp_listener {
 public:
  tcp_listener() noexcept = default;
  // Takes ownership of fd, a listening socket: one handed over on a reload (the
  // restore hook of plugin.h). It is made non-blocking.
  explicit tcp_listener(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) detail::throw_errno(errno, "tcp_listener(fd)");
    socket_ = std::make_unique<detail::watched_socket>(fd);
  }

  // Listens on a numeric address ("127.0.0.1", "::1", "0.0.0.0"); port 0 picks a
  // free port (see local_port).
  static tcp_listener bind(std::string_view address, uint16_t port, int backlog = SOMAXCONN) {
    auto parsed = socket_address::parse(address, port);
    if (!parsed)
      detail::throw_errno(EINVAL,
                          "tcp_listener::bind: '" + std::string(address) + "' is not a numeric IP address");
    return bind(*parsed, backlog);
  }
  static tcp_listener bind(const socket_address& address, int backlog = SOMAXCONN) {
    std::string what = "listen on " + address.to_string();
    tcp_listener listener;
    listener.socket_ =
        std::make_unique<detail::watched_socket>(detail::open_socket(address.family(), SOCK_STREAM, what));
    int fd = listener.socket_->fd();
    int on = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0) detail::throw_errno(errno, what);
    if (::bind(fd, address.data(), address.size()) < 0) detail::throw_errno(errno, what);
    if (::listen(fd, backlog) < 0) detail::throw_errno(errno, what);
    return listener;
  }

  // The next incoming connection.
  task<tcp_stream> accept() {
    detail::watched_socket& socket = detail::open_or_throw(socket_, "tcp_listener::accept");
    for (;;) {
      int fd = ::accept4(socket.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) co_return tcp_stream(fd);
      int err = errno;
      if (err == EINTR || err == ECONNABORTED) continue;
      if (!detail::would_block(err))
        detail::throw_errno(err, "accept on " + detail::local_address_of(socket.fd(), "accept").to_string());
      co_await socket.ready(TAU_READABLE);
    }
  }

  socket_address local_address() const {
    return detail::local_address_of(detail::open_or_throw(socket_, "tcp_listener::local_address").fd(),
                                    "tcp_listener::local_address");
  }
  uint16_t local_port() const { return local_address().port(); }
  void close() { detail::close_socket(socket_, "tcp_listener::close"); }
  bool is_open() const noexcept { return socket_ != nullptr; }
  int native_handle() const noexcept { return socket_ ? socket_->fd() : -1; }

 private:
  std::unique_ptr<detail::watched_socket> socket_;
};

// A datagram and who sent it.
struct received_datagram {
  size_t size = 0;  // bytes stored in the buffer (a longer datagram is cut)
  socket_address from;
};

// A UDP socket.
class udp_socket {
 public:
  udp_socket() noexcept = default;

  // Binds to a numeric address; port 0 picks a free port.
  static udp_socket bind(std::string_view address, uint16_t port) {
    auto parsed = socket_address::parse(address, port);
    if (!parsed)
      detail::throw_errno(EINVAL,
                          "udp_socket::bind: '" + std::string(address) + "' is not a numeric IP address");
    return bind(*parsed);
  }
  static udp_socket bind(const socket_address& address) {
    std::string what = "bind udp " + address.to_string();
    udp_socket socket;
    socket.socket_ =
        std::make_unique<detail::watched_socket>(detail::open_socket(address.family(), SOCK_DGRAM, what));
    if (::bind(socket.socket_->fd(), address.data(), address.size()) < 0) detail::throw_errno(errno, what);
    return socket;
  }

  // Sends one datagram of data to `to`; returns the bytes sent.
  task<size_t> send_to(std::string_view data, socket_address to) {
    detail::watched_socket& socket = detail::open_or_throw(socket_, "udp_socket::send_to");
    for (;;) {
      ssize_t n = ::sendto(socket.fd(), data.data(), data.size(), MSG_NOSIGNAL, to.data(), to.size());
      if (n >= 0) co_return static_cast<size_t>(n);
      int err = errno;
      if (err == EINTR) continue;
      if (!detail::would_block(err)) detail::throw_errno(err, "udp_socket::send_to " + to.to_string());
      co_await socket.ready(TAU_WRITABLE);
    }
  }

  // Waits for one datagram and stores it in buffer.
  task<received_datagram> recv_from(std::span<char> buffer) {
    detail::watched_socket& socket = detail::open_or_throw(socket_, "udp_socket::recv_from");
    for (;;) {
      sockaddr_storage from{};
      socklen_t from_size = sizeof from;
      ssize_t n = ::recvfrom(socket.fd(), buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from),
                             &from_size);
      if (n >= 0)
        co_return received_datagram{static_cast<size_t>(n),
                                    socket_address(reinterpret_cast<sockaddr*>(&from), from_size)};
      int err = errno;
      if (err == EINTR) continue;
      if (!detail::would_block(err)) detail::throw_errno(err, "udp_socket::recv_from");
      co_await socket.ready(TAU_READABLE);
    }
  }

  socket_address local_address() const {
    return detail::local_address_of(detail::open_or_throw(socket_, "udp_socket::local_address").fd(),
                                    "udp_socket::local_address");
  }
  uint16_t local_port() const { return local_address().port(); }
  void close() { detail::close_socket(socket_, "udp_socket::close"); }
  bool is_open() const noexcept { return socket_ != nullptr; }
  int native_handle() const noexcept { return socket_ ? socket_->fd() : -1; }

 private:
  std::unique_ptr<detail::watched_socket> socket_;
};

}  // namespace tau
