// control.cpp: the control socket. A libuv pipe server on the loop thread; each
// connection reads lines and runs them one at a time through the reloader.
#include "control.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <sstream>
#include <utility>

namespace tau::detail {
namespace {

// A command longer than this is not one (the connection is closed).
constexpr size_t max_line = 4096;

constexpr const char* usage = "commands: list, reload NAME, unload NAME, load PATH, help";

std::pair<dev_t, ino_t> file_id(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return {0, 0};
  return {st.st_dev, st.st_ino};
}

// Whether a process accepts connections on the socket at path.
bool someone_listens(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

struct server_handle : handle_wrapper {
  uv_pipe_t pipe{};
  class control_socket* control = nullptr;
};

}  // namespace

struct control_socket::connection : handle_wrapper {
  ~connection() override { control->connections_.erase(id); }
  uv_pipe_t pipe{};
  control_socket* control = nullptr;
  uint64_t id = 0;
  std::string input;                // read, not yet a whole line
  std::deque<std::string> pending;  // whole lines not run yet
  bool running = false;             // a command runs; the next waits for its answer
  bool in_next = false;             // next() runs the lines
  bool eof = false;                 // the client sent all it will (it may still read)
  bool closing = false;

  void close() {
    if (closing) return;
    closing = true;
    close_wrapped(this, &pipe);
  }
  // Once the answers written so far are sent (a client that shut down its side
  // after its commands still reads them).
  void finish() {
    if (closing) return;
    closing = true;
    auto* req = new uv_shutdown_t;
    req->data = this;
    int err = uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&pipe), [](uv_shutdown_t* req, int) {
      auto* c = static_cast<connection*>(req->data);
      delete req;
      close_wrapped(c, &c->pipe);
    });
    if (err != 0) {
      delete req;
      close_wrapped(this, &pipe);
    }
  }
  void write(std::string text) {
    if (closing) return;
    struct request {
      uv_write_t req;
      std::string text;
    };
    auto* r = new request{{}, std::move(text)};
    uv_buf_t buf = uv_buf_init(r->text.data(), static_cast<unsigned>(r->text.size()));
    int err = uv_write(&r->req, reinterpret_cast<uv_stream_t*>(&pipe), &buf, 1,
                       [](uv_write_t* req, int) { delete reinterpret_cast<request*>(req); });
    if (err != 0) {
      delete r;
      close();
    }
  }
  // Runs the whole lines not run yet, one at a time: a command that answers later
  // holds the rest until it does.
  void next() {
    if (in_next) return;
    in_next = true;
    while (!running && !pending.empty() && !closing) {
      std::string line = std::move(pending.front());
      pending.pop_front();
      control->run(*this, line);
    }
    in_next = false;
    if (eof && !running && pending.empty()) finish();
  }
};

std::string check_control_path(const std::string& path) {
  if (path.empty()) return "the path is empty";
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    return "the path is " + std::to_string(path.size()) + " bytes long; a Unix socket's may be at most " +
           std::to_string(sizeof(sockaddr_un::sun_path) - 1);
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return std::strerror(errno);
    // libuv reports a missing directory as EACCES; say what it is.
    std::string dir = std::filesystem::path(path).parent_path().string();
    if (dir.empty()) return {};
    if (stat(dir.c_str(), &st) != 0) return "its directory " + dir + ": " + std::strerror(errno);
    if (!S_ISDIR(st.st_mode)) return "its directory " + dir + " is not a directory";
    return {};
  }
  if (!S_ISSOCK(st.st_mode)) return "a file that is not a socket is there; tau does not replace it";
  if (someone_listens(path)) return "another process listens on it (another tau?)";
  return {};
}

control_socket::control_socket(reloader& plugins, std::string path) : plugins_(plugins), path_(std::move(path)) {}

control_socket::~control_socket() {
  if (made_ != std::pair<dev_t, ino_t>{} && file_id(path_) == made_) ::unlink(path_.c_str());
}

