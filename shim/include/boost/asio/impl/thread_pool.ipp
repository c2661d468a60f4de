//
// impl/thread_pool.ipp: tau's shadow of Boost.Asio 1.81's thread_pool.
//
// Asio's thread_pool starts its threads, which run its scheduler, and gives that
// scheduler one unit of work until join(). Here it starts no thread and holds no
// permanent work: its scheduler is the shim's, so every handler posted to the pool
// runs on the host's loop thread, one at a time, interleaved with every other
// plugin, and the pool holds the loop only while it has work. Decision: Asio code
// that uses thread_pool runs single-threaded on the shared loop (it stays correct:
// code written for a pool is written for any interleaving); CPU-heavy work belongs
// on the host's blocking pool (tau_work_submit, tau::spawn_blocking).
//
// - join() and wait() called on the loop thread outside the running loop (a
//   process hook, plugin_destroy, a ported main) drive the shared loop (other
//   plugins keep running) until the pool is out of work, then leave the pool
//   stopped, as Asio's leave it without threads. A handler exception propagates
//   out of them (Asio calls std::terminate).
// - Called from inside the loop (a handler or task) they cannot wait without
//   deadlocking: they run the pool's handlers that are ready now, nested in the
//   caller, and return. Work that waits on I/O or timers is not finished then; it
//   goes on running from the loop later (unless the pool is stopped or destroyed
//   first, which destroys it, as Asio does on stop()).
// - Called from any other thread they park it (as io_context::run() does) until
//   the pool is out of work or stopped.
// - attach() does what join() does, after counting the caller as a thread: it
//   returns once the pool is out of work, where Asio's waits for stop()/join().
// - The destructor stops the pool (pending handlers are destroyed, not run), as
//   Asio's does.
// - query(execution::occupancy) reports the size the pool was asked for.
// - execute() with blocking.always from the loop thread runs the function at once
//   (see impl/thread_pool.hpp): waiting for the loop from the loop would deadlock.
//

#ifndef BOOST_ASIO_IMPL_THREAD_POOL_IPP
#define BOOST_ASIO_IMPL_THREAD_POOL_IPP

#include <boost/asio/detail/config.hpp>
#include <stdexcept>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/detail/tau_loop.hpp>
#include <boost/asio/detail/throw_exception.hpp>

#include <boost/asio/detail/push_options.hpp>

namespace boost {
namespace asio {

namespace detail {

// Runs a thread pool's (or system context's) scheduler until it is out of work:
// parks a thread other than the loop thread, drives the loop from outside it,
// runs what is ready from inside it.
inline void tau_join_scheduler(scheduler& s)
{
  boost::system::error_code ec;
  s.run(ec);
  if (ec == make_tau_error(tau_errc::run_inside_loop))
    s.poll(ec);
}

} // namespace detail

#if !defined(BOOST_ASIO_NO_TS_EXECUTORS)
namespace detail {

inline long default_thread_pool_size()
{
  std::size_t num_threads = thread::hardware_concurrency() * 2;
  num_threads = num_threads == 0 ? 2 : num_threads;
  return static_cast<long>(num_threads);
}

} // namespace detail

thread_pool::thread_pool()
  : scheduler_(add_scheduler(new detail::scheduler(*this, 0, false))),
    num_threads_(detail::default_thread_pool_size())
{
  scheduler_.tau_make_host_driven();
}
#endif // !defined(BOOST_ASIO_NO_TS_EXECUTORS)

namespace detail {

inline long clamp_thread_pool_size(std::size_t n)
{
  if (n > 0x7FFFFFFF)
  {
    std::out_of_range ex("thread pool size");
    boost::asio::detail::throw_exception(ex);
  }
  return static_cast<long>(n & 0x7FFFFFFF);
}

} // namespace detail

thread_pool::thread_pool(std::size_t num_threads)
  : scheduler_(add_scheduler(new detail::scheduler(
          *this, num_threads == 1 ? 1 : 0, false))),
    num_threads_(detail::clamp_thread_pool_size(num_threads))
{
  scheduler_.tau_make_host_driven();
}

thread_pool::~thread_pool()
{
  stop();
  join();
}

void thread_pool::stop()
{
  scheduler_.stop();
}

void thread_pool::attach()
{
  ++num_threads_;
  detail::tau_join_scheduler(scheduler_);
}

void thread_pool::join()
{
  detail::tau_join_scheduler(scheduler_);
}

detail::scheduler& thread_pool::add_scheduler(detail::scheduler* s)
{
  detail::scoped_ptr<detail::scheduler> scoped_impl(s);
  boost::asio::add_service<detail::scheduler>(*this, scoped_impl.get());
  return *scoped_impl.release();
}

void thread_pool::wait()
{
  detail::tau_join_scheduler(scheduler_);
}

} // namespace asio
} // namespace boost

#include <boost/asio/detail/pop_options.hpp>

#endif // BOOST_ASIO_IMPL_THREAD_POOL_IPP
