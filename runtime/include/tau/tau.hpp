// tau.hpp: the C++20 API over tau.h, header-only. Include this one header.
#pragma once

// A plugin may be built as C++17 (for a library that does not compile as C++20);
// it can use tau.h and plugin.h then, but not this API.
#if !defined(__cplusplus) || __cplusplus < 202002L
#error "tau/tau.hpp needs C++20 (this translation unit is built as an older standard); a C++17 plugin can use the C API of <tau/tau.h> and <tau/plugin.h>"
#endif

#include "tau/blocking.hpp"
#include "tau/buffered.hpp"
#include "tau/channel.hpp"
#include "tau/error.hpp"
#include "tau/fs.hpp"
#include "tau/mutex.hpp"
#include "tau/net.hpp"
#include "tau/notify.hpp"
#include "tau/oneshot.hpp"
#include "tau/rwlock.hpp"
#include "tau/semaphore.hpp"
#include "tau/signal.hpp"
#include "tau/task.hpp"
#include "tau/tau.h"
#include "tau/time.hpp"
