//
// detail/impl/epoll_reactor.ipp: tau's shadow of Boost.Asio 1.81's reactor.
//
// Lock order: a descriptor's mutex_ or the reactor's mutex_, then the scheduler's,
// then pending_mutex_. Loop callbacks reached through token_ run between
// enter_locked() and leave_locked(), so shutdown() (token_->close()) waits for
// them. Readiness callbacks reach a descriptor_state directly: they check its
// shutdown_ under its mutex, and a reactor destroyed off the loop hands its
// descriptor states to the loop to delete, after any callback in flight.
//

#ifndef BOOST_ASIO_DETAIL_IMPL_EPOLL_REACTOR_IPP
#define BOOST_ASIO_DETAIL_IMPL_EPOLL_REACTOR_IPP

#include <boost/asio/detail/config.hpp>

#if defined(BOOST_ASIO_HAS_EPOLL)

#include <vector>

#include <sys/timerfd.h>
#include <unistd.h>

#include <boost/asio/detail/epoll_reactor.hpp>
#include <boost/asio/detail/scheduler.hpp>
#include <boost/asio/error.hpp>

#include <boost/asio/detail/push_options.hpp>

namespace boost {
namespace asio {
namespace detail {

namespace tau_reactor {

// A timer handle stopped from the loop for a reactor shut down elsewhere; the
// token outlives it, since the timer's callback names the token.
struct timer_stop
{
  tau_timer_t* timer;
  tau_loop_token* token;

  static void run(void* p)
  {
    timer_stop* t = static_cast<timer_stop*>(p);
    tau_timer_stop(t->timer);
    t->token->release();
    delete t;
  }
};

// The timerfd watch of a reactor destroyed or shut down: stopped and closed on
// the loop, after any callback in flight; the token outlives it.
struct timer_fd_close
{
  tau_poll_t* watch;
  int fd;
  tau_loop_token* token;

  static void run(void* p)
  {
    timer_fd_close* t = static_cast<timer_fd_close*>(p);
    tau_poll_stop(t->watch);
    ::close(t->fd);
    t->token->release();
    delete t;
  }
};

// Descriptor states of a reactor destroyed off the loop, deleted on the loop
// after any readiness callback in flight.
template <typename State>
struct state_deleter
{
  std::vector<State*> states;

  static void run(void* p)
  {
    state_deleter* d = static_cast<state_deleter*>(p);
    for (std::size_t i = 0; i < d->states.size(); ++i)
      delete d->states[i];
    delete d;
  }
};

} // namespace tau_reactor

epoll_reactor::epoll_reactor(boost::asio::execution_context& ctx)
  : execution_context_service_base<epoll_reactor>(ctx),
    scheduler_(use_service<scheduler>(ctx)),
    token_(tau_loop_token::create(this)),
    timer_fd_(-1),
    timer_watch_(0),
    timer_watch_reading_(false),
    timer_(0),
    shutdown_(false),
    registered_(0),
    free_(0),
    pending_(0),
    rearm_pending_(false),
    pending_posted_(false)
{
}

epoll_reactor::~epoll_reactor()
{
  token_->close();
  typedef tau_reactor::state_deleter<descriptor_state> deleter;
  deleter* d = new deleter;
  {
    std::lock_guard<std::mutex> lock(registered_mutex_);
    for (descriptor_state* list : { registered_, free_ })
    {
      while (descriptor_state* s = list)
      {
        list = s->next_;
        {
          std::lock_guard<std::mutex> state_lock(s->mutex_);
          stop_watch(s);
        }
        d->states.push_back(s);
      }
    }
    registered_ = free_ = 0;
  }
  if (tau_on_loop_thread() || tau_post(&deleter::run, d) != 0)
    deleter::run(d);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (timer_fd_ >= 0)
    {
      tau_reactor::timer_fd_close* t =
        new tau_reactor::timer_fd_close{ timer_watch_, timer_fd_, token_ };
      timer_fd_ = -1;
      timer_watch_ = 0;
      if (tau_on_loop_thread() || tau_post(&tau_reactor::timer_fd_close::run, t) != 0)
        tau_reactor::timer_fd_close::run(t);
    }
    if (timer_)
    {
      tau_reactor::timer_stop* t = new tau_reactor::timer_stop{ timer_, token_ };
      timer_ = 0;
      if (tau_on_loop_thread() || tau_post(&tau_reactor::timer_stop::run, t) != 0)
        tau_reactor::timer_stop::run(t);
    }
  }
  token_->release();
}

void epoll_reactor::shutdown()
{
  token_->close();

  op_queue<operation> ops;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shutdown_ = true;
    timer_queues_.get_all_timers(ops);
    if (timer_fd_ >= 0)
    {
      // From any thread: a disarmed timerfd never becomes readable, so its watch
      // stays quiet until the destructor closes it.
      itimerspec ts = itimerspec();
      ::timerfd_settime(timer_fd_, 0, &ts, 0);
    }
  }

