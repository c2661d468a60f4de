//
// detail/impl/resolver_service_base.ipp: tau's shadow of Boost.Asio 1.81's
// resolver service base (lookups on the host's blocking pool).
//

#ifndef BOOST_ASIO_DETAIL_IMPL_RESOLVER_SERVICE_BASE_IPP
#define BOOST_ASIO_DETAIL_IMPL_RESOLVER_SERVICE_BASE_IPP

#include <boost/asio/detail/config.hpp>
#include <boost/asio/detail/resolver_service_base.hpp>

#include <utility>

#include <boost/asio/detail/push_options.hpp>

namespace boost {
namespace asio {
namespace detail {

namespace tau_resolver {

// A pool job has finished with the service's state: lets shutdown go on.
inline void job_finished(std::mutex& mutex, std::condition_variable& idle,
    std::size_t& running)
{
  std::lock_guard<std::mutex> lock(mutex);
  if (--running == 0)
    idle.notify_all();
}

} // namespace tau_resolver

resolver_service_base::resolver_service_base(execution_context& context)
  : scheduler_(boost::asio::use_service<scheduler_impl>(context)),
    state_(std::make_shared<pool_state>(scheduler_))
{
}

resolver_service_base::~resolver_service_base()
{
  base_shutdown();
}

void resolver_service_base::base_shutdown()
{
  op_queue<resolve_op> unsubmitted;
  {
    std::unique_lock<std::mutex> lock(state_->mutex);
    state_->shutdown = true;
    unsubmitted.push(state_->unsubmitted);
    // As Asio joins its resolver thread: every job on the pool hands its op
    // back to the scheduler before we return (and before the scheduler shuts
    // down and destroys the ops it holds). The jobs never need the loop.
    state_->idle.wait(lock, [this] { return state_->running == 0; });
  }

  // Ops started off the loop thread that the loop never submitted: back to the
  // scheduler too. On the loop thread they are abandoned (the scheduler's
  // shutdown destroys them) rather than posted, so that no drain is posted
  // to the loop on their account.
  op_queue<operation> ops;
  while (resolve_op* op = unsubmitted.front())
  {
    unsubmitted.pop();
    op->ec_ = boost::asio::error::operation_aborted;
    ops.push(op);
  }
  if (tau_on_loop_thread())
    scheduler_.abandon_operations(ops);
  else
    scheduler_.post_deferred_completions(ops);
}

void resolver_service_base::base_notify_fork(execution_context::fork_event)
{
}

void resolver_service_base::construct(
    resolver_service_base::implementation_type& impl)
{
  impl.reset(static_cast<void*>(0), socket_ops::noop_deleter());
}

void resolver_service_base::destroy(
    resolver_service_base::implementation_type& impl)
{
  BOOST_ASIO_HANDLER_OPERATION((scheduler_.context(),
        "resolver", &impl, 0, "cancel"));

  impl.reset();
}

void resolver_service_base::move_construct(implementation_type& impl,
    implementation_type& other_impl)
{
  impl = BOOST_ASIO_MOVE_CAST(implementation_type)(other_impl);
}

void resolver_service_base::move_assign(implementation_type& impl,
    resolver_service_base&, implementation_type& other_impl)
{
  destroy(impl);
  impl = BOOST_ASIO_MOVE_CAST(implementation_type)(other_impl);
}

void resolver_service_base::cancel(
    resolver_service_base::implementation_type& impl)
{
  BOOST_ASIO_HANDLER_OPERATION((scheduler_.context(),
        "resolver", &impl, 0, "cancel"));

  impl.reset(static_cast<void*>(0), socket_ops::noop_deleter());
}

void resolver_service_base::start_resolve_op(resolve_op* op)
{
  if (!BOOST_ASIO_CONCURRENCY_HINT_IS_LOCKING(SCHEDULER,
        scheduler_.concurrency_hint()))
  {
    op->ec_ = boost::asio::error::operation_not_supported;
    scheduler_.post_immediate_completion(op, false);
    return;
  }

  // The op's work: it ends when the op runs on the main scheduler.
  scheduler_.work_started();

  enum { submit_now, post_submit, queued, aborted } action = aborted;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (state_->shutdown)
      action = aborted;
    else if (tau_on_loop_thread())
    {
      ++state_->running;
      action = submit_now;
    }
    else
    {
      // tau_work_submit works on the loop thread only: let the loop submit.
      action = state_->unsubmitted.empty() ? post_submit : queued;
      state_->unsubmitted.push(op);
    }
  }

