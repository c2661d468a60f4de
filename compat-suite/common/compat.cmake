# compat.cmake: what a compat-suite case's CMakeLists.txt includes. It only makes
# ordinary MODULE libraries; tau's plugin compiler turns them into plugins (shim
# headers first, the host's flags, the ABI stamp).
#
#   compat_upstream_plugin(NAME
#     MAIN   <file holding main(), relative to the examples root>
#     [SOURCES <more upstream files>...]
#     [INCLUDES <upstream directories>...]
#     [LIBS OpenSSL Threads Context])   (Context: Boost.Context and
#                                      Boost.Coroutine, for asio::spawn)
#
# Upstream files are read from the installed libboost1.81-doc package, never copied.
include_guard(GLOBAL)

set(TAU_COMPAT_EXAMPLES "/usr/share/doc/libboost1.81-doc/examples/libs"
    CACHE PATH "Where libboost1.81-doc installed the Asio and Beast examples")
set(TAU_COMPAT_COMMON "${CMAKE_CURRENT_LIST_DIR}")

function(compat_upstream_plugin name)
  cmake_parse_arguments(ARG "" "MAIN" "SOURCES;INCLUDES;LIBS" ${ARGN})
  set(main "${TAU_COMPAT_EXAMPLES}/${ARG_MAIN}")
  if(NOT EXISTS "${main}")
    message(FATAL_ERROR "upstream source ${main} not found: install libboost1.81-doc")
  endif()
  set(sources "${TAU_COMPAT_COMMON}/adapter/upstream_main.cpp")
  foreach(s ${ARG_SOURCES})
    list(APPEND sources "${TAU_COMPAT_EXAMPLES}/${s}")
  endforeach()
  add_library(${name} MODULE ${sources})
  target_compile_definitions(${name} PRIVATE
    TAU_COMPAT_NAME="${name}" TAU_COMPAT_UPSTREAM="${main}")
  # Our headers (the adapter; Beast's example/common certificate helpers, shadowed
  # so the test's own certificate is used), then the upstream tree.
  target_include_directories(${name} PRIVATE
    "${TAU_COMPAT_COMMON}/include" "${TAU_COMPAT_COMMON}/beast-example-shadow"
    ${ARG_INCLUDES})
  _compat_link(${name} ${ARG_LIBS})
endfunction()

#   compat_program_plugin(NAME MAIN file [SOURCES more...] [LIBS ...]): like
#   compat_upstream_plugin, for a program written here (MAIN relative to the case's
#   folder): its main() runs on a thread of its own through the same adapter.
function(compat_program_plugin name)
  cmake_parse_arguments(ARG "" "MAIN" "SOURCES;LIBS" ${ARGN})
  get_filename_component(main "${ARG_MAIN}" ABSOLUTE)
  add_library(${name} MODULE "${TAU_COMPAT_COMMON}/adapter/upstream_main.cpp" ${ARG_SOURCES})
  target_compile_definitions(${name} PRIVATE TAU_COMPAT_NAME="${name}" TAU_COMPAT_UPSTREAM="${main}")
  target_include_directories(${name} PRIVATE "${TAU_COMPAT_COMMON}/include")
  _compat_link(${name} ${ARG_LIBS})
endfunction()

#   compat_debian_source(VAR PACKAGE VERSION): sets VAR to the unpacked tree of a
#   pinned Debian source package (harness/debian_source.py: apt-get source with a
#   private apt configuration, cached in $TAU_COMPAT_SOURCES, else build/compat-sources).
#   A third-party library's sources are read from there, never copied.
function(compat_debian_source var package version)
  execute_process(
    COMMAND python3 "${TAU_COMPAT_COMMON}/../../harness/debian_source.py" ${package} ${version}
    OUTPUT_VARIABLE tree ERROR_VARIABLE problem RESULT_VARIABLE status OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${problem}")
  endif()
  set(${var} "${tree}" PARENT_SCOPE)
endfunction()

#   compat_plugin(NAME SOURCES... [LIBS ...]): a plugin written here.
function(compat_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  target_compile_definitions(${name} PRIVATE TAU_COMPAT_NAME="${name}")
  target_include_directories(${name} PRIVATE "${TAU_COMPAT_COMMON}/include")
  _compat_link(${name} ${ARG_LIBS})
endfunction()

function(_compat_link name)
  foreach(lib ${ARGN})
    if(lib STREQUAL "OpenSSL")
      find_package(OpenSSL REQUIRED)
      target_link_libraries(${name} PRIVATE OpenSSL::SSL OpenSSL::Crypto)
    elseif(lib STREQUAL "Threads")
      find_package(Threads REQUIRED)
      target_link_libraries(${name} PRIVATE Threads::Threads)
    elseif(lib STREQUAL "Context")
      # spawn's deprecated overloads (taking coroutines::attributes, which Beast's
      # coro examples use) need Boost.Coroutine as well.
      find_package(Boost 1.81 EXACT REQUIRED COMPONENTS context coroutine)
      target_link_libraries(${name} PRIVATE Boost::context Boost::coroutine)
    else()
      message(FATAL_ERROR "compat_upstream_plugin: unknown library ${lib}")
    endif()
  endforeach()
endfunction()
