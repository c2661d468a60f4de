/* abi_stamp.h: the ABI-relevant settings of a translation unit, read from the
 * compiler's own predefined macros when this header is compiled.
 *
 * The host compiles it into itself; every C and C++ unit of a plugin includes it
 * through tau/abi_stamp_record.h, which puts the unit's record in the ELF section
 * ".tau_abi". At load time the host compares each record with its own settings, so
 * a mismatch names the source and the setting that differs. One "key=value" per
 * line; which keys are compared, and why, is in abi_stamp.cpp and the README.
 */
#ifndef TAU_ABI_STAMP_H
#define TAU_ABI_STAMP_H

#include <boost/version.hpp>
#ifdef __cplusplus
#include <cstddef> /* defines _GLIBCXX_USE_CXX11_ABI */
#endif

#include "tau.h"

#define TAU_STAMP_STR_(x) #x
#define TAU_STAMP_STR(x) TAU_STAMP_STR_(x)

#if defined(__clang__)
#define TAU_STAMP_COMPILER "clang " TAU_STAMP_STR(__clang_major__)
#elif defined(__GNUC__)
#define TAU_STAMP_COMPILER "gcc " TAU_STAMP_STR(__GNUC__)
#else
#define TAU_STAMP_COMPILER "unknown"
#endif

#if defined(__cplusplus)
#define TAU_STAMP_CPLUSPLUS TAU_STAMP_STR(__cplusplus)
#else
#define TAU_STAMP_CPLUSPLUS "none"
#endif

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define TAU_STAMP_CXX11_ABI TAU_STAMP_STR(_GLIBCXX_USE_CXX11_ABI)
#else
#define TAU_STAMP_CXX11_ABI "default"
#endif

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define TAU_STAMP_EXCEPTIONS "on"
#else
#define TAU_STAMP_EXCEPTIONS "off"
#endif

#if defined(__GXX_RTTI) || defined(__cpp_rtti)
#define TAU_STAMP_RTTI "on"
#else
#define TAU_STAMP_RTTI "off"
#endif

#if defined(_GLIBCXX_DEBUG)
#define TAU_STAMP_GLIBCXX_DEBUG "on"
#else
#define TAU_STAMP_GLIBCXX_DEBUG "off"
#endif

#if defined(_GLIBCXX_ASSERTIONS)
#define TAU_STAMP_GLIBCXX_ASSERTIONS "on"
#else
#define TAU_STAMP_GLIBCXX_ASSERTIONS "off"
#endif

#if defined(__SANITIZE_ADDRESS__)
#define TAU_STAMP_ASAN "on"
#else
#define TAU_STAMP_ASAN "off"
#endif

#if defined(__SANITIZE_THREAD__)
#define TAU_STAMP_TSAN "on"
#else
#define TAU_STAMP_TSAN "off"
#endif

#if defined(__PIC__)
#define TAU_STAMP_PIC "on"
#else
#define TAU_STAMP_PIC "off"
#endif

/* Bumped whenever the shim's headers change in a way plugins must be rebuilt for. */
#define TAU_SHIM_VERSION 2

/* The layout of .tau_abi: 2 is one NUL-terminated record per translation unit,
 * starting with "source=". Stamps without this key are format 1 (one record for
 * the whole library). */
#define TAU_STAMP_FORMAT 2

#define TAU_ABI_STAMP_TEXT                                          \
  "stamp_format=" TAU_STAMP_STR(TAU_STAMP_FORMAT) "\n"              \
  "tau_abi=" TAU_STAMP_STR(TAU_ABI_VERSION) "\n"                    \
  "compiler=" TAU_STAMP_COMPILER "\n"                               \
  "cplusplus=" TAU_STAMP_CPLUSPLUS "\n"                             \
  "cxx11_abi=" TAU_STAMP_CXX11_ABI "\n"                             \
  "exceptions=" TAU_STAMP_EXCEPTIONS "\n"                           \
  "rtti=" TAU_STAMP_RTTI "\n"                                       \
  "glibcxx_debug=" TAU_STAMP_GLIBCXX_DEBUG "\n"                     \
  "glibcxx_assertions=" TAU_STAMP_GLIBCXX_ASSERTIONS "\n"           \
  "address_sanitizer=" TAU_STAMP_ASAN "\n"                          \
  "thread_sanitizer=" TAU_STAMP_TSAN "\n"                           \
  "pic=" TAU_STAMP_PIC "\n"                                         \
  "boost=" TAU_STAMP_STR(BOOST_VERSION) "\n"                        \
  "shim=" TAU_STAMP_STR(TAU_SHIM_VERSION) "\n"

#endif /* TAU_ABI_STAMP_H */
