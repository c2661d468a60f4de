//
// detail/impl/signal_set_service.ipp: tau's shadow of Boost.Asio 1.81's signal
// set service (signals through the host's uv_signal, tau_signal_start).
//

#ifndef BOOST_ASIO_DETAIL_IMPL_SIGNAL_SET_SERVICE_IPP
#define BOOST_ASIO_DETAIL_IMPL_SIGNAL_SET_SERVICE_IPP

#include <boost/asio/detail/config.hpp>

#include <mutex>
#include <stdexcept>
#include <boost/asio/detail/signal_set_service.hpp>
#include <boost/asio/detail/throw_exception.hpp>

#include <boost/asio/detail/push_options.hpp>

namespace boost {
namespace asio {
namespace detail {

struct signal_state
{
  // Protects everything here and the services' registration tables.
  std::mutex mutex_;

  // The head of a linked list of all signal_set_service instances.
  class signal_set_service* service_list_ = 0;

  // A count of the number of objects that are registered for each signal.
  std::size_t registration_count_[max_signal_number] = {};

  // The host's watch of each signal with a nonzero count (loop thread only).
  tau_signal_t* watches_[max_signal_number] = {};

  // Whether an update of the watches is posted to the loop.
  bool update_posted_ = false;

  // The plugin is being unloaded: stop the watches that sets leaked (a set that
  // is never destroyed), so that no host watch calls into unloaded code. After
  // the runtime closed, tau_signal_stop does nothing.
  ~signal_state()
  {
    for (int i = 0; i < max_signal_number; ++i)
    {
      if (watches_[i])
        tau_signal_stop(watches_[i]);
      watches_[i] = 0;
    }
  }
};

signal_state* get_signal_state()
{
  static signal_state state;
  return &state;
}

void boost_asio_signal_handler(int signal_number)
{
  if (signal_number >= 0 && signal_number < max_signal_number)
    signal_set_service::deliver_signal(signal_number);
}

signal_set_service::signal_set_service(execution_context& context)
  : execution_context_service_base<signal_set_service>(context),
    scheduler_(boost::asio::use_service<scheduler_impl>(context)),
    next_(0),
    prev_(0)
{
  for (int i = 0; i < max_signal_number; ++i)
    registrations_[i] = 0;

  add_service(this);
}

signal_set_service::~signal_set_service()
{
  remove_service(this);

  // Registrations of sets that outlive the context (never destroyed) stop
  // counting, so that their watches stop. The registration objects belong to
  // the sets.
  signal_state* state = get_signal_state();
  std::lock_guard<std::mutex> lock(state->mutex_);
  for (int i = 0; i < max_signal_number; ++i)
  {
    bool any = false;
    for (registration* reg = registrations_[i]; reg; reg = reg->next_in_table_)
    {
      --state->registration_count_[i];
      any = true;
    }
    registrations_[i] = 0;
    if (any)
      update_watch(i);
  }
}

void signal_set_service::shutdown()
{
  remove_service(this);

  op_queue<operation> ops;

  for (int i = 0; i < max_signal_number; ++i)
  {
    registration* reg = registrations_[i];
    while (reg)
    {
      ops.push(*reg->queue_);
      reg = reg->next_in_table_;
    }
  }

  scheduler_.abandon_operations(ops);
}

void signal_set_service::notify_fork(execution_context::fork_event)
{
}

void signal_set_service::construct(
    signal_set_service::implementation_type& impl)
{
  impl.signals_ = 0;
}

void signal_set_service::destroy(
    signal_set_service::implementation_type& impl)
{
  boost::system::error_code ignored_ec;
  clear(impl, ignored_ec);
  cancel(impl, ignored_ec);
}

boost::system::error_code signal_set_service::add(
    signal_set_service::implementation_type& impl,
    int signal_number, boost::system::error_code& ec)
{
  // Check that the signal number is valid.
  if (signal_number < 0 || signal_number >= max_signal_number)
  {
    ec = boost::asio::error::invalid_argument;
    return ec;
  }

  signal_state* state = get_signal_state();
  std::lock_guard<std::mutex> lock(state->mutex_);

  // Find the appropriate place to insert the registration.
  registration** insertion_point = &impl.signals_;
  registration* next = impl.signals_;
  while (next && next->signal_number_ < signal_number)
  {
    insertion_point = &next->next_in_set_;
    next = next->next_in_set_;
  }

  // Only do something if the signal is not already registered.
  if (next == 0 || next->signal_number_ != signal_number)
  {
    registration* new_registration = new registration;

    // Watch the signal if we're the first (where Asio installs its handler).
    if (++state->registration_count_[signal_number] == 1)
    {
      if (int rc = update_watch(signal_number))
      {
        --state->registration_count_[signal_number];
        ec = error_of_tau_code(rc);
        delete new_registration;
        return ec;
      }
    }

    // Record the new registration in the set.
    new_registration->signal_number_ = signal_number;
    new_registration->queue_ = &impl.queue_;
    new_registration->next_in_set_ = next;
    *insertion_point = new_registration;

    // Insert registration into the registration table.
    new_registration->next_in_table_ = registrations_[signal_number];
    if (registrations_[signal_number])
      registrations_[signal_number]->prev_in_table_ = new_registration;
    registrations_[signal_number] = new_registration;
  }

  ec = boost::system::error_code();
  return ec;
}

boost::system::error_code signal_set_service::remove(
    signal_set_service::implementation_type& impl,
    int signal_number, boost::system::error_code& ec)
{
  // Check that the signal number is valid.
  if (signal_number < 0 || signal_number >= max_signal_number)
  {
    ec = boost::asio::error::invalid_argument;
    return ec;
  }

  signal_state* state = get_signal_state();
  std::lock_guard<std::mutex> lock(state->mutex_);

  // Find the signal number in the list of registrations.
  registration** deletion_point = &impl.signals_;
  registration* reg = impl.signals_;
  while (reg && reg->signal_number_ < signal_number)
  {
    deletion_point = &reg->next_in_set_;
    reg = reg->next_in_set_;
  }

  if (reg != 0 && reg->signal_number_ == signal_number)
  {
    // Remove the registration from the set.
    *deletion_point = reg->next_in_set_;

    // Remove the registration from the registration table.
    if (registrations_[signal_number] == reg)
      registrations_[signal_number] = reg->next_in_table_;
    if (reg->prev_in_table_)
      reg->prev_in_table_->next_in_table_ = reg->next_in_table_;
    if (reg->next_in_table_)
      reg->next_in_table_->prev_in_table_ = reg->prev_in_table_;

    // Stop watching if we were the last (where Asio restores SIG_DFL).
    if (--state->registration_count_[signal_number] == 0)
      update_watch(signal_number);

    delete reg;
  }

  ec = boost::system::error_code();
  return ec;
}

boost::system::error_code signal_set_service::clear(
    signal_set_service::implementation_type& impl,
    boost::system::error_code& ec)
{
  signal_state* state = get_signal_state();
  std::lock_guard<std::mutex> lock(state->mutex_);

  while (registration* reg = impl.signals_)
  {
    // Remove the registration from the registration table.
    if (registrations_[reg->signal_number_] == reg)
      registrations_[reg->signal_number_] = reg->next_in_table_;
    if (reg->prev_in_table_)
      reg->prev_in_table_->next_in_table_ = reg->next_in_table_;
    if (reg->next_in_table_)
      reg->next_in_table_->prev_in_table_ = reg->prev_in_table_;

    if (--state->registration_count_[reg->signal_number_] == 0)
      update_watch(reg->signal_number_);

    impl.signals_ = reg->next_in_set_;
    delete reg;
  }

  ec = boost::system::error_code();
  return ec;
}

boost::system::error_code signal_set_service::cancel(
    signal_set_service::implementation_type& impl,
    boost::system::error_code& ec)
{
  BOOST_ASIO_HANDLER_OPERATION((scheduler_.context(),
        "signal_set", &impl, 0, "cancel"));

  op_queue<operation> ops;
  {
    signal_state* state = get_signal_state();
    std::lock_guard<std::mutex> lock(state->mutex_);

    while (signal_op* op = impl.queue_.front())
    {
      op->ec_ = boost::asio::error::operation_aborted;
      impl.queue_.pop();
      ops.push(op);
    }
  }

  scheduler_.post_deferred_completions(ops);

  ec = boost::system::error_code();
  return ec;
}

void signal_set_service::cancel_ops_by_key(
    signal_set_service::implementation_type& impl, void* cancellation_key)
{
  op_queue<operation> ops;
  {
    op_queue<signal_op> other_ops;
    signal_state* state = get_signal_state();
    std::lock_guard<std::mutex> lock(state->mutex_);

    while (signal_op* op = impl.queue_.front())
    {
      impl.queue_.pop();
      if (op->cancellation_key_ == cancellation_key)
      {
        op->ec_ = boost::asio::error::operation_aborted;
        ops.push(op);
      }
      else
        other_ops.push(op);
    }

    impl.queue_.push(other_ops);
  }

  scheduler_.post_deferred_completions(ops);
}

void signal_set_service::deliver_signal(int signal_number)
{
  signal_state* state = get_signal_state();
  std::lock_guard<std::mutex> lock(state->mutex_);

  signal_set_service* service = state->service_list_;
  while (service)
  {
    op_queue<operation> ops;

    registration* reg = service->registrations_[signal_number];
    while (reg)
    {
      if (reg->queue_->empty())
      {
        ++reg->undelivered_;
      }
      else
      {
        while (signal_op* op = reg->queue_->front())
        {
          op->signal_number_ = signal_number;
          reg->queue_->pop();
          ops.push(op);
        }
      }

      reg = reg->next_in_table_;
    }

    service->scheduler_.post_deferred_completions(ops);

    service = service->next_;
  }
}

void signal_set_service::add_service(signal_set_service* service)
{
  signal_state* state = get_signal_state();
  std::lock_guard<std::mutex> lock(state->mutex_);

  // If a scheduler_ object is thread-unsafe then it must be the only
  // scheduler used to create signal_set objects.
  if (state->service_list_ != 0)
  {
    if (!BOOST_ASIO_CONCURRENCY_HINT_IS_LOCKING(SCHEDULER,
          service->scheduler_.concurrency_hint())
        || !BOOST_ASIO_CONCURRENCY_HINT_IS_LOCKING(SCHEDULER,
          state->service_list_->scheduler_.concurrency_hint()))
    {
      std::logic_error ex(
          "Thread-unsafe execution context objects require "
          "exclusive access to signal handling.");
      boost::asio::detail::throw_exception(ex);
    }
  }

  // Insert service into linked list of all services.
  service->next_ = state->service_list_;
  service->prev_ = 0;
  if (state->service_list_)
    state->service_list_->prev_ = service;
  state->service_list_ = service;
}

void signal_set_service::remove_service(signal_set_service* service)
{
  signal_state* state = get_signal_state();
  std::lock_guard<std::mutex> lock(state->mutex_);

  if (service->next_ || service->prev_ || state->service_list_ == service)
  {
    // Remove service from linked list of all services.
    if (state->service_list_ == service)
      state->service_list_ = service->next_;
    if (service->prev_)
      service->prev_->next_ = service->next_;
    if (service->next_)
      service->next_->prev_= service->prev_;
    service->next_ = 0;
    service->prev_ = 0;
  }
}

int signal_set_service::update_watch(int signal_number)
{
  signal_state* state = get_signal_state();

  if (!tau_on_loop_thread())
  {
    // The host's signal API is for the loop thread: settle it from there.
    if (!state->update_posted_)
      state->update_posted_ =
        tau_post(&signal_set_service::on_update_watches, 0) == 0;
    return 0;
  }

  bool want = state->registration_count_[signal_number] > 0;
  tau_signal_t*& watch = state->watches_[signal_number];
  if (want && !watch)
  {
    int rc = tau_signal_start(&watch, signal_number,
        &signal_set_service::on_signal, 0);
    if (rc != 0)
    {
      watch = 0;
      return rc;
    }
  }
  else if (!want && watch)
  {
    tau_signal_stop(watch);
    watch = 0;
  }
  return 0;
}

void signal_set_service::on_update_watches(void*)
{
  signal_state* state = get_signal_state();
  std::lock_guard<std::mutex> lock(state->mutex_);
  state->update_posted_ = false;
  for (int i = 0; i < max_signal_number; ++i)
    update_watch(i);
}

void signal_set_service::on_signal(void*, int signal_number)
{
  if (signal_number >= 0 && signal_number < max_signal_number)
    deliver_signal(signal_number);
}

void signal_set_service::start_wait_op(
    signal_set_service::implementation_type& impl, signal_op* op)
{
  scheduler_.work_started();

  signal_state* state = get_signal_state();
  std::lock_guard<std::mutex> lock(state->mutex_);

  registration* reg = impl.signals_;
  while (reg)
  {
    if (reg->undelivered_ > 0)
    {
      --reg->undelivered_;
      op->signal_number_ = reg->signal_number_;
      scheduler_.post_deferred_completion(op);
      return;
    }

    reg = reg->next_in_set_;
  }

  impl.queue_.push(op);
}

} // namespace detail
} // namespace asio
} // namespace boost

#include <boost/asio/detail/pop_options.hpp>

#endif // BOOST_ASIO_DETAIL_IMPL_SIGNAL_SET_SERVICE_IPP
