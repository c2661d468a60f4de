# TauPlugin.cmake: makes a library target a tau plugin: tau's and the shim's headers
# first on the include path, the host's ABI-relevant flags, and the ABI stamp.
include_guard(GLOBAL)
include("${CMAKE_CURRENT_LIST_DIR}/TauPluginSettings.cmake")

# The compile side of a plugin, for every target whose code ends up in one: the
# plugin itself, and the static and object libraries of its project (a third-party
# library built from source into the plugin).
function(tau_plugin_compile_settings target)
  # -isystem, ahead of every other directory: the shim's Asio headers must win over
  # the system Boost ones in every translation unit.
  target_include_directories(${target} SYSTEM BEFORE PRIVATE ${TAU_SHIM_INCLUDE_DIR} ${TAU_INCLUDE_DIR})
  # The plugin's own C++ standard (CMAKE_CXX_STANDARD, the CXX_STANDARD property or a
  # -std option) wins; C++20, which tau.hpp needs, when it names none.
  get_target_property(standard ${target} CXX_STANDARD)
  if(NOT standard)
    set_target_properties(${target} PROPERTIES CXX_STANDARD 20)
  endif()
  # Every C and C++ translation unit stamps its own record into .tau_abi.
  target_compile_options(${target} PRIVATE ${TAU_PLUGIN_COMPILE_OPTIONS}
    "$<$<COMPILE_LANGUAGE:C,CXX>:SHELL:-include \"${TAU_INCLUDE_DIR}/tau/abi_stamp_record.h\">")
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

function(tau_plugin_target target)
  tau_plugin_compile_settings(${target})
  target_link_options(${target} PRIVATE ${TAU_PLUGIN_LINK_OPTIONS})
endfunction()

# tau_add_plugin(NAME SOURCES...): a MODULE library built as a tau plugin.
function(tau_add_plugin name)
  add_library(${name} MODULE ${ARGN})
  tau_plugin_target(${name})
endfunction()

# tau_program(TARGET): TARGET, a MODULE library, is a program: its main runs as the
# plugin (runtime/plugin/program_adapter.cpp). Single-file plugins get it always.
function(tau_program target)
  target_sources(${target} PRIVATE ${TAU_PROGRAM_ADAPTER})
endfunction()
