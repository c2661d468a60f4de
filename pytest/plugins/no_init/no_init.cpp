// A shared library that is not a tau plugin: it exports no plugin_init.
extern "C" __attribute__((visibility("default"))) int not_a_plugin() { return 1; }
