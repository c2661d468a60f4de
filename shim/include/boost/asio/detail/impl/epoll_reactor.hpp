//
// detail/impl/epoll_reactor.hpp: tau's shadow of Boost.Asio 1.81's reactor
// templates (timer queues on the host loop's timer).
//

#ifndef BOOST_ASIO_DETAIL_IMPL_EPOLL_REACTOR_HPP
#define BOOST_ASIO_DETAIL_IMPL_EPOLL_REACTOR_HPP

#if defined(BOOST_ASIO_HAS_EPOLL)

#include <boost/asio/detail/scheduler.hpp>

#include <boost/asio/detail/push_options.hpp>

namespace boost {
namespace asio {
namespace detail {

inline void epoll_reactor::post_immediate_completion(
    operation* op, bool is_continuation)
{
  scheduler_.post_immediate_completion(op, is_continuation);
}

template <typename Time_Traits>
void epoll_reactor::add_timer_queue(timer_queue<Time_Traits>& queue)
{
  do_add_timer_queue(queue);
}

template <typename Time_Traits>
void epoll_reactor::remove_timer_queue(timer_queue<Time_Traits>& queue)
{
  do_remove_timer_queue(queue);
}

template <typename Time_Traits>
void epoll_reactor::schedule_timer(timer_queue<Time_Traits>& queue,
    const typename Time_Traits::time_type& time,
    typename timer_queue<Time_Traits>::per_timer_data& timer, wait_op* op)
{
  std::unique_lock<std::mutex> lock(mutex_);

  if (shutdown_)
  {
    lock.unlock();
    scheduler_.post_immediate_completion(op, false);
    return;
  }

  bool earliest = queue.enqueue_timer(time, timer, op);
  scheduler_.work_started();
  if (earliest)
    request_rearm();
}

template <typename Time_Traits>
std::size_t epoll_reactor::cancel_timer(timer_queue<Time_Traits>& queue,
    typename timer_queue<Time_Traits>::per_timer_data& timer,
    std::size_t max_cancelled)
{
  op_queue<operation> ops;
  std::size_t n;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    n = queue.cancel_timer(timer, ops, max_cancelled);
    // A cancelled far deadline must not keep the loop (and the host) waiting.
    if (n > 0)
      request_rearm();
  }
  scheduler_.post_deferred_completions(ops);
  return n;
}

template <typename Time_Traits>
void epoll_reactor::cancel_timer_by_key(timer_queue<Time_Traits>& queue,
    typename timer_queue<Time_Traits>::per_timer_data* timer,
    void* cancellation_key)
{
  op_queue<operation> ops;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue.cancel_timer_by_key(timer, ops, cancellation_key);
    if (!ops.empty())
      request_rearm();
  }
  scheduler_.post_deferred_completions(ops);
}

template <typename Time_Traits>
void epoll_reactor::move_timer(timer_queue<Time_Traits>& queue,
    typename timer_queue<Time_Traits>::per_timer_data& target,
    typename timer_queue<Time_Traits>::per_timer_data& source)
{
  op_queue<operation> ops;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue.cancel_timer(target, ops);
    queue.move_timer(target, source);
    request_rearm();
  }
  scheduler_.post_deferred_completions(ops);
}

} // namespace detail
} // namespace asio
} // namespace boost

#include <boost/asio/detail/pop_options.hpp>

#endif // defined(BOOST_ASIO_HAS_EPOLL)

#endif // BOOST_ASIO_DETAIL_IMPL_EPOLL_REACTOR_HPP
