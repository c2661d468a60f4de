// abi_stamp.cpp: read a plugin's ABI stamp from its ELF section headers (without
// loading it, so none of its code runs) and compare it with the host's.
#include "abi_stamp.hpp"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string_view>
#include <vector>

#include "tau/abi_stamp.h"

namespace tau::detail {
namespace {

// A record is a few hundred bytes per translation unit; anything this large is not a
// stamp, and is refused before it is read.
constexpr uint64_t max_section_size = uint64_t(16) << 20;

// The settings that must equal the host's in every record. Only the C ABI of tau.h
// crosses between host and plugin, and plugins do not see each other, so the C++
// standard, RTTI, exceptions, assertions and PIC are recorded but not compared.
// tau_abi: the layout of tau.h's structs and callbacks. boost, shim: the shim's
// headers replace Boost.Asio's backend and are pinned to one Boost version, and to
// the host's shim version. address_sanitizer, thread_sanitizer: instrumented code
// needs the host's sanitizer runtime, and the host's needs to see every access.
constexpr const char* compared_keys[] = {"tau_abi", "shim", "boost", "address_sanitizer", "thread_sanitizer"};
// Compared in C++ units only (C units share no C++ types): they change the layout of
// standard library types (std::string, the containers), which the units of a plugin
// share with each other and with the C++ libraries it links, built with the
// distribution's default like the host. An exception thrown by plugin code reaches
// the host's catch (std::exception, what()).
constexpr const char* compared_cxx_keys[] = {"cxx11_abi", "glibcxx_debug"};

using settings = std::map<std::string, std::string, std::less<>>;

struct stamp_record {
  std::string_view text;  // the record as stamped, without its NUL
  settings values;        // key=value lines
};

bool is_key_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// The key=value lines of one record; error names the first malformed line.
bool parse_settings(std::string_view text, settings& out, std::string& error) {
  size_t line_number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    size_t eq = line.find('=');
    std::string where = "line " + std::to_string(line_number);
    if (eq == std::string_view::npos || eq == 0) {
      error = where + " is not key=value";
      return false;
    }
    for (char c : line.substr(0, eq))
      if (!is_key_char(c)) {
        error = where + " has a key that is not [a-z0-9_]";
        return false;
      }
    for (unsigned char c : line)
      if (c < 0x20 || c == 0x7f) {
        error = where + " holds the control byte " + std::to_string(c);
        return false;
      }
    if (!out.emplace(line.substr(0, eq), line.substr(eq + 1)).second) {
      error = where + " repeats the key " + std::string(line.substr(0, eq));
      return false;
    }
  }
  if (text.empty() || text.back() != '\n') {
    error = "it is cut short (its last line has no newline)";
    return false;
  }
  return true;
}

// The records of a .tau_abi section: NUL-terminated, possibly with NUL padding
// between them (the compiler aligns each unit's array).
std::vector<stamp_record> parse_records(std::string_view section, std::string& error) {
  std::vector<stamp_record> records;
  if (section.empty() || section.back() != '\0') {
    error = "corrupt .tau_abi section: its last record is not NUL-terminated";
    return {};
  }
  for (size_t start = 0; start < section.size();) {
    size_t end = section.find('\0', start);
    if (end == start) {
      ++start;
      continue;
    }
    stamp_record record{section.substr(start, end - start), {}};
    std::string problem;
    if (!parse_settings(record.text, record.values, problem)) {
      error = "corrupt .tau_abi section: the record at byte " + std::to_string(start) + ": " + problem;
      return {};
    }
    records.push_back(std::move(record));
    start = end + 1;
  }
  if (records.empty()) error = "corrupt .tau_abi section: it holds no record";
  return records;
}

std::string value_of(const settings& values, std::string_view key, const char* missing = "(none)") {
  auto it = values.find(key);
  return it == values.end() ? missing : it->second;
}

// The compared settings in which record differs from host, "key: plugin has X,
// host has Y; ...", or empty.
std::string record_difference(const settings& record, const settings& host) {
  std::string diff;
  auto compare = [&](std::string_view key, const char* missing = "(none)") {
    std::string pv = value_of(record, key, missing), hv = value_of(host, key);
    if (pv == hv) return;
    if (!diff.empty()) diff += "; ";
    diff += std::string(key) + ": plugin has " + pv + ", host has " + hv;
  };
  // A stamp of another format is judged on that alone: its other keys may mean
  // something else.
  compare("stamp_format", "1");
  if (!diff.empty()) return diff;
  for (const char* key : compared_keys) compare(key);
  // The sanitizer runtimes are the compiler's own.
  if (value_of(host, "address_sanitizer") == "on" || value_of(host, "thread_sanitizer") == "on")
    compare("compiler");
  if (value_of(record, "cplusplus") != "none")
    for (const char* key : compared_cxx_keys) compare(key);
  return diff;
}

template <class T>
bool read_at(std::ifstream& in, uint64_t offset, T* out, size_t count = 1) {
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(sizeof(T) * count));
  return static_cast<size_t>(in.gcount()) == sizeof(T) * count;
}

