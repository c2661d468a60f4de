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
install(PROGRAMS scripts/run.sh DESTINATION .)
