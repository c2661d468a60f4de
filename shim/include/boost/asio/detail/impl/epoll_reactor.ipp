//
// detail/impl/epoll_reactor.ipp: tau's shadow of Boost.Asio 1.81's reactor.
//

#ifndef BOOST_ASIO_DETAIL_IMPL_EPOLL_REACTOR_IPP
#define BOOST_ASIO_DETAIL_IMPL_EPOLL_REACTOR_IPP

#include <boost/asio/detail/config.hpp>

#if defined(BOOST_ASIO_HAS_EPOLL)

#include <boost/asio/detail/epoll_reactor.hpp>
#include <boost/asio/detail/scheduler.hpp>
#include <boost/asio/error.hpp>

#include <boost/asio/detail/push_options.hpp>

namespace boost {
namespace asio {
namespace detail {

epoll_reactor::epoll_reactor(boost::asio::execution_context& ctx)
  : execution_context_service_base<epoll_reactor>(ctx),
    scheduler_(use_service<scheduler>(ctx)),
    timer_(0),
    shutdown_(false)
{
}

epoll_reactor::~epoll_reactor()
{
  while (descriptor_state* state = registered_descriptors_.first())
    free_descriptor_state(state);
  tau_timer_stop(timer_);
}

void epoll_reactor::shutdown()
{
  shutdown_ = true;

  op_queue<operation> ops;
  while (descriptor_state* state = registered_descriptors_.first())
  {
    for (int i = 0; i < max_ops; ++i)
      ops.push(state->op_queue_[i]);
    state->shutdown_ = true;
    free_descriptor_state(state);
  }

  timer_queues_.get_all_timers(ops);
  tau_timer_stop(timer_);
  timer_ = 0;

  scheduler_.abandon_operations(ops);
}

void epoll_reactor::notify_fork(boost::asio::execution_context::fork_event)
{
}

void epoll_reactor::init_task()
{
}

int epoll_reactor::register_descriptor(socket_type descriptor,
    epoll_reactor::per_descriptor_data& descriptor_data)
{
  descriptor_data = allocate_descriptor_state();
  descriptor_data->reactor_ = this;
  descriptor_data->descriptor_ = descriptor;
  descriptor_data->shutdown_ = false;
  // Paused until an operation waits. A descriptor libuv cannot poll (a regular
  // file) gets no watch; its operations fail with operation_not_supported, as
  // with Asio's own reactor.
  if (tau_poll_start(&descriptor_data->poll_, descriptor, 0,
        &epoll_reactor::on_ready, descriptor_data) != 0)
    descriptor_data->poll_ = 0;
  return 0;
}

int epoll_reactor::register_internal_descriptor(
    int op_type, socket_type descriptor,
    epoll_reactor::per_descriptor_data& descriptor_data, reactor_op* op)
{
  register_descriptor(descriptor, descriptor_data);
  descriptor_data->op_queue_[op_type].push(op);
  update_interest(descriptor_data);
  return 0;
}

void epoll_reactor::move_descriptor(socket_type,
    epoll_reactor::per_descriptor_data& target_descriptor_data,
    epoll_reactor::per_descriptor_data& source_descriptor_data)
{
  target_descriptor_data = source_descriptor_data;
  source_descriptor_data = 0;
}

void epoll_reactor::start_op(int op_type, socket_type,
    epoll_reactor::per_descriptor_data& descriptor_data, reactor_op* op,
    bool is_continuation, bool allow_speculative)
{
  if (!descriptor_data)
  {
    op->ec_ = boost::asio::error::bad_descriptor;
    post_immediate_completion(op, is_continuation);
    return;
  }

  if (descriptor_data->shutdown_)
  {
    post_immediate_completion(op, is_continuation);
    return;
  }

  if (descriptor_data->op_queue_[op_type].empty())
  {
    if (allow_speculative
        && (op_type != read_op
          || descriptor_data->op_queue_[except_op].empty()))
    {
      if (op->perform())
      {
        scheduler_.post_immediate_completion(op, is_continuation);
        return;
      }
    }

    if (!descriptor_data->poll_)
    {
      op->ec_ = boost::asio::error::operation_not_supported;
      scheduler_.post_immediate_completion(op, is_continuation);
      return;
    }
  }

  descriptor_data->op_queue_[op_type].push(op);
  scheduler_.work_started();
  update_interest(descriptor_data);
}

void epoll_reactor::cancel_ops(socket_type,
    epoll_reactor::per_descriptor_data& descriptor_data)
{
  if (!descriptor_data)
    return;

  op_queue<operation> ops;
  for (int i = 0; i < max_ops; ++i)
  {
    while (reactor_op* op = descriptor_data->op_queue_[i].front())
    {
      op->ec_ = boost::asio::error::operation_aborted;
      descriptor_data->op_queue_[i].pop();
      ops.push(op);
    }
  }
  update_interest(descriptor_data);
  scheduler_.post_deferred_completions(ops);
}

void epoll_reactor::cancel_ops_by_key(socket_type,
    epoll_reactor::per_descriptor_data& descriptor_data,
    int op_type, void* cancellation_key)
{
  if (!descriptor_data)
    return;

  op_queue<operation> ops;
  op_queue<reactor_op> other_ops;
  while (reactor_op* op = descriptor_data->op_queue_[op_type].front())
  {
    descriptor_data->op_queue_[op_type].pop();
    if (op->cancellation_key_ == cancellation_key)
    {
      op->ec_ = boost::asio::error::operation_aborted;
      ops.push(op);
    }
    else
      other_ops.push(op);
  }
  descriptor_data->op_queue_[op_type].push(other_ops);
  update_interest(descriptor_data);
  scheduler_.post_deferred_completions(ops);
}

void epoll_reactor::deregister_descriptor(socket_type,
    epoll_reactor::per_descriptor_data& descriptor_data, bool)
{
  if (!descriptor_data)
    return;

  if (!descriptor_data->shutdown_)
  {
    // Stop watching before the descriptor is closed.
    tau_poll_stop(descriptor_data->poll_);
    descriptor_data->poll_ = 0;

    op_queue<operation> ops;
    for (int i = 0; i < max_ops; ++i)
    {
      while (reactor_op* op = descriptor_data->op_queue_[i].front())
      {
        op->ec_ = boost::asio::error::operation_aborted;
        descriptor_data->op_queue_[i].pop();
        ops.push(op);
      }
    }

    descriptor_data->descriptor_ = -1;
    descriptor_data->shutdown_ = true;

    scheduler_.post_deferred_completions(ops);

    // Leave descriptor_data set so that it will be freed by the subsequent
    // call to cleanup_descriptor_data.
  }
  else
  {
    // We are shutting down, so prevent cleanup_descriptor_data from freeing
    // the descriptor_data object and let the destructor free it instead.
    descriptor_data = 0;
  }
}

void epoll_reactor::deregister_internal_descriptor(socket_type,
    epoll_reactor::per_descriptor_data& descriptor_data)
{
  if (!descriptor_data)
    return;

  if (!descriptor_data->shutdown_)
  {
    tau_poll_stop(descriptor_data->poll_);
    descriptor_data->poll_ = 0;

    // Internal operations never counted as work: destroy them here, as Asio does
    // (op_queue's destructor).
    op_queue<operation> ops;
    for (int i = 0; i < max_ops; ++i)
      ops.push(descriptor_data->op_queue_[i]);

    descriptor_data->descriptor_ = -1;
    descriptor_data->shutdown_ = true;
  }
  else
  {
    descriptor_data = 0;
  }
}

void epoll_reactor::cleanup_descriptor_data(
    per_descriptor_data& descriptor_data)
{
  if (descriptor_data)
  {
    free_descriptor_state(descriptor_data);
    descriptor_data = 0;
  }
}

void epoll_reactor::run(long, op_queue<operation>&)
{
}

void epoll_reactor::interrupt()
{
}

epoll_reactor::descriptor_state* epoll_reactor::allocate_descriptor_state()
{
  return registered_descriptors_.alloc(true);
}

void epoll_reactor::free_descriptor_state(epoll_reactor::descriptor_state* s)
{
  tau_poll_stop(s->poll_);
  s->poll_ = 0;
  registered_descriptors_.free(s);
}

void epoll_reactor::update_interest(descriptor_state* s)
{
  if (!s->poll_)
    return;
  int events = 0;
  if (!s->op_queue_[read_op].empty() || !s->op_queue_[except_op].empty())
    events |= TAU_READABLE;
  if (!s->op_queue_[write_op].empty())
    events |= TAU_WRITABLE;
  tau_poll_update(s->poll_, events);
}

void epoll_reactor::on_ready(void* ctx, int status, int events)
{
  descriptor_state* s = static_cast<descriptor_state*>(ctx);
  epoll_reactor* r = s->reactor_;

  // Exceptional conditions first, then writes (connects), then reads, as Asio's
  // reactor does. An error (status < 0) lets every queued operation try, so
  // that each meets the error itself.
  op_queue<operation> ops;
  for (int j = max_ops - 1; j >= 0; --j)
  {
    bool ready = status < 0
      || (j == read_op && (events & TAU_READABLE))
      || (j == write_op && (events & TAU_WRITABLE));
    if (!ready)
      continue;
    while (reactor_op* op = s->op_queue_[j].front())
    {
      if (reactor_op::status result = op->perform())
      {
        s->op_queue_[j].pop();
        ops.push(op);
        if (result == reactor_op::done_and_exhausted)
          break;
      }
      else
        break;
    }
  }

  r->update_interest(s);
  r->scheduler_.post_deferred_completions(ops);
}

void epoll_reactor::do_add_timer_queue(timer_queue_base& queue)
{
  timer_queues_.insert(&queue);
}

void epoll_reactor::do_remove_timer_queue(timer_queue_base& queue)
{
  timer_queues_.erase(&queue);
}

void epoll_reactor::update_timeout()
{
  if (shutdown_)
    return;
  if (timer_queues_.all_empty())
  {
    tau_timer_stop(timer_);
    timer_ = 0;
    return;
  }
  // libuv's timers count whole milliseconds: round up, never fire early.
  long usec = timer_queues_.wait_duration_usec(60 * 60 * 1000000L);
  uint64_t msec = static_cast<uint64_t>((usec + 999) / 1000);
  if (timer_)
    tau_timer_restart(timer_, msec, 0);
  else
    tau_timer_start(&timer_, msec, 0, &epoll_reactor::on_timer, this);
}

void epoll_reactor::on_timer(void* ctx)
{
  epoll_reactor* r = static_cast<epoll_reactor*>(ctx);
  op_queue<operation> ops;
  r->timer_queues_.get_ready_timers(ops);
  r->update_timeout();
  r->scheduler_.post_deferred_completions(ops);
}

} // namespace detail
} // namespace asio
} // namespace boost

#include <boost/asio/detail/pop_options.hpp>

#endif // defined(BOOST_ASIO_HAS_EPOLL)

#endif // BOOST_ASIO_DETAIL_IMPL_EPOLL_REACTOR_IPP
