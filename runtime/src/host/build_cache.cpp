// build_cache.cpp: where compiled plugins live, and how an entry is checked,
// locked and replaced.
#include "build_cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "process.hpp"

namespace tau::detail {
namespace fs = std::filesystem;

namespace {

std::string hex(XXH64_hash_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// Creates dir 0700, or checks that the existing one is ours and writable (and takes
// group and other permissions away from it).
void open_private_dir(const fs::path& dir) {
  std::string name = "the build cache directory " + dir.string();
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw cache_unusable(name + " cannot be created: " + ec.message());
  }
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) throw cache_unusable(name + " cannot be read: " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) throw cache_unusable(name + " is not a directory");
  if (st.st_uid != geteuid())
    throw cache_unusable(name + " is owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
                         std::to_string(geteuid()) + "); refusing to use it");
  if ((st.st_mode & 077) != 0) chmod(dir.c_str(), st.st_mode & 0700);
  if (access(dir.c_str(), W_OK | X_OK) != 0)
    throw cache_unusable(name + " is not writable: " + std::strerror(errno));
}

// What manifest.json says, and whether it can be trusted.
enum class manifest_state { missing, damaged, previous_format, valid };

manifest_state read_manifest(const fs::path& path, cache_manifest& m) {
  std::ifstream in(path);
  if (!in) return fs::exists(path) ? manifest_state::damaged : manifest_state::missing;
  auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return manifest_state::damaged;
  auto string_at = [&](const char* key) -> const std::string* {
    auto it = json.find(key);
    return it != json.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  const std::string* artifact = string_at("artifact");
  auto inputs = json.find("inputs");
  if (artifact == nullptr || artifact->empty() || artifact->find('/') != std::string::npos ||
      inputs == json.end() || !inputs->is_object() || inputs->empty())
    return manifest_state::damaged;
  for (auto& [file, hash] : inputs->items()) {
    if (!hash.is_string()) return manifest_state::damaged;
    m.inputs[file] = hash.get<std::string>();
  }
  m.artifact = *artifact;
  if (const std::string* source = string_at("source")) m.source = *source;
  auto size = json.find("artifact_size");
  const std::string* hash = string_at("artifact_hash");
  if (size == json.end() && hash == nullptr) return manifest_state::previous_format;
  if (size == json.end() || !size->is_number_unsigned() || hash == nullptr) return manifest_state::damaged;
  m.artifact_size = size->get<std::uintmax_t>();
  m.artifact_hash = *hash;
  return manifest_state::valid;
}

cache_lookup damaged(std::string why) { return {std::nullopt, std::move(why)}; }

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
  open_private_dir(root);
  dir_ = root / hash_text(source.string() + '\0' + host_fingerprint);
  open_private_dir(dir_);
}

cache_entry::~cache_entry() {
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
}

bool cache_entry::lock() {
  lock_fd_ = open((dir_ / "lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + (dir_ / "lock").string());
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) == 0) return true;
  while (flock(lock_fd_, LOCK_EX) != 0)
    if (errno != EINTR || interrupt_signal() != 0)
      throw std::system_error(errno, std::generic_category(), "cannot lock " + dir_.string());
  return false;
}

std::vector<fs::path> cache_entry::inputs() const {
  cache_manifest manifest;
  if (read_manifest(dir_ / "manifest.json", manifest) != manifest_state::valid) return {};
  std::vector<fs::path> files;
  for (const auto& [file, hash] : manifest.inputs) files.emplace_back(file);
  return files;
}

cache_lookup cache_entry::look_up() const {
  cache_manifest manifest;
  switch (read_manifest(dir_ / "manifest.json", manifest)) {
    case manifest_state::missing:
    case manifest_state::previous_format:
      return {};
    case manifest_state::damaged:
      return damaged("its manifest cannot be read or parsed");
    case manifest_state::valid:
      break;
  }
  fs::path artifact = dir_ / manifest.artifact;
  std::error_code ec;
  if (!fs::exists(artifact, ec)) return damaged("the library " + manifest.artifact + " is missing");
  if (fs::file_size(artifact, ec) != manifest.artifact_size || ec || hash_file(artifact) != manifest.artifact_hash)
    return damaged("the library's size or hash differs from its manifest");
  for (const auto& [file, hash] : manifest.inputs)
    if (hash_file(file) != hash) return {};
  return {artifact, {}};
}

fs::path cache_entry::install(const fs::path& built, cache_manifest manifest) {
  manifest.artifact = built.filename().string();
  fs::path target = dir_ / manifest.artifact;
  fs::path temp = dir_ / (manifest.artifact + ".tmp." + std::to_string(getpid()));
  fs::copy_file(built, temp, fs::copy_options::overwrite_existing);
  manifest.artifact_size = fs::file_size(temp);
  auto hash = hash_file(temp);
  if (!hash) throw std::system_error(errno, std::generic_category(), "cannot read " + temp.string());
  manifest.artifact_hash = *hash;
  fs::rename(temp, target);
  nlohmann::json json{{"source", manifest.source},
                      {"artifact", manifest.artifact},
                      {"artifact_size", manifest.artifact_size},
                      {"artifact_hash", manifest.artifact_hash},
                      {"inputs", manifest.inputs}};
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
