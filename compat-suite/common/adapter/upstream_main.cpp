// upstream_main.cpp: the translation unit of an adapted upstream program that holds
// its main(). The upstream file is included unmodified from the installed package
// (TAU_COMPAT_UPSTREAM, set by compat.cmake). Its main keeps its name: in a plugin,
// built with hidden visibility and -Bsymbolic, it is a local function the adapter
// calls (and it keeps main's implicit `return 0`).
#include TAU_COMPAT_UPSTREAM

#include <tau_compat/adapter.hpp>