  {
    std::lock_guard<std::mutex> lock(registered_mutex_);
    for (descriptor_state* s = registered_; s; s = s->next_)
    {
      std::lock_guard<std::mutex> state_lock(s->mutex_);
      for (int i = 0; i < max_ops; ++i)
        ops.push(s->op_queue_[i]);
      s->shutdown_ = true;
      stop_watch(s);
    }
  }

  // Unlocked: destroying a handler may close a socket of another context.
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
  descriptor_state* s = allocate_descriptor_state();
  std::lock_guard<std::mutex> lock(s->mutex_);
  s->reactor_ = this;
  s->descriptor_ = descriptor;
  s->shutdown_ = false;
  s->poll_ = 0;
  // Paused until an operation waits. A descriptor libuv cannot poll (a regular
  // file) gets no watch; its operations fail with operation_not_supported, as
  // with Asio's own reactor.
  s->watch_ = descriptor_state::starting;
  request_update(s);
  descriptor_data = s;
  return 0;
}

int epoll_reactor::register_internal_descriptor(
    int op_type, socket_type descriptor,
    epoll_reactor::per_descriptor_data& descriptor_data, reactor_op* op)
{
  register_descriptor(descriptor, descriptor_data);
  std::lock_guard<std::mutex> lock(descriptor_data->mutex_);
  descriptor_data->op_queue_[op_type].push(op);
  request_update(descriptor_data);
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

  std::unique_lock<std::mutex> lock(descriptor_data->mutex_);

  if (descriptor_data->shutdown_)
  {
    lock.unlock();
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
        lock.unlock();
        scheduler_.post_immediate_completion(op, is_continuation);
        return;
      }
    }

    if (descriptor_data->watch_ == descriptor_state::unpollable)
    {
      lock.unlock();
      op->ec_ = boost::asio::error::operation_not_supported;
      scheduler_.post_immediate_completion(op, is_continuation);
      return;
    }
  }

  descriptor_data->op_queue_[op_type].push(op);
  scheduler_.work_started();
  request_update(descriptor_data);
}

void epoll_reactor::cancel_ops(socket_type,
    epoll_reactor::per_descriptor_data& descriptor_data)
{
  if (!descriptor_data)
    return;

  op_queue<operation> ops;
  {
    std::lock_guard<std::mutex> lock(descriptor_data->mutex_);
    for (int i = 0; i < max_ops; ++i)
    {
      while (reactor_op* op = descriptor_data->op_queue_[i].front())
      {
        op->ec_ = boost::asio::error::operation_aborted;
        descriptor_data->op_queue_[i].pop();
        ops.push(op);
      }
    }
    request_update(descriptor_data);
  }
  scheduler_.post_deferred_completions(ops);
}

void epoll_reactor::cancel_ops_by_key(socket_type,
    epoll_reactor::per_descriptor_data& descriptor_data,
    int op_type, void* cancellation_key)
{
  if (!descriptor_data)
    return;

  op_queue<operation> ops;
  {
    std::lock_guard<std::mutex> lock(descriptor_data->mutex_);
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
    request_update(descriptor_data);
  }
  scheduler_.post_deferred_completions(ops);
}

