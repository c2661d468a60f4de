# TauPackage.cmake: the files the plugin compiler and find_package(Tau) use, laid
# out under share/tau/cmake both in the build tree (absolute paths into the source
# tree) and in an installed dist/ (paths relative to the files themselves).
set(_tau_cmake_files TauPlugin.cmake TauInject.cmake TauConfig.cmake)
set(TAU_BUILD_CMAKE_DIR ${PROJECT_BINARY_DIR}/share/tau/cmake)

set(TAU_SETTINGS_PATHS "\
set(TAU_INCLUDE_DIR \"${PROJECT_SOURCE_DIR}/runtime/include\")
set(TAU_SHIM_INCLUDE_DIR \"${PROJECT_SOURCE_DIR}/shim/include\")
set(TAU_PROGRAM_ADAPTER \"${PROJECT_SOURCE_DIR}/runtime/plugin/program_adapter.cpp\")")
configure_file(cmake/TauPluginSettings.cmake.in ${TAU_BUILD_CMAKE_DIR}/TauPluginSettings.cmake @ONLY)
foreach(file ${_tau_cmake_files})
  configure_file(cmake/${file} ${TAU_BUILD_CMAKE_DIR}/${file} COPYONLY)
endforeach()

set(TAU_SETTINGS_PATHS "\
get_filename_component(_tau_prefix \"\${CMAKE_CURRENT_LIST_DIR}/../../..\" ABSOLUTE)
set(TAU_INCLUDE_DIR \"\${_tau_prefix}/include\")
set(TAU_SHIM_INCLUDE_DIR \"\${_tau_prefix}/include/tau-shim\")
set(TAU_PROGRAM_ADAPTER \"\${_tau_prefix}/share/tau/program_adapter.cpp\")")
configure_file(cmake/TauPluginSettings.cmake.in ${PROJECT_BINARY_DIR}/install/TauPluginSettings.cmake @ONLY)

# The same settings for a plugin built without CMake, as compiler flags: tau.pc
# (pkg-config) and `tau --info --json`. {include} and {shim} stand for tau's and the
# shim's include directories, which differ between the build tree and dist/. The
# stamp's header is found on the include path: pkg-config does not quote the
# argument of -include, so a path with a space would break.
string(JOIN " " TAU_PLUGIN_CFLAGS -std=c++${CMAKE_CXX_STANDARD} -fPIC -isystem {shim} -isystem {include}
  ${TAU_PLUGIN_COMPILE_OPTIONS} -include tau/abi_stamp_record.h)
string(JOIN " " TAU_PLUGIN_LDFLAGS -shared ${TAU_PLUGIN_LINK_OPTIONS})
string(REPLACE "{include}" "\${includedir}" TAU_PC_CFLAGS "${TAU_PLUGIN_CFLAGS}")
string(REPLACE "{shim}" "\${shimincludedir}" TAU_PC_CFLAGS "${TAU_PC_CFLAGS}")
set(TAU_PC_LDFLAGS "${TAU_PLUGIN_LDFLAGS}")
set(TAU_PC_PATHS "\
includedir=${PROJECT_SOURCE_DIR}/runtime/include
shimincludedir=${PROJECT_SOURCE_DIR}/shim/include")
configure_file(cmake/tau.pc.in ${PROJECT_BINARY_DIR}/lib/pkgconfig/tau.pc @ONLY)
set(TAU_PC_PATHS "\
prefix=\${pcfiledir}/../..
includedir=\${prefix}/include
shimincludedir=\${prefix}/include/tau-shim")
configure_file(cmake/tau.pc.in ${PROJECT_BINARY_DIR}/install/tau.pc @ONLY)

include(CMakePackageConfigHelpers)
write_basic_package_version_file(${TAU_BUILD_CMAKE_DIR}/TauConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ExactVersion)

include(${TAU_BUILD_CMAKE_DIR}/TauPlugin.cmake)

# dist/: cmake --install build --prefix dist
install(DIRECTORY runtime/include/tau DESTINATION include)
install(DIRECTORY shim/include/ DESTINATION include/tau-shim)
list(TRANSFORM _tau_cmake_files PREPEND cmake/)
install(FILES ${_tau_cmake_files} ${PROJECT_BINARY_DIR}/install/TauPluginSettings.cmake
  ${TAU_BUILD_CMAKE_DIR}/TauConfigVersion.cmake DESTINATION share/tau/cmake)
install(FILES runtime/plugin/program_adapter.cpp DESTINATION share/tau)
install(FILES ${PROJECT_BINARY_DIR}/install/tau.pc DESTINATION lib/pkgconfig)
install(PROGRAMS scripts/run.sh DESTINATION .)
