//
// detail/tau_loop.hpp: what the shim's replacement services share to reach the tau
// host loop. Not an Asio header: only the shim includes it.
//

#ifndef BOOST_ASIO_DETAIL_TAU_LOOP_HPP
#define BOOST_ASIO_DETAIL_TAU_LOOP_HPP

#include <atomic>
#include <string>

#include <boost/system/error_code.hpp>
#include <tau/tau.h>

namespace boost {
namespace asio {
namespace detail {

// Lets a tau_post callback reach a shim object that may be destroyed before the
// callback runs: the object clears `owner` when it goes away, and every pending
// post holds a reference.
struct tau_loop_token
{
  std::atomic<void*> owner;
  std::atomic<int> refs;

  static tau_loop_token* create(void* o) { return new tau_loop_token{{o}, {1}}; }
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
};

// Errors of the shim itself (category "tau.asio").
enum class tau_errc
{
  run_inside_loop = 1,
  run_off_loop_thread,
  loop_stalled,
  future_wait_inside_loop
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

} // namespace detail
} // namespace asio
} // namespace boost

#endif // BOOST_ASIO_DETAIL_TAU_LOOP_HPP
