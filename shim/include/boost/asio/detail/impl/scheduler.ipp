//
// detail/impl/scheduler.ipp: tau's shadow of Boost.Asio 1.81's scheduler.
//

#ifndef BOOST_ASIO_DETAIL_IMPL_SCHEDULER_IPP
#define BOOST_ASIO_DETAIL_IMPL_SCHEDULER_IPP

#include <boost/asio/detail/config.hpp>

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

// Calls work_finished() once an operation has run, even when it threw.
struct work_finished_on_exit
{
  scheduler* s;
  ~work_finished_on_exit() { s->work_finished(); }
};

} // namespace tau_scheduler

scheduler::scheduler(boost::asio::execution_context& ctx,
    int concurrency_hint, bool, get_task_func_type)
  : boost::asio::detail::execution_context_service_base<scheduler>(ctx),
    token_(tau_loop_token::create(this)),
    remote_posted_(false),
    drain_posted_(false),
    outstanding_work_(0),
    held_(false),
    stopped_(false),
    shutdown_(false),
    concurrency_hint_(concurrency_hint),
    executed_(0),
    outside_runs_(0),
    drain_max_(tau_scheduler::drain_budget),
    one_mark_(0),
    one_timeout_(0)
{
  loop_thread_info_.private_outstanding_work = 0;
}

scheduler::~scheduler()
{
  token_->owner.store(0);
  token_->release();
  if (held_)
    tau_loop_release();
  while (operation* o = ops_.front())
  {
    ops_.pop();
    o->destroy();
  }
  std::lock_guard<std::mutex> lock(remote_mutex_);
  while (operation* o = remote_ops_.front())
  {
    remote_ops_.pop();
    o->destroy();
  }
}

void scheduler::shutdown()
{
  shutdown_ = true;
  update_hold();
  op_queue<operation> remote;
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    remote.push(remote_ops_);
  }
  ops_.push(remote);
  while (operation* o = ops_.front())
  {
    ops_.pop();
    o->destroy();
  }
}

void scheduler::init_task()
{
}

scheduler_task* scheduler::get_default_task(boost::asio::execution_context&)
{
  return 0;
}

std::size_t scheduler::drive(int (*done)(void*),
    boost::system::error_code& ec)
{
  ec = boost::system::error_code();
  if (!tau_on_loop_thread())
  {
    ec = make_tau_error(tau_errc::run_off_loop_thread);
    return 0;
  }
  if (outstanding_work_.load() == 0)
  {
    stop();
    return 0;
  }
  std::size_t start = executed_;
  ++outside_runs_;
  int rc = tau_block_on(done, this);
  --outside_runs_;
  if (rc == TAU_E_SHUTDOWN)
    stop();  // the host is shutting down: as if stop() had been called
  else if (rc == TAU_E_IN_LOOP)
    ec = make_tau_error(tau_errc::run_inside_loop);
  else if (rc == TAU_E_STALLED)
    ec = make_tau_error(tau_errc::loop_stalled);
  if (outstanding_work_.load() == 0)
    stop();
  if (pending_exception_)
    std::rethrow_exception(std::exchange(pending_exception_, nullptr));
  return executed_ - start;
}

std::size_t scheduler::run(boost::system::error_code& ec)
{
  if (stopped_)
    return 0;
  struct until
  {
    static int done(void* p)
    {
      scheduler* s = static_cast<scheduler*>(p);
      return s->stopped_ || s->outstanding_work_.load() == 0
        || s->pending_exception_;
    }
  };
  return drive(&until::done, ec);
}

std::size_t scheduler::run_one(boost::system::error_code& ec)
{
  return wait_one(-1, ec);
}

std::size_t scheduler::wait_one(long usec, boost::system::error_code& ec)
{
  if (stopped_)
    return 0;
  if (!ops_.empty() && tau_on_loop_thread())
    return poll_one(ec);
  struct timeout
  {
    bool expired;
    static void on_timer(void* p) { static_cast<timeout*>(p)->expired = true; }
  };
  timeout t = { false };
  tau_timer_t* timer = 0;
  if (usec >= 0)
    tau_timer_start(&timer, static_cast<uint64_t>((usec + 999) / 1000), 0,
        &timeout::on_timer, &t);
  struct until
  {
    static int done(void* p)
    {
      scheduler* s = static_cast<scheduler*>(p);
      return s->stopped_ || s->outstanding_work_.load() == 0
        || s->pending_exception_ || s->executed_ != s->one_mark_
        || (s->one_timeout_ && *s->one_timeout_);
    }
  };
  // The drain runs one handler at a time meanwhile, so that the loop returns to
  // us after it.
  one_mark_ = executed_;
  one_timeout_ = usec >= 0 ? &t.expired : 0;
  drain_max_ = 1;
  std::size_t n = drive(&until::done, ec);
  drain_max_ = tau_scheduler::drain_budget;
  one_timeout_ = 0;
  tau_timer_stop(timer);
  if (!ops_.empty())
    schedule_drain();
  return n;
}

