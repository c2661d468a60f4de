//
// detail/impl/scheduler.ipp: tau's shadow of Boost.Asio 1.81's scheduler.
//
// Locking: token_->mutex guards the runners (threads inside run()) and is taken
// only briefly: never while a handler runs or an operation is destroyed (their
// destructors may finish work, which takes it). A loop callback that uses the
// scheduler does so between token_->enter_locked() and leave_locked(); a parked
// runner returns only when no such callback is in progress, so the thread that
// called run() may destroy the context as soon as run() returns.
//

#ifndef BOOST_ASIO_DETAIL_IMPL_SCHEDULER_IPP
#define BOOST_ASIO_DETAIL_IMPL_SCHEDULER_IPP

#include <boost/asio/detail/config.hpp>

#include <chrono>
#include <utility>

#include <boost/asio/detail/scheduler.hpp>
#include <boost/asio/error.hpp>

#include <boost/asio/detail/push_options.hpp>

namespace boost {
namespace asio {
namespace detail {

namespace tau_scheduler {

// Handlers a drain runs before it lets the loop poll for I/O again.
const std::size_t drain_budget = 1024;

inline void destroy_all(op_queue<scheduler_operation>& ops)
{
  while (scheduler_operation* o = ops.front())
  {
    ops.pop();
    o->destroy();
  }
}

} // namespace tau_scheduler

scheduler::scheduler(boost::asio::execution_context& ctx,
    int concurrency_hint, bool, get_task_func_type)
  : boost::asio::detail::execution_context_service_base<scheduler>(ctx),
    token_(tau_loop_token::create(this)),
    shutdown_watch_(0),
    remote_pending_(false),
    drain_posted_(false),
    hold_posted_(false),
    outstanding_work_(0),
    stopped_(false),
    shutdown_(false),
    host_shutdown_(false),
    concurrency_hint_(concurrency_hint),
    run_gated_(!tau_on_loop_thread()),
    polls_waiting_(0),
    runners_(0),
    runner_count_(0),
    private_work_(0)
{
  loop_thread_info_.private_outstanding_work = 0;
  token_->ref();  // the shutdown watch's
  if (tau_shutdown_watch_start(&shutdown_watch_,
        &scheduler::on_shutdown, token_) != 0)
  {
    token_->release();
    shutdown_watch_ = 0;
    host_shutdown_ = true;
  }
}

scheduler::~scheduler()
{
  if (shutdown_watch_)
  {
    tau_shutdown_watch_stop(shutdown_watch_);
    token_->release();
  }
  token_->close();
  if (tau_on_loop_thread())
    settle_hold(token_, false);
  else
    token_->post(&scheduler::on_hold);
  tau_scheduler::destroy_all(ops_);
  op_queue<operation> remote;
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    remote.push(remote_ops_);
  }
  tau_scheduler::destroy_all(remote);
  token_->release();
}

void scheduler::shutdown()
{
  token_->close();
  shutdown_ = true;
  {
    std::lock_guard<std::mutex> lock(token_->mutex);
    release_runners();
  }
  if (tau_on_loop_thread())
    settle_hold(token_, false);
  else
    token_->post(&scheduler::on_hold);
  op_queue<operation> remote;
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    remote.push(remote_ops_);
  }
  ops_.push(remote);
  tau_scheduler::destroy_all(ops_);
}

void scheduler::init_task()
{
}

scheduler_task* scheduler::get_default_task(boost::asio::execution_context&)
{
  return 0;
}

std::size_t scheduler::run(boost::system::error_code& ec)
{
  ec = boost::system::error_code();
  if (tau_on_loop_thread())
    return drive(false, -1, ec);
  return park(false, -1);
}

std::size_t scheduler::run_one(boost::system::error_code& ec)
{
  return wait_one(-1, ec);
}

std::size_t scheduler::wait_one(long usec, boost::system::error_code& ec)
{
  ec = boost::system::error_code();
  if (!tau_on_loop_thread())
    return park(true, usec);
  return drive(true, usec, ec);
}

std::size_t scheduler::poll(boost::system::error_code& ec)
{
  return poll_ready(static_cast<std::size_t>(-1), ec);
}

std::size_t scheduler::poll_one(boost::system::error_code& ec)
{
  return poll_ready(1, ec);
}

namespace tau_scheduler {

inline int at_once(void*)
{
  return 1;
}

} // namespace tau_scheduler

std::size_t scheduler::poll_ready(std::size_t max, boost::system::error_code& ec)
{
  ec = boost::system::error_code();
  if (stopped_)
    return 0;
  // tau_block_on with nothing to wait for tells whether the loop is running here.
  if (!tau_on_loop_thread()
      || tau_block_on(&tau_scheduler::at_once, 0) != TAU_E_IN_LOOP)
    return poll_after_turn(max);
  {
    std::lock_guard<std::mutex> lock(token_->mutex);
    if (!token_->enter_locked())
      return 0;  // shut down
  }
  std::exception_ptr error;
  std::size_t n = run_ready(max, error);
  if (error)
    std::rethrow_exception(error);
  return n;
}

std::size_t scheduler::run_ready(std::size_t max, std::exception_ptr& error)
{
  take_remote();
  std::size_t n = drain(max, error);
  std::lock_guard<std::mutex> lock(token_->mutex);
  if (outstanding_work_ == 0)
    stopped_ = true;
  // Runners left waiting while this ran (a handler may have stopped the
  // context) are released now; this is the end of a drain too.
  if (stopped_)
    release_runners();
  update_hold();
  if (!ops_.empty())
    schedule_drain();  // what its handlers posted beyond max
  token_->leave_locked();
  return n;
}

// Shared by the polling thread and the loop; the last of the two frees it (the
// poller leaves early when the host shuts down).
struct scheduler::poll_turn
{
  tau_loop_token* token;
  std::size_t max;
  tau_timer_t* timer;
  // Guarded by token->mutex.
  bool done;
  std::size_t count;
  std::exception_ptr error;
  std::atomic<int> refs;