void epoll_reactor::deregister_descriptor(socket_type,
    epoll_reactor::per_descriptor_data& descriptor_data, bool)
{
  if (!descriptor_data)
    return;

  std::unique_lock<std::mutex> lock(descriptor_data->mutex_);

  if (!descriptor_data->shutdown_)
  {
    // Stop watching before the descriptor is closed.
    stop_watch(descriptor_data);

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

    lock.unlock();

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

  std::unique_lock<std::mutex> lock(descriptor_data->mutex_);

  if (!descriptor_data->shutdown_)
  {
    stop_watch(descriptor_data);

    // Internal operations never counted as work: destroy them here, as Asio does
    // (op_queue's destructor), once the lock is released.
    op_queue<operation> ops;
    for (int i = 0; i < max_ops; ++i)
      ops.push(descriptor_data->op_queue_[i]);

    descriptor_data->descriptor_ = -1;
    descriptor_data->shutdown_ = true;

    lock.unlock();
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
  std::lock_guard<std::mutex> lock(registered_mutex_);
  descriptor_state* s = free_;
  if (s)
    free_ = s->next_;
  else
    s = new descriptor_state;
  s->prev_ = 0;
  s->next_ = registered_;
  if (registered_)
    registered_->prev_ = s;
  registered_ = s;
  return s;
}

void epoll_reactor::free_descriptor_state(epoll_reactor::descriptor_state* s)
{
  {
    std::lock_guard<std::mutex> lock(s->mutex_);
    stop_watch(s);
    s->watch_ = descriptor_state::unwatched;
  }
  std::lock_guard<std::mutex> lock(registered_mutex_);
  if (s->prev_)
    s->prev_->next_ = s->next_;
  else
    registered_ = s->next_;
  if (s->next_)
    s->next_->prev_ = s->prev_;
  s->prev_ = 0;
  s->next_ = free_;
  free_ = s;
}

void epoll_reactor::request_update(descriptor_state* s)
{
  if (tau_on_loop_thread())
  {
    update_interest(s);
    return;
  }
  std::lock_guard<std::mutex> lock(pending_mutex_);
  if (!s->update_queued_)
  {
    s->update_queued_ = true;
    s->next_update_ = pending_;
    pending_ = s;
  }
  post_pending();
}

void epoll_reactor::update_interest(descriptor_state* s)
{
  int events = 0;
  if (!s->op_queue_[read_op].empty() || !s->op_queue_[except_op].empty())
    events |= TAU_READABLE;
  if (!s->op_queue_[write_op].empty())
    events |= TAU_WRITABLE;
  if (s->watch_ == descriptor_state::watching)
  {
    tau_poll_update(s->poll_, events);
    return;
  }
  if (s->watch_ != descriptor_state::starting)
    return;
  if (tau_poll_start(&s->poll_, s->descriptor_, events,
        &epoll_reactor::on_ready, s) == 0)
  {
    s->watch_ = descriptor_state::watching;
    return;
  }
  // Operations queued from another thread before the loop learned that the
  // descriptor cannot be polled.
  s->poll_ = 0;
  s->watch_ = descriptor_state::unpollable;
  op_queue<operation> ops;
  for (int i = 0; i < max_ops; ++i)
  {
    while (reactor_op* op = s->op_queue_[i].front())
    {
      op->ec_ = boost::asio::error::operation_not_supported;
      s->op_queue_[i].pop();
      ops.push(op);
    }
  }
  scheduler_.post_deferred_completions(ops);
}

void epoll_reactor::stop_watch(descriptor_state* s)
{
  tau_poll_stop(s->poll_);
  s->poll_ = 0;
  if (s->watch_ != descriptor_state::unpollable)
    s->watch_ = descriptor_state::unwatched;
}

void epoll_reactor::post_pending()
{
  if (!pending_posted_)
    pending_posted_ = token_->post(&epoll_reactor::on_pending);
}

void epoll_reactor::on_pending(void* p)
{
  tau_loop_token* token = static_cast<tau_loop_token*>(p);
  epoll_reactor* r;
  {
    std::lock_guard<std::mutex> lock(token->mutex);
    r = static_cast<epoll_reactor*>(token->enter_locked());
  }
  if (r)
  {
    // Taken out of the list under its lock: once a state's flag is clear, another
    // thread may queue it again, rewriting its link.
    std::vector<descriptor_state*> states;
    bool rearm;
    {
      std::lock_guard<std::mutex> lock(r->pending_mutex_);
      for (descriptor_state* s = r->pending_; s; s = s->next_update_)
      {
        s->update_queued_ = false;
        states.push_back(s);
      }
      r->pending_ = 0;
      rearm = r->rearm_pending_;
      r->rearm_pending_ = false;
      r->pending_posted_ = false;
    }
    for (std::size_t i = 0; i < states.size(); ++i)
    {
      descriptor_state* s = states[i];
      std::lock_guard<std::mutex> lock(s->mutex_);
      if (!s->shutdown_)
        r->update_interest(s);
    }
    if (rearm)
    {
      std::lock_guard<std::mutex> lock(r->mutex_);
      r->update_timeout();
    }
    std::lock_guard<std::mutex> lock(token->mutex);
    token->leave_locked();
  }
  token->release();
}

void epoll_reactor::on_ready(void* ctx, int status, int events)
{
  descriptor_state* s = static_cast<descriptor_state*>(ctx);
  std::lock_guard<std::mutex> lock(s->mutex_);
  if (s->shutdown_)
    return;
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
  // Under the descriptor's lock: a context destroyed on another thread shuts the
  // reactor down (which takes that lock) before its scheduler.
  r->scheduler_.post_deferred_completions(ops);
}

void epoll_reactor::do_add_timer_queue(timer_queue_base& queue)
{
  std::lock_guard<std::mutex> lock(mutex_);
  timer_queues_.insert(&queue);
}

void epoll_reactor::do_remove_timer_queue(timer_queue_base& queue)
{
  std::lock_guard<std::mutex> lock(mutex_);
  timer_queues_.erase(&queue);
}

void epoll_reactor::request_rearm()
{
  if (tau_on_loop_thread())
  {
    update_timeout();
    return;
  }
  std::lock_guard<std::mutex> lock(pending_mutex_);
  rearm_pending_ = true;
  post_pending();
}

void epoll_reactor::update_timeout()
{
  if (shutdown_)
    return;
  if (timer_queues_.all_empty())
  {
    disarm_timer_fd();
    if (timer_)
    {
      tau_timer_stop(timer_);
      timer_ = 0;
      token_->release();
    }
    return;
  }
  long usec = timer_queues_.wait_duration_usec(5 * 60 * 1000000L);
  if (arm_timer_fd(usec))
    return;
  // libuv's timers count whole milliseconds: round up, never fire early.
  uint64_t msec = static_cast<uint64_t>((usec + 999) / 1000);
  if (timer_)
    tau_timer_restart(timer_, msec, 0);
  else if (tau_timer_start(&timer_, msec, 0, &epoll_reactor::on_timer,
        token_) == 0)
    token_->ref();  // the timer's
  else
    timer_ = 0;
}

bool epoll_reactor::arm_timer_fd(long usec)
{
  if (timer_fd_ < 0)
  {
    if (timer_)
      return false;  // a timerfd was refused before
    int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0)
      return false;
    if (tau_poll_start(&timer_watch_, fd, TAU_READABLE,
          &epoll_reactor::on_timer_fd, token_) != 0)
    {
      ::close(fd);
      timer_watch_ = 0;
      return false;
    }
    token_->ref();  // the watch's
    timer_fd_ = fd;
    timer_watch_reading_ = true;
  }
  // As Asio's reactor: a deadline already due is an absolute time long past.
  itimerspec ts = itimerspec();
  ts.it_value.tv_sec = usec / 1000000;
  ts.it_value.tv_nsec = usec ? (usec % 1000000) * 1000 : 1;
  ::timerfd_settime(timer_fd_, usec ? 0 : TFD_TIMER_ABSTIME, &ts, 0);
  if (!timer_watch_reading_)
  {
    tau_poll_update(timer_watch_, TAU_READABLE);
    timer_watch_reading_ = true;
  }
  return true;
}

void epoll_reactor::disarm_timer_fd()
{
  if (timer_fd_ < 0)
    return;
  // Disarming also clears an expiry not yet seen, so the watch cannot fire.
  itimerspec ts = itimerspec();
  ::timerfd_settime(timer_fd_, 0, &ts, 0);
  if (timer_watch_reading_)
  {
    // Paused, it no longer keeps the loop alive.
    tau_poll_update(timer_watch_, 0);
    timer_watch_reading_ = false;
  }
}

void epoll_reactor::on_timer(void* p)
{
  fire_timers(static_cast<tau_loop_token*>(p));
}

void epoll_reactor::on_timer_fd(void* p, int, int)
{
  fire_timers(static_cast<tau_loop_token*>(p));
}

void epoll_reactor::fire_timers(tau_loop_token* token)
{
  epoll_reactor* r;
  {
    std::lock_guard<std::mutex> lock(token->mutex);
    r = static_cast<epoll_reactor*>(token->enter_locked());
  }
  if (!r)
    return;
  op_queue<operation> ops;
  {
    std::lock_guard<std::mutex> lock(r->mutex_);
    r->timer_queues_.get_ready_timers(ops);
    // Re-arming (or disarming) resets the timerfd's expiry count, so the
    // level-triggered watch stops reporting it.
    r->update_timeout();
  }
  r->scheduler_.post_deferred_completions(ops);
  std::lock_guard<std::mutex> lock(token->mutex);
  token->leave_locked();
}

} // namespace detail
} // namespace asio
} // namespace boost

#include <boost/asio/detail/pop_options.hpp>

#endif // defined(BOOST_ASIO_HAS_EPOLL)

#endif // BOOST_ASIO_DETAIL_IMPL_EPOLL_REACTOR_IPP
