//
// impl/system_context.ipp: tau's shadow of Boost.Asio 1.81's system_context.
//
// Asio's system_context starts 2 x hardware_concurrency threads that run its
// scheduler, and gives that scheduler one unit of work for its whole life. Here it
// starts no thread, and holds no permanent work: the scheduler is the shim's,
// which runs every handler posted through system_executor (post/defer, or
// execute with blocking.never) on the host's loop thread, and holds the loop
// only while such handlers are queued. Decision: Asio code that uses the system
// executor runs single-threaded on the shared loop; CPU-heavy work belongs on
// the host's blocking pool (tau_work_submit, tau::spawn_blocking).
//
// - dispatch / blocking.possibly / blocking.always still run the function at
//   once on the calling thread, as in Asio.
// - join() (and the destructor's) called on the loop thread outside the running
//   loop (a process hook, plugin_destroy) drives the shared loop until the
//   handlers posted so far have run, then leaves the context stopped, as Asio's
//   join leaves it without threads. Called from inside the loop (a handler) it
//   cannot wait: it runs the handlers that are ready now, nested in the caller,
//   and returns; work that waits on I/O or timers goes on running from the loop
//   later. Called from any other thread it parks it until they have run.
// - A handler that throws fails the plugin (reported by the host), where Asio
//   calls std::terminate.
// - query(execution::occupancy) still reports Asio's 2 x hardware_concurrency.
//

#ifndef BOOST_ASIO_IMPL_SYSTEM_CONTEXT_IPP
#define BOOST_ASIO_IMPL_SYSTEM_CONTEXT_IPP

#include <boost/asio/detail/config.hpp>
#include <boost/asio/system_context.hpp>
#include <boost/asio/detail/tau_loop.hpp>

#include <boost/asio/detail/push_options.hpp>

namespace boost {
namespace asio {

system_context::system_context()
  : scheduler_(add_scheduler(new detail::scheduler(*this, 0, false)))
{
  scheduler_.tau_make_host_driven();
  num_threads_ = detail::thread::hardware_concurrency() * 2;
  num_threads_ = num_threads_ ? num_threads_ : 2;
}

system_context::~system_context()
{
  scheduler_.stop();
}

void system_context::stop()
{
  scheduler_.stop();
}

bool system_context::stopped() const BOOST_ASIO_NOEXCEPT
{
  return scheduler_.stopped();
}

void system_context::join()
{
  boost::system::error_code ec;
  scheduler_.run(ec);
  if (ec == detail::make_tau_error(detail::tau_errc::run_inside_loop))
    scheduler_.poll(ec);
}

detail::scheduler& system_context::add_scheduler(detail::scheduler* s)
{
  detail::scoped_ptr<detail::scheduler> scoped_impl(s);
  boost::asio::add_service<detail::scheduler>(*this, scoped_impl.get());
  return *scoped_impl.release();
}

} // namespace asio
} // namespace boost

#include <boost/asio/detail/pop_options.hpp>

#endif // BOOST_ASIO_IMPL_SYSTEM_CONTEXT_IPP
