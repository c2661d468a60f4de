// Compiled into every plugin the plugin compiler builds: the ABI stamp that the
// host reads from the ".tau_abi" section before it loads the plugin.
#include <tau/abi_stamp.h>

[[gnu::used, gnu::retain, gnu::section(".tau_abi")]] static const char tau_abi_stamp[] = TAU_ABI_STAMP_TEXT;
