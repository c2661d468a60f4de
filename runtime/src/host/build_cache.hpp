// build_cache.hpp: where compiled plugins live, keyed by the plugin's path and the
// host's ABI fingerprint, and how an entry is checked, locked and replaced.
//
//   <root>/<key>/lock           flock'd while an entry is checked or built
//   <root>/<key>/manifest.json  the artifact's name, size and content hash, and the
//                               content hash of every input
//   <root>/<key>/<lib>.so       the last good build, replaced only by rename
//   <root>/<key>/build/         the CMake build tree
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tau::detail {

// $TAU_CACHE_DIR, else ~/.tau/buildcache.
std::filesystem::path build_cache_root();

// The cache's root or an entry cannot be used: it cannot be created or written, or
// another user owns it. what() names the directory and the cause.
struct cache_unusable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Content hash of a file (hex), or nullopt when it cannot be read.
std::optional<std::string> hash_file(const std::filesystem::path& path);
std::string hash_text(const std::string& text);

struct cache_manifest {
  std::string source;
  std::string artifact;                       // file name inside the entry
  std::uintmax_t artifact_size = 0;           // of the installed copy, set by install
  std::string artifact_hash;                  // content hash of the installed copy, set by install
  std::map<std::string, std::string> inputs;  // path -> content hash
};

// What an entry holds for the plugin's current inputs.
struct cache_lookup {
  std::optional<std::filesystem::path> artifact;  // the last good build, when it is current
  std::string damage;  // why the entry cannot be trusted (manifest or artifact damaged); empty if it can
};

class cache_entry {
 public:
  // The entry of a plugin source for this host; creates its directory (0700).
  // Throws cache_unusable.
  cache_entry(const std::filesystem::path& source, const std::string& host_fingerprint);
  ~cache_entry();
  cache_entry(const cache_entry&) = delete;
  cache_entry& operator=(const cache_entry&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  // Blocks until no other tau process holds this entry. Returns false when it had
  // to wait.
  bool lock();
  // The artifact of the last good build when it is intact and no input changed. A
  // manifest of the previous format (no artifact size and hash) counts as stale.
  cache_lookup look_up() const;
  // The files the last good build was made from (sources, the headers it included
  // outside /usr, the CMake lists), as its manifest records them.
  std::vector<std::filesystem::path> inputs() const;
  // Moves a freshly built library and its manifest into place, each by rename.
  std::filesystem::path install(const std::filesystem::path& built, cache_manifest manifest);

 private:
  std::filesystem::path dir_;
  int lock_fd_ = -1;
};

// Writes text to path through a temporary file and a rename.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace tau::detail
