// cert_dir.hpp: where the test's certificate files are. The harness makes a CA and
// a server certificate for 127.0.0.1 for each session and names the directory in
// TAU_COMPAT_CERT_DIR.
#ifndef TAU_COMPAT_CERT_DIR_HPP
#define TAU_COMPAT_CERT_DIR_HPP

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace tau_compat {

inline std::string cert_file(const char* name) {
  const char* dir = std::getenv("TAU_COMPAT_CERT_DIR");
  if (dir == nullptr || *dir == '\0')
    throw std::runtime_error("TAU_COMPAT_CERT_DIR is not set: the harness names the test certificates there");
  return std::string(dir) + "/" + name;
}

}  // namespace tau_compat

#endif