  switch (action)
  {
  case submit_now:
    submit(state_.get(), op);
    break;
  case post_submit:
    {
      std::shared_ptr<pool_state>* ref =
        new std::shared_ptr<pool_state>(state_);
      if (tau_post(&resolver_service_base::on_submit_unsubmitted, ref) == 0)
        break;
      delete ref;
      op_queue<resolve_op> ops;
      {
        std::lock_guard<std::mutex> lock(state_->mutex);
        ops.push(state_->unsubmitted);
      }
      while (resolve_op* o = ops.front())
      {
        ops.pop();
        o->ec_ = boost::asio::error::operation_not_supported;
        scheduler_.post_deferred_completion(o);
      }
    }
    break;
  case queued:
    break;  // the submit posted by the first one takes it
  case aborted:
    // Shut down already: complete with operation_aborted, like a cancel.
    op->ec_ = boost::asio::error::operation_aborted;
    scheduler_.post_deferred_completion(op);
    break;
  }
}

void resolver_service_base::submit(pool_state* state, resolve_op* op)
{
  // The caller counted the job in state->running: the scheduler stays alive.
  pool_job* job = new pool_job{state, op};
  // No done callback: the job is over when its work function returns, so no
  // plugin code is left pending on the loop once shutdown has returned.
  int rc = tau_work_submit(&resolver_service_base::on_work, 0, job);
  if (rc != 0)
  {
    delete job;
    op->ec_ = error_of_tau_code(rc);
    state->sched.post_deferred_completion(op);
    tau_resolver::job_finished(state->mutex, state->idle, state->running);
  }
}

void resolver_service_base::on_work(void* p)
{
  pool_job* job = static_cast<pool_job*>(p);
  pool_state* state = job->state;
  resolve_op* op = job->op;
  delete job;

  bool skip;
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    skip = state->shutdown;
  }

  if (skip)
  {
    op->ec_ = boost::asio::error::operation_aborted;
    state->sched.post_deferred_completion(op);
  }
  else
  {
    try
    {
      // A non-null owner that is not the main scheduler: the op performs the
      // blocking lookup, then posts itself back to the main scheduler.
      op->complete(state, boost::system::error_code(), 0);
    }
    catch (...)
    {
      // Only building the results can throw (bad_alloc), before the op
      // posted itself back.
      op->ec_ = boost::asio::error::no_memory;
      state->sched.post_deferred_completion(op);
    }
  }

  // The last thing the job does: shutdown may return (and the service and the
  // state go away) as soon as this has unlocked.
  tau_resolver::job_finished(state->mutex, state->idle, state->running);
}

void resolver_service_base::on_submit_unsubmitted(void* p)
{
  std::shared_ptr<pool_state>* ref = static_cast<std::shared_ptr<pool_state>*>(p);
  std::shared_ptr<pool_state> state = std::move(*ref);
  delete ref;

  op_queue<resolve_op> ops;
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (state->shutdown)
      return;  // base_shutdown took them
    while (resolve_op* op = state->unsubmitted.front())
    {
      state->unsubmitted.pop();
      ops.push(op);
      ++state->running;
    }
  }

  while (resolve_op* op = ops.front())
  {
    ops.pop();
    submit(state.get(), op);
  }
}

} // namespace detail
} // namespace asio
} // namespace boost

#include <boost/asio/detail/pop_options.hpp>

#endif // BOOST_ASIO_DETAIL_IMPL_RESOLVER_SERVICE_BASE_IPP
