/* abi_stamp_record.h: force-included (-include) into every C and C++ translation
 * unit of a plugin by tau's CMake files (TauPlugin.cmake). It puts this unit's ABI
 * stamp record in the ELF section ".tau_abi": "source=<the unit's main file>",
 * then the settings of abi_stamp.h, NUL-terminated. The linker concatenates the
 * records of all units; the host checks each one before it loads the plugin.
 *
 * Being included first, it sees the settings given on the command line (the way
 * build systems set them), not a #define further down a source file.
 */
#ifndef TAU_ABI_STAMP_RECORD_H
#define TAU_ABI_STAMP_RECORD_H

#include "abi_stamp.h"

/* Internal linkage, so every unit has its own; "used" keeps it (and silences
 * unused-variable warnings), "retain" keeps it through the linker's --gc-sections. */
__attribute__((used, retain, section(".tau_abi"))) static const char tau_abi_stamp_record_[] =
    "source=" __BASE_FILE__ "\n" TAU_ABI_STAMP_TEXT;

/* The plugin's DSO handle (one definition for the plugin: weak in every unit). The
 * host unloading the plugin while the loop runs runs its static destructors with
 * __cxa_finalize before dlclose, so that what they post to the loop still finds
 * the plugin's code mapped. */
#ifdef __cplusplus
extern "C" {
/* A const at namespace scope has internal linkage in C++ unless declared extern. */
#define TAU_PLUGIN_DSO_HANDLE_LINKAGE extern
#else
#define TAU_PLUGIN_DSO_HANDLE_LINKAGE
#endif
extern void* __dso_handle __attribute__((visibility("hidden")));
TAU_PLUGIN_DSO_HANDLE_LINKAGE __attribute__((weak, visibility("default"))) void* const tau_plugin_dso_handle =
    &__dso_handle;
#undef TAU_PLUGIN_DSO_HANDLE_LINKAGE
#ifdef __cplusplus
}
#endif

#endif /* TAU_ABI_STAMP_RECORD_H */
