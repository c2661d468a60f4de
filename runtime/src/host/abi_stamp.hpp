// abi_stamp.hpp: read a plugin's ABI stamp and compare it with the host's.
#pragma once

#include <optional>
#include <string>

namespace tau::detail {

// The stamp of this host: the settings a plugin must share with it (one record's
// settings, without the "source=" line).
const char* host_abi_stamp();

// The ".tau_abi" section of the ELF file at path, its records checked for form:
// nullopt when it has none; error is set (and nullopt returned) when the file cannot
// be read as ELF, or the section is too large, out of the file's bounds or malformed.
std::optional<std::string> read_abi_stamp(const std::string& path, std::string& error);

// Empty when every record of the plugin's stamp agrees with the host on the settings
// that are compared; otherwise names the first differing source and its settings,
// e.g. "src/p.cpp: cxx11_abi: plugin has 0, host has 1".
std::string abi_stamp_difference(const std::string& plugin, const std::string& host);

}  // namespace tau::detail
