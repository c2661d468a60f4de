// tau_compat/probe.hpp: the frame of an API probe (a compat-suite case written
// here to exercise one Asio API). A probe is host-driven, like a real plugin:
// TAU_COMPAT_PROBE(start) makes process() call start(io), which starts Asio work
// on the plugin's io_context and returns; the host's loop runs that work. The
// probe prints "probe: ..." lines, calls done() at the end, and reports a broken
// expectation by throwing from a handler (the host fails the plugin, exit 1).
// Objects it keeps between handlers come from make<T>(...), so that they are
// destroyed before the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <tau/plugin.h>
#include <tau/tau.h>
#include <tau_compat/args.hpp>

#include <cstdarg>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tau_compat::probe {

inline std::unique_ptr<boost::asio::io_context>& context() {
  static std::unique_ptr<boost::asio::io_context> io;
  return io;
}

// What make() created, destroyed in plugin_destroy (last made first) before the
// io_context.
inline std::vector<std::shared_ptr<void>>& kept() {
  static std::vector<std::shared_ptr<void>> objects;
  return objects;
}

// Makes an object the probe keeps between handlers (an I/O object, a pool); it
// lives until plugin_destroy and goes before the io_context it uses.
template <class T, class... Args>
T* make(Args&&... args) {
  auto object = std::make_shared<T>(std::forward<Args>(args)...);
  kept().push_back(object);
  return object.get();
}

inline bool& finished() {
  static bool done = false;
  return done;
}

inline void say(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::printf("probe: ");
  std::vprintf(format, args);
  std::printf("\n");
  std::fflush(stdout);
  va_end(args);
}

// Throws (from a handler: the host reports it against the plugin) unless ok.
inline void expect(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("probe: expected " + what);
  say("ok: %s", what.c_str());
}

// Handlers must run on the host's loop thread.
inline void expect_loop_thread(const char* where) {
  if (!tau_on_loop_thread()) throw std::runtime_error(std::string("probe: ") + where + " ran off the loop thread");
}

inline void done() {
  finished() = true;
  say("done");
}

// start(io), or start(io, args) for a probe that takes arguments (its command line,
// the plugin's name first).
template <class Start>
void call_start(Start start, boost::asio::io_context& io, const uint8_t* data, size_t len) {
  if constexpr (std::is_invocable_v<Start, boost::asio::io_context&, const std::vector<std::string>&>)
    start(io, tau_compat::arguments_for(TAU_COMPAT_NAME, std::string_view(reinterpret_cast<const char*>(data), len)));
  else
    start(io);
}

}  // namespace tau_compat::probe

#define TAU_COMPAT_PROBE(start)                                                                   \
  static tau_task_id tau_compat_probe_process(const uint8_t* data, size_t len) {                \
    auto& io = tau_compat::probe::context();                                                      \
    io = std::make_unique<boost::asio::io_context>();                                             \
    tau_compat::probe::call_start(start, *io, data, len);                                         \
    return 0;                                                                                     \
  }                                                                                               \
  extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {                              \
    hooks->process = tau_compat_probe_process;                                                    \
    return 0;                                                                                     \
  }                                                                                               \
  extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {                                            \
    if (!tau_compat::probe::finished()) std::fprintf(stderr, "tau-compat: probe did not finish\n"); \
    while (!tau_compat::probe::kept().empty()) tau_compat::probe::kept().pop_back();              \
    tau_compat::probe::context().reset();                                                         \
  }
