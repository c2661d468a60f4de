// plugin_init refuses to start.
#include <tau/plugin.h>

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks*) { return 7; }
