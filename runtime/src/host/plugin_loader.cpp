// plugin_loader.cpp: dlopen a plugin, check it, and call its entry points.
#include "plugin_loader.hpp"

#include "abi_stamp.hpp"

#include <dlfcn.h>
#include <elf.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

namespace tau::detail {
namespace {

// Says what is wrong with a file that is not a loadable ELF shared object, before
// dlopen gives a vaguer answer.
std::string check_elf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::string("cannot open: ") + std::strerror(errno);
  Elf64_Ehdr header{};
  in.read(reinterpret_cast<char*>(&header), sizeof header);
  if (in.gcount() < static_cast<std::streamsize>(EI_NIDENT) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
    return "not an ELF shared object";
  const char* not_library = "an ELF file, but not a shared library (build it as a MODULE or SHARED library)";
  if (in.gcount() != sizeof header || header.e_type != ET_DYN) return not_library;
  // A position-independent executable is ET_DYN too; only it asks for an interpreter.
  for (int i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment{};
    in.seekg(static_cast<std::streamoff>(header.e_phoff + uint64_t(i) * header.e_phentsize));
    in.read(reinterpret_cast<char*>(&segment), sizeof segment);
    if (in.gcount() == sizeof segment && segment.p_type == PT_INTERP) return not_library;
  }
  return {};
}

template <class T>
bool read_at(std::ifstream& in, uint64_t offset, T* out, size_t count = 1) {
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(sizeof(T) * count));
  return static_cast<size_t>(in.gcount()) == sizeof(T) * count;
}

// Calls visit(symbol, name) for each entry of a 64-bit ELF file's symbol table of
// the given type (SHT_DYNSYM, the dynamic one; SHT_SYMTAB, the full one, which a
// stripped library lacks); false when it has no readable one.
template <class Visit>
bool for_each_symbol(const std::string& path, uint32_t table_type, Visit visit) {
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr header{};
  if (!read_at(in, 0, &header) || header.e_shentsize != sizeof(Elf64_Shdr) || header.e_shnum == 0) return false;
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  if (!read_at(in, header.e_shoff, sections.data(), sections.size())) return false;
  for (const Elf64_Shdr& table : sections) {
    if (table.sh_type != table_type || table.sh_entsize != sizeof(Elf64_Sym) || table.sh_link >= sections.size())
      continue;
    std::vector<Elf64_Sym> symbols(table.sh_size / sizeof(Elf64_Sym));
    std::string names(sections[table.sh_link].sh_size, '\0');
    if (!read_at(in, table.sh_offset, symbols.data(), symbols.size()) ||
        !read_at(in, sections[table.sh_link].sh_offset, names.data(), names.size()))
      return false;
    for (const Elf64_Sym& symbol : symbols)
      if (symbol.st_name < names.size()) visit(symbol, names.c_str() + symbol.st_name);
    return true;
  }
  return false;
}

template <class Visit>
bool for_each_dynamic_symbol(const std::string& path, Visit visit) {
  return for_each_symbol(path, SHT_DYNSYM, visit);
}

bool defined(const Elf64_Sym& symbol) { return symbol.st_shndx != SHN_UNDEF; }

// What a library's entry point is, read from its symbol tables without running it:
// its own plugin_init, or the program adapter's (runtime/plugin/program_adapter.cpp,
// which plugin_init aliases weakly) in front of a main.
enum class entry_point { unknown, none, plugin, program, plugin_and_main, neither };

entry_point entry_point_of(const std::string& path) {
  std::optional<Elf64_Addr> plugin_init, adapter_init;
  bool readable = for_each_dynamic_symbol(path, [&](const Elf64_Sym& symbol, const char* name) {
    if (!defined(symbol) || ELF64_ST_BIND(symbol.st_info) == STB_LOCAL) return;
    if (std::strcmp(name, "plugin_init") == 0) plugin_init = symbol.st_value;
    else if (std::strcmp(name, "tau_program_plugin_init") == 0) adapter_init = symbol.st_value;
  });
  if (!readable) return entry_point::unknown;  // dlsym decides
  if (!plugin_init) return entry_point::none;
  if (!adapter_init) return entry_point::plugin;
  bool has_main = false;
  // main is hidden in a plugin: only the full symbol table shows it.
  bool full = for_each_symbol(path, SHT_SYMTAB, [&](const Elf64_Sym& symbol, const char* name) {
    has_main |= defined(symbol) && ELF64_ST_TYPE(symbol.st_info) == STT_FUNC && std::strcmp(name, "main") == 0;
  });
  if (*plugin_init != *adapter_init) return has_main ? entry_point::plugin_and_main : entry_point::plugin;
  if (!full) return entry_point::program;  // stripped: the adapter's plugin_init says if main is missing
  return has_main ? entry_point::program : entry_point::neither;
}

// What the program adapter's plugin_init answers when the plugin has no main.
constexpr int program_without_main = 127;

constexpr const char* no_entry_point =
    "defines neither plugin_init nor main (a plugin defines extern \"C\" int plugin_init(PluginHooks*), "
    "declared in <tau/plugin.h>; a program defines main)";

// Libraries whose plugin_init ran but which were refused: what init started on the
// loop may still call into them, so they are unmapped only after the runtime closed.
struct refused_library {
  void* library;
  owner_id owner;
};
std::vector<refused_library> g_refused_libraries;

}  // namespace

