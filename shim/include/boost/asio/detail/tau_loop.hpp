//
// detail/tau_loop.hpp: what the shim's replacement services share to reach the tau
// host loop. Not an Asio header: only the shim includes it.
//

#ifndef BOOST_ASIO_DETAIL_TAU_LOOP_HPP
#define BOOST_ASIO_DETAIL_TAU_LOOP_HPP

#include <dlfcn.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include <boost/system/error_code.hpp>
#include <tau/tau.h>

namespace boost {
namespace asio {
namespace detail {

// Lets loop callbacks reach a shim object that other threads may destroy, and that
// may be gone before the callback runs. The object clears `owner` (close) when it
// goes away; every pending post holds a reference. A loop callback uses the owner
// only between enter() and leave(); close() waits for that, so an object destroyed
// on another thread is never in use on the loop. The mutex also guards whatever
// the owner keeps for threads that wait on it (a scheduler's parked run() callers).
struct tau_loop_token
{
  std::mutex mutex;
  // Wakes threads parked on the owner, and close() waiting for busy to drop.
  std::condition_variable cv;
  // Guarded by mutex: the object, or null once closed.
  void* owner;
  // Guarded by mutex: loop callbacks between enter() and leave().
  int busy;
  // Guarded by mutex: threads waiting on cv (parked, or in close()).
  int waiters;
  // Loop thread only: whether the owner holds the loop (tau_loop_hold).
  bool held;
  std::atomic<int> refs;

  static tau_loop_token* create(void* o)
  {
    tau_loop_token* t = new tau_loop_token;
    t->owner = o;
    t->busy = 0;
    t->waiters = 0;
    t->held = false;
    t->refs.store(1);
    return t;
  }
  void ref() { refs.fetch_add(1); }
  void release() { if (refs.fetch_sub(1) == 1) delete this; }

  // Posts cb(token) to the loop, keeping the token alive until it has run.
  bool post(tau_callback cb)
  {
    ref();
    if (tau_post(cb, this) == 0)
      return true;
    release();
    return false;
  }

  // Called with mutex held, on the loop thread: the owner (marked in use), or null.
  void* enter_locked()
  {
    if (owner)
      ++busy;
    return owner;
  }

  // Called with mutex held: the loop callback is done with the owner.
  void leave_locked()
  {
    if (--busy == 0 && waiters > 0)
      cv.notify_all();
  }

  // Detaches the owner: waits until no loop callback uses it (unless this is the
  // loop thread, which cannot be inside one and wait for itself).
  void close()
  {
    std::unique_lock<std::mutex> lock(mutex);
    if (!tau_on_loop_thread())
    {
      ++waiters;
      while (busy > 0)
        cv.wait(lock);
      --waiters;
    }
    owner = 0;
  }

private:
  tau_loop_token() {}
};

// What the shim counts, per plugin, for the compatibility harness: handlers run,
// handlers run off the loop thread (the shared-loop rule says 0), and run() calls
// that parked a thread. With TAU_ASIO_SHIM_STATS set in the environment they are
// printed to stderr when the plugin is unloaded.
struct tau_shim_stats
{
  std::atomic<unsigned long> handlers{0};
  std::atomic<unsigned long> handlers_off_loop{0};
  std::atomic<unsigned long> parked_runs{0};

  static tau_shim_stats& get()
  {
    static tau_shim_stats stats;
    return stats;
  }

  void count_handlers(std::size_t n, bool on_loop)
  {
    handlers.fetch_add(n, std::memory_order_relaxed);
    if (!on_loop)
      handlers_off_loop.fetch_add(n, std::memory_order_relaxed);
  }

  ~tau_shim_stats()
  {
    if (!std::getenv("TAU_ASIO_SHIM_STATS"))
      return;
    Dl_info info;
    const char* plugin = dladdr(reinterpret_cast<void*>(&tau_shim_stats::get),
        &info) && info.dli_fname ? info.dli_fname : "?";
    std::fprintf(stderr, "tau-asio-shim: %s: handlers=%lu off_loop=%lu "
        "parked_runs=%lu\n", plugin, handlers.load(),
        handlers_off_loop.load(), parked_runs.load());
  }
};

// Errors of the shim itself (category "tau.asio").
enum class tau_errc
{
  run_inside_loop = 1,
  run_off_loop_thread,  // no longer returned: kept so that the values stay stable
  loop_stalled,
  future_wait_inside_loop,
  host_shutdown
};

class tau_error_category : public boost::system::error_category
{
public:
  const char* name() const noexcept { return "tau.asio"; }
  std::string message(int value) const
  {
    switch (static_cast<tau_errc>(value))
    {
    case tau_errc::run_inside_loop:
      return "io_context::run() called from inside the tau loop (a handler or "
          "task): it would block every plugin. The loop runs the context's "
          "work by itself; return instead";
    case tau_errc::run_off_loop_thread:
      return "io_context::run() called off the tau loop thread: Asio handlers "
          "run only on the loop thread";
    case tau_errc::future_wait_inside_loop:
      return "use_future: waiting for the future inside the tau loop (a "
          "handler or task) would deadlock: the operation completes on this "
          "very loop. co_await it (use_awaitable) instead";
    case tau_errc::loop_stalled:
      return "nothing left on the tau loop can finish the wait";
    case tau_errc::host_shutdown:
      return "the tau host is shutting down (SIGINT/SIGTERM): the wait can "
          "never end";
    }
    return "tau.asio error";
  }
};

inline const boost::system::error_category& tau_category()
{
  static const tau_error_category category;
  return category;
}

inline boost::system::error_code make_tau_error(tau_errc e)
{
  return boost::system::error_code(static_cast<int>(e), tau_category());
}

// A failed tau_* call's negative code as Asio sees it: an errno in the system
// category, the host shutting down as host_shutdown; any other tau code (not
// expected from the calls the shim makes) as EIO.
inline boost::system::error_code error_of_tau_code(int rc)
{
  if (-rc < TAU_ERRNO_LIMIT)
    return boost::system::error_code(-rc, boost::system::system_category());
  if (rc == TAU_E_SHUTDOWN)
    return make_tau_error(tau_errc::host_shutdown);
  return boost::system::error_code(EIO, boost::system::system_category());
}

} // namespace detail
} // namespace asio
} // namespace boost

#endif // BOOST_ASIO_DETAIL_TAU_LOOP_HPP
