// build_cache.cpp: where compiled plugins live, and how an entry is checked,
// locked and replaced.
#include "build_cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

namespace tau::detail {
namespace fs = std::filesystem;

namespace {

std::string hex(XXH64_hash_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

void create_private_dir(const fs::path& dir) {
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
}

std::optional<cache_manifest> read_manifest(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  cache_manifest m;
  m.source = json.value("source", "");
  m.artifact = json.value("artifact", "");
  if (json.contains("inputs") && json["inputs"].is_object())
    for (auto& [file, hash] : json["inputs"].items())
      if (hash.is_string()) m.inputs[file] = hash.get<std::string>();
  if (m.artifact.empty() || m.artifact.find('/') != std::string::npos) return std::nullopt;
  return m;
}

}  // namespace

fs::path build_cache_root() {
  if (const char* dir = std::getenv("TAU_CACHE_DIR"); dir != nullptr && *dir != '\0') return dir;
  const char* home = std::getenv("HOME");
  return fs::path(home != nullptr ? home : ".") / ".tau" / "buildcache";
}

std::optional<std::string> hash_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) XXH3_64bits_update(state, buf, size_t(in.gcount()));
  std::string h = hex(XXH3_64bits_digest(state));
  XXH3_freeState(state);
  return h;
}

std::string hash_text(const std::string& text) { return hex(XXH3_64bits(text.data(), text.size())); }

cache_entry::cache_entry(const fs::path& source, const std::string& host_fingerprint) {
  fs::path root = build_cache_root();
  create_private_dir(root);
  dir_ = root / hash_text(source.string() + '\0' + host_fingerprint);
  create_private_dir(dir_);
}

cache_entry::~cache_entry() {
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
}

bool cache_entry::lock() {
  lock_fd_ = open((dir_ / "lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + (dir_ / "lock").string());
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) == 0) return true;
  while (flock(lock_fd_, LOCK_EX) != 0)
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "cannot lock " + dir_.string());
  return false;
}

std::optional<fs::path> cache_entry::up_to_date() const {
  auto manifest = read_manifest(dir_ / "manifest.json");
  if (!manifest || manifest->inputs.empty()) return std::nullopt;
  fs::path artifact = dir_ / manifest->artifact;
  if (!fs::exists(artifact)) return std::nullopt;
  for (const auto& [file, hash] : manifest->inputs)
    if (hash_file(file) != hash) return std::nullopt;
  return artifact;
}

fs::path cache_entry::install(const fs::path& built, cache_manifest manifest) {
  manifest.artifact = built.filename().string();
  fs::path target = dir_ / manifest.artifact;
  fs::path temp = dir_ / (manifest.artifact + ".tmp." + std::to_string(getpid()));
  fs::copy_file(built, temp, fs::copy_options::overwrite_existing);
  fs::rename(temp, target);
  nlohmann::json json{{"source", manifest.source}, {"artifact", manifest.artifact}, {"inputs", manifest.inputs}};
  write_file_atomically(dir_ / "manifest.json", json.dump(2) + "\n");
  return target;
}

void write_file_atomically(const fs::path& path, const std::string& text) {
  fs::path temp = path;
  temp += ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::system_error(errno, std::generic_category(), "cannot write " + temp.string());
  }
  fs::rename(temp, path);
}

}  // namespace tau::detail