std::size_t scheduler::poll(boost::system::error_code& ec)
{
  ec = boost::system::error_code();
  if (stopped_)
    return 0;
  std::size_t n = drain(static_cast<std::size_t>(-1));
  if (outstanding_work_.load() == 0)
    stop();
  return n;
}

std::size_t scheduler::poll_one(boost::system::error_code& ec)
{
  ec = boost::system::error_code();
  if (stopped_)
    return 0;
  std::size_t n = drain(1);
  if (outstanding_work_.load() == 0)
    stop();
  return n;
}

void scheduler::stop()
{
  stopped_ = true;
  update_hold();
}

bool scheduler::stopped() const
{
  return stopped_;
}

void scheduler::restart()
{
  stopped_ = false;
  update_hold();
  if (!ops_.empty())
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

void scheduler::post_immediate_completion(
    scheduler::operation* op, bool)
{
  work_started();
  enqueue(op);
}

void scheduler::post_immediate_completions(std::size_t n,
    op_queue<scheduler::operation>& ops, bool)
{
  if (outstanding_work_.fetch_add(static_cast<long>(n)) == 0 && n > 0)
    update_hold();
  enqueue(ops);
}

void scheduler::post_deferred_completion(scheduler::operation* op)
{
  enqueue(op);
}

void scheduler::post_deferred_completions(op_queue<scheduler::operation>& ops)
{
  if (!ops.empty())
    enqueue(ops);
}

void scheduler::do_dispatch(scheduler::operation* op)
{
  work_started();
  enqueue(op);
}

void scheduler::abandon_operations(op_queue<scheduler::operation>& ops)
{
  ops_.push(ops);
}

void scheduler::enqueue(operation* op)
{
  if (tau_on_loop_thread())
  {
    ops_.push(op);
    schedule_drain();
    return;
  }
  std::lock_guard<std::mutex> lock(remote_mutex_);
  remote_ops_.push(op);
  if (!remote_posted_)
    remote_posted_ = token_->post(&scheduler::on_remote);
}

void scheduler::enqueue(op_queue<operation>& ops)
{
  if (tau_on_loop_thread())
  {
    ops_.push(ops);
    schedule_drain();
    return;
  }
  std::lock_guard<std::mutex> lock(remote_mutex_);
  remote_ops_.push(ops);
  if (!remote_posted_)
    remote_posted_ = token_->post(&scheduler::on_remote);
}

void scheduler::schedule_drain()
{
  if (!drain_posted_ && !stopped_ && !shutdown_)
    drain_posted_ = token_->post(&scheduler::on_drain);
}

void scheduler::on_drain(void* p)
{
  tau_loop_token* token = static_cast<tau_loop_token*>(p);
  scheduler* s = static_cast<scheduler*>(token->owner.load());
  token->release();
  if (!s)
    return;
  s->drain_posted_ = false;
  s->drain(s->drain_max_);
  if (!s->ops_.empty() && s->drain_max_ > 1)
    s->schedule_drain();
}

void scheduler::on_remote(void* p)
{
  tau_loop_token* token = static_cast<tau_loop_token*>(p);
  scheduler* s = static_cast<scheduler*>(token->owner.load());
  token->release();
  if (!s)
    return;
  op_queue<operation> moved;
  {
    std::lock_guard<std::mutex> lock(s->remote_mutex_);
    moved.push(s->remote_ops_);
    s->remote_posted_ = false;
  }
  s->update_hold();
  s->ops_.push(moved);
  s->schedule_drain();
}

std::size_t scheduler::drain(std::size_t max)
{
  thread_call_stack::context ctx(this, loop_thread_info_);
  std::size_t n = 0;
  while (n < max && !stopped_ && !shutdown_)
  {
    operation* o = ops_.front();
    if (!o)
      break;
    ops_.pop();
    ++n;
    ++executed_;
    try
    {
      tau_scheduler::work_finished_on_exit on_exit = { this };
      o->complete(this, boost::system::error_code(), 0);
      loop_thread_info_.rethrow_pending_exception();
    }
    catch (...)
    {
      if (!ops_.empty())
        schedule_drain();
      if (outside_runs_ > 0)
      {
        pending_exception_ = std::current_exception();
        return n;
      }
      throw;  // to the host, which reports it against the plugin
    }
  }
  return n;
}

void scheduler::update_hold()
{
  if (!tau_on_loop_thread())
    return;  // settled by on_remote, on the loop thread
  bool want = outstanding_work_.load() > 0 && !stopped_ && !shutdown_;
  if (want == held_)
    return;
  held_ = want;
  if (want)
    tau_loop_hold();
  else
    tau_loop_release();
}

} // namespace detail
} // namespace asio
} // namespace boost

#include <boost/asio/detail/pop_options.hpp>

#endif // BOOST_ASIO_DETAIL_IMPL_SCHEDULER_IPP
