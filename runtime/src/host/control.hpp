// control.hpp: the control socket (--control PATH), a Unix stream socket on which
// tools list, reload, unload and load plugins while tau runs.
//
// The protocol is lines of text. A client writes one command per line:
//   list | reload NAME | unload NAME | load PATH | help
// and reads the answer: zero or more lines, then a last line that starts with "ok"
// or "error:". Commands on one connection run one after the other; a reload
// answers once the rebuild and the swap are over.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "reload.hpp"

namespace tau::detail {

// Why tau cannot put its control socket at path (empty: it can): the path is too
// long, something else is there, or another process listens on it. A stale socket
// (nobody listens) is fine: listen replaces it. Any thread; before runtime_init.
std::string check_control_path(const std::string& path);

class control_socket {
 public:
  control_socket(reloader& plugins, std::string path);
  ~control_socket();  // removes the socket file, if it is still the one it made
  control_socket(const control_socket&) = delete;
  control_socket& operator=(const control_socket&) = delete;

  // Binds and listens (mode 0600). Empty on success, else why not. Loop thread.
  std::string listen();

 private:
  struct connection;
  static void on_connection(uv_stream_t* server, int status);
  void run(connection& c, const std::string& line);
  void answer(uint64_t id, bool ok, const std::string& text);

  reloader& plugins_;
  std::string path_;
  std::pair<dev_t, ino_t> made_{};  // the socket file it made
  uint64_t next_id_ = 1;
  std::map<uint64_t, connection*> connections_;  // open ones, for answers that come later
};

}  // namespace tau::detail
