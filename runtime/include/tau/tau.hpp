// tau.hpp: the C++20 API over tau.h, header-only. Include this one header.
#pragma once

#include "tau/blocking.hpp"
#include "tau/channel.hpp"
#include "tau/error.hpp"
#include "tau/fs.hpp"
#include "tau/mutex.hpp"
#include "tau/net.hpp"
#include "tau/notify.hpp"
#include "tau/oneshot.hpp"
#include "tau/semaphore.hpp"
#include "tau/signal.hpp"
#include "tau/task.hpp"
#include "tau/tau.h"
#include "tau/time.hpp"
