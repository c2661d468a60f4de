# TauInject.cmake: the plugin compiler passes this as CMAKE_PROJECT_INCLUDE when it
# builds a plugin's own CMake project, which does not mention tau. Once the whole
# project is read, every shared or module library in it becomes a tau plugin, its
# static and object libraries get the plugin's compile settings (a library built
# from source into the plugin: the shim first there too, the ABI stamp), and
# tau-plugin-artifacts.txt lists the plugins so the compiler knows what was built.
include_guard(GLOBAL)
include("${CMAKE_CURRENT_LIST_DIR}/TauPlugin.cmake")

function(_tau_collect_targets dir out)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub ${subdirs})
    _tau_collect_targets("${sub}" sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

function(_tau_make_plugins)
  _tau_collect_targets("${CMAKE_SOURCE_DIR}" targets)
  set(listing "")
  foreach(target ${targets})
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "MODULE_LIBRARY" OR type STREQUAL "SHARED_LIBRARY")
      tau_plugin_target(${target})
      string(APPEND listing "${type}\t${target}\t$<TARGET_FILE:${target}>\n")
    elseif(type STREQUAL "STATIC_LIBRARY" OR type STREQUAL "OBJECT_LIBRARY")
      tau_plugin_compile_settings(${target})
    endif()
  endforeach()
  file(GENERATE OUTPUT "${CMAKE_BINARY_DIR}/tau-plugin-artifacts.txt" CONTENT "${listing}")
endfunction()

cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _tau_make_plugins)
