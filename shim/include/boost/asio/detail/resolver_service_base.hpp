//
// detail/resolver_service_base.hpp: tau's shadow of Boost.Asio 1.81's resolver
// service base.
//
// Asio runs the blocking getaddrinfo/getnameinfo part of an async_resolve on a
// private scheduler driven by a private thread. Here there is neither: the op runs
// on the host's blocking pool (tau_work_submit) with a worker owner that is not the
// main scheduler, which makes resolve_query_op/resolve_endpoint_op take their
// "worker" branch; that branch hands the op back to the main scheduler
// (post_deferred_completion, which accepts enqueues from other threads), and the
// handler runs on the loop thread. Work is counted as in Asio: work_started() when
// the resolve starts, and the deferred completion ends it.
//
// Shutdown (the io_context is being destroyed) waits for the lookups on the pool,
// as Asio joins its resolver thread: one already inside getaddrinfo is waited for
// (the calling thread blocks as long as that getaddrinfo takes), and one still
// queued is waited for until a pool thread takes it up, then skips getaddrinfo.
// Either way every op is back in the main scheduler before the scheduler shuts
// down and destroys it (its handler never runs), and no pool job touches the
// service or the scheduler after shutdown returns. The jobs never need the loop,
// so the wait cannot deadlock unless every pool thread is busy with work that
// itself waits for the loop. Pool jobs get no done callback: nothing of the
// plugin stays queued on the loop for them.
//
// Synchronous resolve() is unchanged: a blocking getaddrinfo on the caller's thread.
// On the loop thread that blocks every plugin until it returns; prefer async_resolve.
//

#ifndef BOOST_ASIO_DETAIL_RESOLVER_SERVICE_BASE_HPP
#define BOOST_ASIO_DETAIL_RESOLVER_SERVICE_BASE_HPP

#include <boost/asio/detail/config.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/detail/memory.hpp>
#include <boost/asio/detail/noncopyable.hpp>
#include <boost/asio/detail/op_queue.hpp>
#include <boost/asio/detail/resolve_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#include <boost/asio/detail/socket_types.hpp>
#include <boost/asio/detail/scheduler.hpp>
#include <boost/asio/detail/tau_loop.hpp>

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

#include <boost/asio/detail/push_options.hpp>

namespace boost {
namespace asio {
namespace detail {

class resolver_service_base
{
public:
  // The implementation type of the resolver. A cancellation token is used to
  // indicate to the pool job that the operation has been cancelled.
  typedef socket_ops::shared_cancel_token_type implementation_type;

  // Constructor.
  BOOST_ASIO_DECL resolver_service_base(execution_context& context);

  // Destructor.
  BOOST_ASIO_DECL ~resolver_service_base();

  // Destroy all user-defined handler objects owned by the service: waits until
  // every op handed to the blocking pool is back in the main scheduler.
  BOOST_ASIO_DECL void base_shutdown();

  // Perform any fork-related housekeeping (nothing: there is no thread).
  BOOST_ASIO_DECL void base_notify_fork(
      execution_context::fork_event fork_ev);

  // Construct a new resolver implementation.
  BOOST_ASIO_DECL void construct(implementation_type& impl);

  // Destroy a resolver implementation.
  BOOST_ASIO_DECL void destroy(implementation_type&);

  // Move-construct a new resolver implementation.
  BOOST_ASIO_DECL void move_construct(implementation_type& impl,
      implementation_type& other_impl);

  // Move-assign from another resolver implementation.
  BOOST_ASIO_DECL void move_assign(implementation_type& impl,
      resolver_service_base& other_service,
      implementation_type& other_impl);

  // Move-construct a new timer implementation.
  void converting_move_construct(implementation_type& impl,
      resolver_service_base&, implementation_type& other_impl)
  {
    move_construct(impl, other_impl);
  }

  // Move-assign from another timer implementation.
  void converting_move_assign(implementation_type& impl,
      resolver_service_base& other_service,
      implementation_type& other_impl)
  {
    move_assign(impl, other_service, other_impl);
  }

  // Cancel pending asynchronous operations.
  BOOST_ASIO_DECL void cancel(implementation_type& impl);

protected:
  // Helper function to start an asynchronous resolve operation.
  BOOST_ASIO_DECL void start_resolve_op(resolve_op* op);

  // Helper class to perform exception-safe cleanup of addrinfo objects.
  class auto_addrinfo
    : private boost::asio::detail::noncopyable
  {
  public:
    explicit auto_addrinfo(boost::asio::detail::addrinfo_type* ai)
      : ai_(ai)
    {
    }

    ~auto_addrinfo()
    {
      if (ai_)
        socket_ops::freeaddrinfo(ai_);
    }

    operator boost::asio::detail::addrinfo_type*()
    {
      return ai_;
    }

  private:
    boost::asio::detail::addrinfo_type* ai_;
  };

  // The scheduler implementation used to post completions.
  typedef class scheduler scheduler_impl;
  scheduler_impl& scheduler_;

private:
  // What the service shares with its jobs on the blocking pool. Its address is
  // also the "worker" owner the ops are completed with there.
  struct pool_state
  {
    explicit pool_state(scheduler_impl& s)
      : sched(s), shutdown(false), running(0)
    {
    }

    scheduler_impl& sched;
    std::mutex mutex;
    std::condition_variable idle;

    // Set by base_shutdown: jobs that start later skip the lookup.
    bool shutdown;

    // Jobs submitted to the pool whose work function has not finished.
    std::size_t running;

    // Ops started off the loop thread, waiting for the loop to submit them.
    op_queue<resolve_op> unsubmitted;
  };

  // A job counted in state->running: shutdown waits for it, so the state (and
  // the service, and the scheduler) outlive it.
  struct pool_job
  {
    pool_state* state;
    resolve_op* op;
  };

  // Submit an op to the blocking pool (on the loop thread).
  BOOST_ASIO_DECL static void submit(pool_state* state, resolve_op* op);

  // The pool's work function: the blocking part of the op.
  BOOST_ASIO_DECL static void on_work(void* job);

  // Submits the ops started off the loop thread (a tau_post callback).
  BOOST_ASIO_DECL static void on_submit_unsubmitted(void* state);

  std::shared_ptr<pool_state> state_;
};

} // namespace detail
} // namespace asio
} // namespace boost

#include <boost/asio/detail/pop_options.hpp>

#if defined(BOOST_ASIO_HEADER_ONLY)
# include <boost/asio/detail/impl/resolver_service_base.ipp>
#endif // defined(BOOST_ASIO_HEADER_ONLY)

#endif // BOOST_ASIO_DETAIL_RESOLVER_SERVICE_BASE_HPP
