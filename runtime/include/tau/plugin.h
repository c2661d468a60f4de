/* plugin.h: what a tau plugin exports.
 *
 *   int plugin_init(PluginHooks* hooks);   // fill hooks, 0 = ok
 *   void plugin_destroy(void);             // after all work ended (optional)
 *
 * The host zero-fills the hooks and sets struct_size and abi_version before calling
 * plugin_init. New hooks are only ever appended, so a plugin built against an older
 * header fills a prefix and leaves the rest NULL.
 */
#ifndef TAU_PLUGIN_H
#define TAU_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "tau.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TAU_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef struct tau_plugin_hooks {
  uint32_t struct_size; /* sizeof(PluginHooks) as the host knows it */
  uint32_t abi_version; /* the host's TAU_ABI_VERSION */
  /* Starts the plugin's work on the input bytes (valid only during the call) and
   * returns the id of the task that represents it, or 0 when the work needs no
   * task (it lives on the loop as timers or sockets). */
  tau_task_id (*process)(const uint8_t* data, size_t len);

  /* Optional: state handed from a running build to the one that replaces it on a
   * reload (SIGHUP, --watch, the control socket's reload). snapshot runs on the old
   * build just before it is unloaded, while all its objects still live, and writes
   * the state with tau_state_write and tau_state_add_fd (tau.h). restore runs on
   * the new build after its plugin_init and before its process, only when the old
   * build handed over something: the bytes (valid during the call) and the
   * descriptors, which are the new build's from then on (it closes those it does
   * not keep). Without a restore hook the state is dropped (and said so). */
  void (*snapshot)(tau_state_t* state);
  void (*restore)(const uint8_t* data, size_t len, const int* fds, size_t fd_count);
} PluginHooks;

typedef int (*tau_plugin_init_fn)(PluginHooks* hooks);
typedef void (*tau_plugin_destroy_fn)(void);

/* Declared here with default visibility, so that plain definitions (without
 * TAU_PLUGIN_EXPORT) are exported too, even under -fvisibility=hidden. */
TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks);
TAU_PLUGIN_EXPORT void plugin_destroy(void);

#ifdef __cplusplus
}
#endif

#endif /* TAU_PLUGIN_H */