  void release()
  {
    if (refs.fetch_sub(1) == 1)
    {
      token->release();
      delete this;
    }
  }

  static int finished(void* p)
  {
    poll_turn* t = static_cast<poll_turn*>(p);
    std::lock_guard<std::mutex> lock(t->token->mutex);
    return t->done;
  }
};

std::size_t scheduler::poll_after_turn(std::size_t max)
{
  poll_turn* t = new poll_turn;
  t->token = token_;
  t->max = max;
  t->timer = 0;
  t->done = false;
  t->count = 0;
  t->refs.store(2);
  token_->ref();
  {
    std::lock_guard<std::mutex> lock(token_->mutex);
    ++polls_waiting_;
  }
  if (tau_post(&scheduler::on_poll_turn, t) != 0)
  {
    {
      std::lock_guard<std::mutex> lock(token_->mutex);
      --polls_waiting_;
    }
    t->release();
    t->release();
    return 0;  // the host is shutting down
  }
  if (tau_on_loop_thread())
  {
    tau_block_on(&poll_turn::finished, t);
  }
  else
  {
    std::unique_lock<std::mutex> lock(token_->mutex);
    ++token_->waiters;
    while (!t->done && !host_shutdown_ && !shutdown_)
      token_->cv.wait(lock);
    --token_->waiters;
  }
  std::size_t n;
  std::exception_ptr error;
  {
    std::lock_guard<std::mutex> lock(token_->mutex);
    n = t->count;
    error = t->error;
  }
  t->release();
  if (error)
    std::rethrow_exception(error);
  return n;
}

// Loop timers run at the start of a turn, after the previous turn's I/O poll: a
// 0 ms timer started now fires once the loop polled without blocking (a post
// would not do: posts run in batches within one turn).
void scheduler::on_poll_turn(void* p)
{
  poll_turn* t = static_cast<poll_turn*>(p);
  if (tau_timer_start(&t->timer, 0, 0, &scheduler::on_poll_turn_timer, t) != 0)
    on_poll_turn_timer(t);
}

void scheduler::on_poll_turn_timer(void* p)
{
  poll_turn* t = static_cast<poll_turn*>(p);
  tau_timer_stop(t->timer);
  tau_loop_token* token = t->token;
  scheduler* s;
  {
    std::lock_guard<std::mutex> lock(token->mutex);
    s = static_cast<scheduler*>(token->enter_locked());
    if (s)
      --s->polls_waiting_;
  }
  std::size_t n = 0;
  std::exception_ptr error;
  if (s)
    n = s->run_ready(t->max, error);
  {
    std::lock_guard<std::mutex> lock(token->mutex);
    t->count = n;
    t->error = error;
    t->done = true;
    if (token->waiters > 0)
      token->cv.notify_all();
  }
  t->release();
}

void scheduler::stop()
{
  std::lock_guard<std::mutex> lock(token_->mutex);
  stopped_ = true;
  // While a drain runs (a handler stopped us, or another thread did meanwhile),
  // its end releases the runners, once it has counted its handlers to them.
  if (!drain_running())
    release_runners();
  update_hold();
}

bool scheduler::stopped() const
{
  return stopped_;
}

void scheduler::restart()
{
  {
    std::lock_guard<std::mutex> lock(token_->mutex);
    stopped_ = false;
    update_hold();
  }
  schedule_drain();
}

void scheduler::compensating_work_started()
{
  outstanding_work_.fetch_add(1);
}

bool scheduler::can_dispatch()
{
  return thread_call_stack::contains(this) != 0;
}

void scheduler::capture_current_exception()
{
  if (thread_info_base* this_thread = thread_call_stack::contains(this))
    this_thread->capture_current_exception();
}

// From inside a drain the operation joins ops_, which the same drain (or the
// next, that its end posts) runs: no lock, no atomic, no call into the host.
void scheduler::post_immediate_completion(
    scheduler::operation* op, bool)
{
  if (in_own_drain())
  {
    ++private_work_;
    ops_.push(op);
    return;
  }
  work_started();
  enqueue(op);
}

void scheduler::post_immediate_completions(std::size_t n,
    op_queue<scheduler::operation>& ops, bool)
{
  if (in_own_drain())
  {
    private_work_ += static_cast<long>(n);
    ops_.push(ops);
    return;
  }
  if (outstanding_work_.fetch_add(static_cast<long>(n)) == 0 && n > 0)
    update_hold();
  enqueue(ops);
}

void scheduler::post_deferred_completion(scheduler::operation* op)
{
  if (in_own_drain())
  {
    ops_.push(op);
    return;
  }
  enqueue(op);
}

void scheduler::post_deferred_completions(op_queue<scheduler::operation>& ops)
{
  if (ops.empty())
    return;
  if (in_own_drain())
  {
    ops_.push(ops);
    return;
  }
  enqueue(ops);
}

void scheduler::do_dispatch(scheduler::operation* op)
{
  post_immediate_completion(op, false);
}

void scheduler::abandon_operations(op_queue<scheduler::operation>& ops)
{
  tau_scheduler::destroy_all(ops);
}

void scheduler::enqueue(operation* op)
{
  if (tau_on_loop_thread())
  {
    ops_.push(op);
  }
  else
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    remote_ops_.push(op);
    remote_pending_ = true;
  }
  schedule_drain();
}