bool check_plugin_library(const plugin_library& library, const load_options& options, std::string& error) {
  const std::string& path = library.path;
  if (std::string problem = check_elf(path); !problem.empty()) {
    error = problem;
    return false;
  }
  std::optional<std::string> stamp = read_abi_stamp(path, error);
  if (!error.empty()) return false;
  if (!stamp && !options.allow_unstamped) {
    error = library.built_from_source
                ? "has no tau ABI stamp, although tau's plugin compiler built it (does its CMake project drop "
                  "the .tau_abi section?); pass --allow-unstamped to load it anyway"
                : "has no tau ABI stamp (it was not built by tau's plugin compiler); build it with "
                  "`tau build SOURCE`, or pass --allow-unstamped to load it anyway";
    return false;
  }
  if (stamp) {
    if (std::string diff = abi_stamp_difference(*stamp, host_abi_stamp()); !diff.empty()) {
      error = "built with ABI settings this host does not share (" + diff +
              (library.built_from_source
                   ? "); its own CMake project changes them (a compile definition or flag): remove that setting"
                   : "); rebuild it from source with this host (`tau build SOURCE`, or `tau clean` to drop stale "
                     "builds)");
      return false;
    }
  }
  entry_point entry = entry_point_of(path);
  if (entry == entry_point::none) {
    error = "does not export plugin_init (define extern \"C\" int plugin_init(PluginHooks*), declared in <tau/plugin.h>)";
    return false;
  }
  if (entry == entry_point::neither) {
    error = no_entry_point;
    return false;
  }
  return true;
}

std::optional<loaded_plugin> load_plugin(const plugin_library& library_file, const load_options& options,
                                         std::string& error) {
  const std::string& path = library_file.path;
  if (!check_plugin_library(library_file, options, error)) return std::nullopt;
  // RTLD_NOW: a plugin that needs a tau_* symbol this host lacks fails here, not later.
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    // dlerror() says "PATH: reason"; the caller names the plugin already.
    std::string reason = dlerror();
    if (reason.rfind(path + ": ", 0) == 0) reason.erase(0, path.size() + 2);
    error = "cannot load: " + reason;
    return std::nullopt;
  }
  auto init = reinterpret_cast<tau_plugin_init_fn>(dlsym(library, "plugin_init"));
  if (init == nullptr) {
    dlclose(library);
    error = "does not export plugin_init (define extern \"C\" int plugin_init(PluginHooks*), declared in <tau/plugin.h>)";
    return std::nullopt;
  }
  entry_point entry = entry_point_of(path);
  if (entry == entry_point::plugin_and_main)
    std::fprintf(stderr, "tau: plugin '%s' defines both plugin_init and main: it runs as a plugin (its plugin_init); "
                 "main is not called\n", library_file.name.c_str());
  loaded_plugin plugin;
  plugin.path = path;
  plugin.library = library;
  plugin.program = entry == entry_point::program;
  plugin.destroy = reinterpret_cast<tau_plugin_destroy_fn>(dlsym(library, "plugin_destroy"));
  plugin.owner = register_owner(library_file.name);
  record_plugin_library(plugin.owner, library);
  plugin.hooks.struct_size = sizeof(PluginHooks);
  plugin.hooks.abi_version = TAU_ABI_VERSION;

  int rc = -1;
  bool returned = guarded_call(plugin.owner, "plugin_init", [&] { rc = init(&plugin.hooks); });
  if (!returned || rc != 0 || plugin.hooks.process == nullptr) {
    if (!returned) error = "plugin_init threw an exception";
    else if (rc == program_without_main && plugin.program) error = no_entry_point;  // a stripped library
    else if (rc != 0) error = "plugin_init failed with code " + std::to_string(rc);
    else error = "plugin_init did not set hooks->process";
    if (returned && rc == 0 && plugin.destroy != nullptr)
      guarded_call(plugin.owner, "plugin_destroy", [&] { plugin.destroy(); });
    g_refused_libraries.push_back({library, plugin.owner});
    return std::nullopt;
  }
  return plugin;
}

void destroy_plugin(loaded_plugin& plugin) {
  if (plugin.library != nullptr && plugin.destroy != nullptr)
    guarded_call(plugin.owner, "plugin_destroy", [&] { plugin.destroy(); });
  plugin.destroy = nullptr;
}

size_t unique_symbols(const std::string& path) {
  size_t count = 0;
  for_each_dynamic_symbol(path, [&](const Elf64_Sym& symbol, const char*) {
    count += ELF64_ST_BIND(symbol.st_info) == STB_GNU_UNIQUE && symbol.st_shndx != SHN_UNDEF;
  });
  return count;
}

void close_refused_plugin_libraries() {
  for (const refused_library& refused : g_refused_libraries) {
    forget_plugin_library(refused.owner);
    dlclose(refused.library);
  }
  g_refused_libraries.clear();
}

void close_plugin_library(loaded_plugin& plugin) {
  if (plugin.library == nullptr) return;
  forget_plugin_library(plugin.owner);
  dlclose(plugin.library);
  plugin.library = nullptr;
}

}  // namespace tau::detail
