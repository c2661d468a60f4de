# cpprest.cmake: cpprestsdk 2.10.18, compiled from Debian's source package as a
# static library `cpprest` for a plugin project (tau's plugin compiler gives it the
# plugin's settings: the shim's Asio headers first, PIC, the ABI stamp).
#
# Its own CMake list is not used: it looks for Boost's compiled components
# (random, thread, filesystem, chrono, atomic, date_time, regex) that it does not
# need with Boost 1.81 and that are not all installed, and it builds with -Werror.
# The files are those its Release/src/CMakeLists.txt picks on Linux (asio HTTP
# client and listener, the websocketpp WebSocket client, pplx on Linux, posix file
# streams), with zlib compression and without Brotli, as Debian builds it
# except for Brotli.
include_guard(GLOBAL)
include("${CMAKE_CURRENT_LIST_DIR}/compat.cmake")

compat_debian_source(CPPREST_DIR cpprest 2.10.18-1)
set(_cpprest_src "${CPPREST_DIR}/Release/src")
set(_cpprest_files
  http/client/http_client.cpp
  http/client/http_client_msg.cpp
  http/client/http_client_asio.cpp
  http/client/x509_cert_utilities.cpp
  http/common/http_compression.cpp
  http/common/http_helpers.cpp
  http/common/http_msg.cpp
  http/listener/http_listener.cpp
  http/listener/http_listener_msg.cpp
  http/listener/http_server_api.cpp
  http/listener/http_server_asio.cpp
  http/oauth/oauth1.cpp
  http/oauth/oauth2.cpp
  json/json.cpp
  json/json_parsing.cpp
  json/json_serialization.cpp
  pplx/pplx.cpp
  pplx/pplxlinux.cpp
  pplx/threadpool.cpp
  streams/fileio_posix.cpp
  uri/uri.cpp
  uri/uri_builder.cpp
  utilities/asyncrt_utils.cpp
  utilities/base64.cpp
  utilities/web_utilities.cpp
  websockets/client/ws_client.cpp
  websockets/client/ws_client_wspp.cpp
  websockets/client/ws_msg.cpp)
list(TRANSFORM _cpprest_files PREPEND "${_cpprest_src}/")
add_library(cpprest STATIC ${_cpprest_files})
target_include_directories(cpprest PUBLIC "${CPPREST_DIR}/Release/include" PRIVATE "${_cpprest_src}/pch")
target_compile_definitions(cpprest
  PUBLIC CPPREST_FORCE_HTTP_CLIENT_ASIO CPPREST_FORCE_HTTP_LISTENER_ASIO
  PRIVATE CPPREST_EXCLUDE_BROTLI=1)
# websocketpp 0.8.2's headers are not C++20 (template-ids on constructors and
# destructors): the one file that includes them is compiled as C++17.
set_source_files_properties("${_cpprest_src}/websockets/client/ws_client_wspp.cpp"
  PROPERTIES COMPILE_OPTIONS "-std=gnu++17")
# Third-party code: its warnings are not ours to fix.
target_compile_options(cpprest PRIVATE -w)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
target_link_libraries(cpprest PUBLIC OpenSSL::SSL OpenSSL::Crypto ZLIB::ZLIB Threads::Threads)