void scheduler::enqueue(op_queue<operation>& ops)
{
  if (tau_on_loop_thread())
  {
    ops_.push(ops);
  }
  else
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    remote_ops_.push(ops);
    remote_pending_ = true;
  }
  schedule_drain();
}

void scheduler::schedule_drain()
{
  if (stopped_ || shutdown_ || (run_gated_ && runner_count_ == 0))
    return;
  if (drain_posted_.load(std::memory_order_relaxed)
      || drain_posted_.exchange(true))
    return;
  if (!token_->post(&scheduler::on_drain))
    drain_posted_ = false;
}

void scheduler::take_remote()
{
  if (!remote_pending_)
    return;
  std::lock_guard<std::mutex> lock(remote_mutex_);
  ops_.push(remote_ops_);
  remote_pending_ = false;
}

void scheduler::on_drain(void* p)
{
  tau_loop_token* token = static_cast<tau_loop_token*>(p);
  scheduler* s;
  std::size_t allowance;
  {
    std::lock_guard<std::mutex> lock(token->mutex);
    s = static_cast<scheduler*>(token->enter_locked());
    if (s)
    {
      s->drain_posted_ = false;
      allowance = s->drain_allowance();
    }
  }
  if (!s)
  {
    token->release();
    return;
  }
  s->take_remote();
  std::exception_ptr error;
  std::size_t n = allowance > 0 ? s->drain(allowance, error) : 0;
  bool claimed;
  {
    std::lock_guard<std::mutex> lock(token->mutex);
    claimed = s->settle(n, error);
    s->update_hold();
    if (!s->ops_.empty() && s->drain_allowance() > 0)
      s->schedule_drain();
    token->leave_locked();
  }
  token->release();
  if (!claimed)
    std::rethrow_exception(error);  // to the host, which reports it against the plugin
}

void scheduler::flush_private_work()
{
  if (private_work_ != 0)
  {
    if (outstanding_work_.fetch_add(private_work_) == 0)
      update_hold();
    private_work_ = 0;
  }
}

