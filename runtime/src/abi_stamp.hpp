// abi_stamp.hpp: read a plugin's ABI stamp and compare it with the host's.
#pragma once

#include <optional>
#include <string>

namespace tau::detail {

// The stamp of this host: the settings a plugin must share with it.
const char* host_abi_stamp();

// The ".tau_abi" section of the ELF file at path: nullopt when it has none;
// error is set (and nullopt returned) when the file cannot be read as ELF.
std::optional<std::string> read_abi_stamp(const std::string& path, std::string& error);

// Empty when the stamps agree; otherwise names each differing setting, e.g.
// "cxx11_abi: plugin has 0, host has 1".
std::string abi_stamp_difference(const std::string& plugin, const std::string& host);

}  // namespace tau::detail