std::string control_socket::listen() {
  if (std::string problem = check_control_path(path_); !problem.empty()) return problem;
  ::unlink(path_.c_str());  // a stale socket: nobody listens on it
  auto* server = new server_handle;
  server->control = this;
  uv_pipe_init(loop(), &server->pipe, 0);
  server->pipe.data = static_cast<handle_wrapper*>(server);
  int err = uv_pipe_bind(&server->pipe, path_.c_str());
  if (err == 0) {
    made_ = file_id(path_);
    if (::chmod(path_.c_str(), 0600) != 0) err = -errno;
  }
  if (err == 0) err = uv_listen(reinterpret_cast<uv_stream_t*>(&server->pipe), 16, on_connection);
  if (err != 0) {
    close_wrapped(server, &server->pipe);
    return uv_strerror(err);
  }
  return {};
}

void control_socket::on_connection(uv_stream_t* stream, int status) {
  auto* server = wrapper_of<server_handle>(stream->data);
  if (status < 0) return;
  control_socket& self = *server->control;
  auto* c = new connection;
  c->control = &self;
  c->id = self.next_id_++;
  uv_pipe_init(loop(), &c->pipe, 0);
  c->pipe.data = static_cast<handle_wrapper*>(c);
  self.connections_[c->id] = c;
  if (uv_accept(stream, reinterpret_cast<uv_stream_t*>(&c->pipe)) != 0) return c->close();
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->pipe),
      [](uv_handle_t*, size_t suggested, uv_buf_t* buf) {
        buf->base = new char[suggested];
        buf->len = suggested;
      },
      [](uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) {
        std::unique_ptr<char[]> data(buf->base);
        auto* c = wrapper_of<connection>(stream->data);
        if (n == UV_EOF) {
          uv_read_stop(stream);
          c->eof = true;
          if (!c->input.empty()) c->pending.push_back(std::exchange(c->input, {}));
        } else if (n < 0) {
          return c->close();
        }
        if (n > 0) c->input.append(buf->base, static_cast<size_t>(n));
        bool too_long = false;
        for (size_t end; (end = c->input.find('\n')) != std::string::npos;) {
          std::string line = c->input.substr(0, end);
          c->input.erase(0, end + 1);
          if (!line.empty() && line.back() == '\r') line.pop_back();
          too_long |= line.size() > max_line;
          c->pending.push_back(std::move(line));
        }
        if (too_long || c->input.size() > max_line) {
          c->write("error: a command is at most " + std::to_string(max_line) + " bytes; closing\n");
          c->pending.clear();
          return c->finish();
        }
        c->next();
      });
}

void control_socket::run(connection& c, const std::string& line) {
  std::istringstream words(line);
  std::string command, argument, extra;
  words >> command;
  std::getline(words >> std::ws, argument);
  while (!argument.empty() && (argument.back() == ' ' || argument.back() == '\t')) argument.pop_back();
  uint64_t id = c.id;
  auto reply = [this, id](bool ok, const std::string& text) { answer(id, ok, text); };
  if (command.empty()) return;
  c.running = true;
  if (command == "help") return reply(true, usage);
  if (command == "list") {
    if (!argument.empty()) return reply(false, "list takes no argument");
    return reply(true, plugins_.list());
  }
  bool known = command == "reload" || command == "unload" || command == "load";
  if (!known) return reply(false, "unknown command '" + command + "' (" + usage + ")");
  if (argument.empty())
    return reply(false, command + " needs a " + (command == "load" ? "PATH" : "NAME") + " (" + usage + ")");
  if (command == "load") return plugins_.load(argument, reply);
  std::string error;
  plugin_slot* slot = plugins_.find(argument, error);
  if (slot == nullptr) return reply(false, error);
  if (command == "reload") return plugins_.reload(*slot, reply);
  plugins_.unload(*slot, reply);
}

// The answer's last line says ok or error; the lines before it are the answer's body.
void control_socket::answer(uint64_t id, bool ok, const std::string& text) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;  // the client went away meanwhile
  connection& c = *it->second;
  size_t last = text.rfind('\n');
  std::string body = last == std::string::npos ? "" : text.substr(0, last + 1);
  std::string tail = last == std::string::npos ? text : text.substr(last + 1);
  c.write(body + (ok ? "ok" : "error:") + (tail.empty() ? "" : " " + tail) + "\n");
  c.running = false;
  c.next();  // the lines that came meanwhile (a no-op when this answer came from inside next)
}

}  // namespace tau::detail