// Once a handler returned (or threw): its own unit of work is finished and the
// work it started privately begins; as Asio's work_cleanup, a handler that
// started exactly one touches no atomic.
struct scheduler::handler_work_cleanup
{
  scheduler* s;
  ~handler_work_cleanup()
  {
    long started = s->private_work_;
    s->private_work_ = 0;
    if (started > 1)
      s->outstanding_work_.fetch_add(started - 1);
    else if (started < 1)
      s->work_finished();
  }
};

std::size_t scheduler::drain(std::size_t max, std::exception_ptr& error)
{
  // A drain inside a handler of ours (poll() from a handler) runs handlers whose
  // work that handler counted privately: make it count first.
  flush_private_work();
  thread_call_stack::context ctx(this, loop_thread_info_);
  std::size_t n = 0;
  while (n < max && !stopped_ && !shutdown_)
  {
    operation* o = ops_.front();
    if (!o)
      break;
    ops_.pop();
    ++n;
    try
    {
      handler_work_cleanup cleanup = { this };
      o->complete(this, boost::system::error_code(), 0);
      loop_thread_info_.rethrow_pending_exception();
    }
    catch (...)
    {
      error = std::current_exception();
      break;
    }
  }
  tau_shim_stats::get().count_handlers(n, tau_on_loop_thread() != 0);
  return n;
}

std::size_t scheduler::drain_allowance() const
{
  if (stopped_ || shutdown_ || host_shutdown_ || polls_waiting_ > 0)
    return 0;
  if (!run_gated_)
    return tau_scheduler::drain_budget;
  std::size_t ones = 0;
  for (runner* r = runners_; r; r = r->next)
  {
    if (!r->one)
      return tau_scheduler::drain_budget;
    ++ones;
  }
  return ones;
}

bool scheduler::settle(std::size_t n, std::exception_ptr error)
{
  bool woke = false;
  runner* last = 0;
  // A run_one() caller takes one handler, oldest caller first.
  for (runner** link = &runners_; n > 0 && *link;)
  {
    runner* r = *link;
    if (!r->one)
    {
      link = &r->next;
      continue;
    }
    *link = r->next;
    --runner_count_;
    r->count = 1;
    r->done = woke = true;
    last = r;
    --n;
  }
  // The rest counts to the oldest run() caller, which then goes to the back, so
  // that parked run() calls share the handlers between them.
  if (n > 0)
  {
    runner** link = &runners_;
    while (*link && (*link)->one)
      link = &(*link)->next;
    if (runner* r = *link)
    {
      r->count += n;
      last = r;
      if (r->next)
      {
        *link = r->next;
        runner* tail = r->next;
        while (tail->next)
          tail = tail->next;
        tail->next = r;
        r->next = 0;
      }
    }
  }
  bool claimed = !error;
  if (error && last)
  {
    last->error = error;
    if (!last->done)
    {
      unlink_runner(last);
      last->done = woke = true;
    }
    claimed = true;
  }
  if (runners_ && (stopped_ || host_shutdown_ || outstanding_work_ == 0))
  {
    if (outstanding_work_ == 0)
      stopped_ = true;
    release_runners();
  }
  else if (woke && token_->waiters > 0)
  {
    token_->cv.notify_all();
  }
  return claimed;
}

void scheduler::release_runners()
{
  for (runner* r = runners_; r; r = r->next)
    r->done = true;
  runners_ = 0;
  runner_count_ = 0;
  if (token_->waiters > 0)
    token_->cv.notify_all();
}

void scheduler::unlink_runner(runner* r)
{
  for (runner** link = &runners_; *link; link = &(*link)->next)
  {
    if (*link == r)
    {
      *link = r->next;
      --runner_count_;
      return;
    }
  }
}

bool scheduler::nothing_to_run()
{
  if (stopped_)
    return true;
  if (shutdown_ || host_shutdown_ || outstanding_work_ == 0)
  {
    stopped_ = true;
    update_hold();
    return true;
  }
  return false;
}

