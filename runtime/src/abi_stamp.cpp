// abi_stamp.cpp: read a plugin's ABI stamp from its ELF section headers (without
// loading it, so none of its code runs) and compare it with the host's.
#include "abi_stamp.hpp"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "tau/abi_stamp.h"

namespace tau::detail {
namespace {

std::map<std::string, std::string> parse(const std::string& stamp) {
  std::map<std::string, std::string> settings;
  std::istringstream in(stamp);
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq != std::string::npos) settings[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return settings;
}

template <class T>
bool read_at(std::ifstream& in, uint64_t offset, T* out, size_t count = 1) {
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(sizeof(T) * count));
  return static_cast<size_t>(in.gcount()) == sizeof(T) * count;
}

}  // namespace

const char* host_abi_stamp() { return TAU_ABI_STAMP_TEXT; }

std::optional<std::string> read_abi_stamp(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr header{};
  if (!in || !read_at(in, 0, &header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_shentsize != sizeof(Elf64_Shdr)) {
    error = "not a 64-bit ELF file";
    return std::nullopt;
  }
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  if (header.e_shnum == 0 || header.e_shstrndx >= header.e_shnum ||
      !read_at(in, header.e_shoff, sections.data(), sections.size())) {
    error = "unreadable ELF section headers";
    return std::nullopt;
  }
  const Elf64_Shdr& names = sections[header.e_shstrndx];
  std::string name_table(names.sh_size, '\0');
  if (!read_at(in, names.sh_offset, name_table.data(), name_table.size())) {
    error = "unreadable ELF section names";
    return std::nullopt;
  }
  for (const Elf64_Shdr& s : sections) {
    if (s.sh_name >= name_table.size() || std::strcmp(name_table.c_str() + s.sh_name, ".tau_abi") != 0) continue;
    std::string stamp(s.sh_size, '\0');
    if (!read_at(in, s.sh_offset, stamp.data(), stamp.size())) {
      error = "unreadable .tau_abi section";
      return std::nullopt;
    }
    // Several translation units may carry a stamp; they are identical or the
    // first one decides. Stop at the first terminating NUL.
    stamp.resize(std::strlen(stamp.c_str()));
    return stamp;
  }
  return std::nullopt;
}

std::string abi_stamp_difference(const std::string& plugin, const std::string& host) {
  auto p = parse(plugin);
  auto h = parse(host);
  std::string diff;
  auto add = [&](const std::string& key, const std::string& pv, const std::string& hv) {
    if (!diff.empty()) diff += "; ";
    diff += key + ": plugin has " + pv + ", host has " + hv;
  };
  for (const auto& [key, hv] : h) {
    auto it = p.find(key);
    if (it == p.end()) add(key, "(none)", hv);
    else if (it->second != hv) add(key, it->second, hv);
  }
  for (const auto& [key, pv] : p)
    if (!h.count(key)) add(key, pv, "(none)");
  return diff;
}

}  // namespace tau::detail
