# TauConfig.cmake: find_package(Tau) for a CMake project that builds tau plugins by
# itself. Gives tau_add_plugin(NAME SOURCES...) and tau_plugin_target(TARGET).
# Build with the host's compiler (TAU_HOST_CXX_COMPILER) or the ABI stamp will
# tell the host what differs.
include("${CMAKE_CURRENT_LIST_DIR}/TauPlugin.cmake")
set(Tau_FOUND TRUE)