std::size_t scheduler::park(bool one, long usec)
{
  runner r = { 0, one, false, 0, std::exception_ptr() };
  std::unique_lock<std::mutex> lock(token_->mutex);
  if (nothing_to_run())
    return 0;
  tau_shim_stats::get().parked_runs.fetch_add(1, std::memory_order_relaxed);
  runner** tail = &runners_;
  while (*tail)
    tail = &(*tail)->next;
  *tail = &r;
  ++runner_count_;
  schedule_drain();
  std::chrono::steady_clock::time_point deadline =
    std::chrono::steady_clock::now() + std::chrono::microseconds(usec);
  ++token_->waiters;
  // Returns once released and no loop callback uses the scheduler any more.
  while (!r.done || token_->busy > 0)
  {
    if (!r.done && usec >= 0)
    {
      if (token_->cv.wait_until(lock, deadline) == std::cv_status::timeout
          && !r.done)
      {
        unlink_runner(&r);
        r.done = true;
      }
    }
    else
    {
      token_->cv.wait(lock);
    }
  }
  --token_->waiters;
  lock.unlock();
  if (r.error)
    std::rethrow_exception(r.error);
  return r.count;
}

std::size_t scheduler::drive(bool one, long usec,
    boost::system::error_code& ec)
{
  runner r = { 0, one, false, 0, std::exception_ptr() };
  {
    std::lock_guard<std::mutex> lock(token_->mutex);
    if (nothing_to_run())
      return 0;
    runner** tail = &runners_;
    while (*tail)
      tail = &(*tail)->next;
    *tail = &r;
    ++runner_count_;
    schedule_drain();
  }
  struct wait
  {
    scheduler* s;
    runner* r;
    bool expired;
    static int done(void* p)
    {
      wait* w = static_cast<wait*>(p);
      std::lock_guard<std::mutex> lock(w->s->token_->mutex);
      return w->r->done || w->expired;
    }
    static void on_timer(void* p) { static_cast<wait*>(p)->expired = true; }
  };
  wait w = { this, &r, false };
  tau_timer_t* timer = 0;
  if (usec >= 0)
    tau_timer_start(&timer, static_cast<uint64_t>((usec + 999) / 1000), 0,
        &wait::on_timer, &w);
  int rc = tau_block_on(&wait::done, &w);
  tau_timer_stop(timer);
  {
    std::lock_guard<std::mutex> lock(token_->mutex);
    if (!r.done)
      unlink_runner(&r);
    if (rc == TAU_E_SHUTDOWN || outstanding_work_ == 0)
      stopped_ = true;  // shutting down: as if stop() had been called
    update_hold();
  }
  if (rc == TAU_E_IN_LOOP)
    ec = make_tau_error(tau_errc::run_inside_loop);
  else if (rc == TAU_E_STALLED)
    ec = make_tau_error(tau_errc::loop_stalled);
  if (r.error)
    std::rethrow_exception(r.error);
  return r.count;
}

void scheduler::on_work_exhausted()
{
  std::lock_guard<std::mutex> lock(token_->mutex);
  // As Asio's work_finished(): the context stops. Not a host-driven one nobody
  // runs, which the loop goes on running when new work comes.
  if (runners_ || run_gated_)
  {
    stopped_ = true;
    if (!drain_running())
      release_runners();
  }
  update_hold();
}

bool scheduler::drain_running() const
{
  return token_->busy > 0;
}

bool scheduler::wants_hold() const
{
  return outstanding_work_ > 0 && !stopped_ && !shutdown_ && !host_shutdown_;
}

void scheduler::update_hold()
{
  if (tau_on_loop_thread())
    settle_hold(token_, wants_hold());
  else if (!hold_posted_.exchange(true) && !token_->post(&scheduler::on_hold))
    hold_posted_ = false;
}

void scheduler::settle_hold(tau_loop_token* token, bool want)
{
  if (want == token->held)
    return;
  token->held = want;
  if (want)
    tau_loop_hold();
  else
    tau_loop_release();
}

void scheduler::on_hold(void* p)
{
  tau_loop_token* token = static_cast<tau_loop_token*>(p);
  {
    std::lock_guard<std::mutex> lock(token->mutex);
    bool want = false;
    if (scheduler* s = static_cast<scheduler*>(token->owner))
    {
      s->hold_posted_ = false;
      want = s->wants_hold();
    }
    settle_hold(token, want);
  }
  token->release();
}

void scheduler::on_shutdown(void* p)
{
  tau_loop_token* token = static_cast<tau_loop_token*>(p);
  std::lock_guard<std::mutex> lock(token->mutex);
  if (scheduler* s = static_cast<scheduler*>(token->owner))
  {
    s->host_shutdown_ = true;
    s->stopped_ = true;
    s->release_runners();
  }
  settle_hold(token, false);
}

} // namespace detail
} // namespace asio
} // namespace boost

#include <boost/asio/detail/pop_options.hpp>

#endif // BOOST_ASIO_DETAIL_IMPL_SCHEDULER_IPP