// Whether [offset, offset + size) lies inside a file of file_size bytes.
bool within(uint64_t offset, uint64_t size, uint64_t file_size) {
  return size <= file_size && offset <= file_size - size;
}

}  // namespace

const char* host_abi_stamp() { return TAU_ABI_STAMP_TEXT; }

std::optional<std::string> read_abi_stamp(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const uint64_t file_size = in ? static_cast<uint64_t>(in.tellg()) : 0;
  Elf64_Ehdr header{};
  if (!in || !read_at(in, 0, &header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_shentsize != sizeof(Elf64_Shdr)) {
    error = "not a 64-bit ELF file";
    return std::nullopt;
  }
  if (header.e_shnum == 0 || header.e_shstrndx >= header.e_shnum) {
    error = "corrupt ELF file: no usable section header table";
    return std::nullopt;
  }
  std::vector<Elf64_Shdr> sections(header.e_shnum);  // at most 65535 * 64 bytes
  if (!within(header.e_shoff, sections.size() * sizeof(Elf64_Shdr), file_size) ||
      !read_at(in, header.e_shoff, sections.data(), sections.size())) {
    error = "truncated or corrupt ELF file: its section header table lies beyond the end of the file";
    return std::nullopt;
  }
  const Elf64_Shdr& names = sections[header.e_shstrndx];
  if (names.sh_size > max_section_size || !within(names.sh_offset, names.sh_size, file_size)) {
    error = "truncated or corrupt ELF file: its section name table lies beyond the end of the file";
    return std::nullopt;
  }
  std::string name_table(names.sh_size, '\0');
  if (!read_at(in, names.sh_offset, name_table.data(), name_table.size())) {
    error = "unreadable ELF section names";
    return std::nullopt;
  }
  for (const Elf64_Shdr& s : sections) {
    if (s.sh_name >= name_table.size() || std::strcmp(name_table.c_str() + s.sh_name, ".tau_abi") != 0) continue;
    if (s.sh_size > max_section_size) {
      error = "its .tau_abi section is " + std::to_string(s.sh_size) +
              " bytes, more than the 16 MiB a tau ABI stamp may take (corrupt or not made by tau)";
      return std::nullopt;
    }
    if (s.sh_type == SHT_NOBITS || !within(s.sh_offset, s.sh_size, file_size)) {
      error = "truncated or corrupt ELF file: its .tau_abi section lies beyond the end of the file";
      return std::nullopt;
    }
    std::string stamp(s.sh_size, '\0');
    if (!read_at(in, s.sh_offset, stamp.data(), stamp.size())) {
      error = "unreadable .tau_abi section";
      return std::nullopt;
    }
    parse_records(stamp, error);
    if (!error.empty()) return std::nullopt;
    return stamp;
  }
  return std::nullopt;
}

std::string abi_stamp_difference(const std::string& plugin, const std::string& host) {
  std::string error;
  std::vector<stamp_record> records = parse_records(plugin, error);
  settings host_values;
  if (error.empty() && !parse_settings(host, host_values, error)) error = "the host's stamp " + error;
  if (!error.empty()) return error;
  // Units with the same settings and main file stamp identical records.
  std::set<std::string_view> seen;
  std::string first;
  size_t others = 0;
  for (const stamp_record& record : records) {
    if (!seen.insert(record.text).second) continue;
    std::string diff = record_difference(record.values, host_values);
    if (diff.empty()) continue;
    if (!first.empty()) {
      ++others;
      continue;
    }
    auto source = record.values.find("source");
    first = source == record.values.end() ? diff : source->second + ": " + diff;
  }
  if (others > 0) first += " (and " + std::to_string(others) + " more source" + (others > 1 ? "s" : "") + ")";
  return first;
}

}  // namespace tau::detail
