//
// detail/scheduler.hpp: tau's shadow of Boost.Asio 1.81's scheduler.
//
// The scheduler behind every io_context (and system_context, thread_pool). Same
// members as Asio's, but no thread ever blocks in it: ready operations are queued
// and run from a tau_post callback on the host's loop thread, so every handler of
// every plugin runs on the one shared loop. Outstanding work holds the loop, so a
// plugin that only starts Asio work keeps the host running until it is done.
//
// run()/run_one() called from outside the loop (a plugin's process hook, an adapted
// main) drive the shared loop until this context is out of work or stopped: other
// plugins keep running meanwhile. Called from inside the loop (a handler, a task),
// they fail with tau::asio_error::run_inside_loop instead of deadlocking.
//

#ifndef BOOST_ASIO_DETAIL_SCHEDULER_HPP
#define BOOST_ASIO_DETAIL_SCHEDULER_HPP

#include <boost/asio/detail/config.hpp>

#include <atomic>
#include <exception>
#include <mutex>

#include <boost/system/error_code.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/detail/op_queue.hpp>
#include <boost/asio/detail/scheduler_operation.hpp>
#include <boost/asio/detail/scheduler_task.hpp>
#include <boost/asio/detail/scheduler_thread_info.hpp>
#include <boost/asio/detail/thread_context.hpp>
#include <boost/asio/detail/tau_loop.hpp>

#include <boost/asio/detail/push_options.hpp>

namespace boost {
namespace asio {
namespace detail {

class scheduler
  : public execution_context_service_base<scheduler>,
    public thread_context
{
public:
  typedef scheduler_operation operation;

  // The type of a function used to obtain a task instance (unused: the tau loop
  // is the only task).
  typedef scheduler_task* (*get_task_func_type)(
      boost::asio::execution_context&);

  // Constructor. own_thread is ignored: the scheduler never owns a thread.
  BOOST_ASIO_DECL scheduler(boost::asio::execution_context& ctx,
      int concurrency_hint = 0, bool own_thread = true,
      get_task_func_type get_task = &scheduler::get_default_task);

  // Destructor.
  BOOST_ASIO_DECL ~scheduler();

  // Destroy all user-defined handler objects owned by the service.
  BOOST_ASIO_DECL void shutdown();

  // Initialise the task, if required (nothing to do: the loop is the task).
  BOOST_ASIO_DECL void init_task();

  // Drive the shared loop until stopped or out of work.
  BOOST_ASIO_DECL std::size_t run(boost::system::error_code& ec);

  // Drive the shared loop until stopped, out of work, or one handler ran.
  BOOST_ASIO_DECL std::size_t run_one(boost::system::error_code& ec);

  // As run_one, giving up after usec microseconds.
  BOOST_ASIO_DECL std::size_t wait_one(
      long usec, boost::system::error_code& ec);

  // Run the handlers that are ready now, without waiting for I/O.
  BOOST_ASIO_DECL std::size_t poll(boost::system::error_code& ec);

  // Run at most one handler that is ready now.
  BOOST_ASIO_DECL std::size_t poll_one(boost::system::error_code& ec);

  // Stop running handlers until restart().
  BOOST_ASIO_DECL void stop();

  // Determine whether the scheduler is stopped.
  BOOST_ASIO_DECL bool stopped() const;

  // Restart after stop() or after a run() that ran out of work.
  BOOST_ASIO_DECL void restart();

  // Notify that some work has started.
  void work_started()
  {
    if (outstanding_work_.fetch_add(1) == 0)
      update_hold();
  }

  // Used to compensate for a forthcoming work_finished call.
  BOOST_ASIO_DECL void compensating_work_started();

  // Notify that some work has finished.
  void work_finished()
  {
    if (outstanding_work_.fetch_sub(1) == 1)
      update_hold();
  }

  // Return whether a handler can be dispatched immediately: inside one of this
  // scheduler's handlers.
  BOOST_ASIO_DECL bool can_dispatch();

  // Capture the current exception so it can be rethrown from the handler loop.
  BOOST_ASIO_DECL void capture_current_exception();

  // Request invocation of the given operation and return immediately. Assumes
  // that work_started() has not yet been called for the operation.
  BOOST_ASIO_DECL void post_immediate_completion(
      operation* op, bool is_continuation);

  // Request invocation of the given operations and return immediately. Assumes
  // that work_started() has not yet been called for the operations.
  BOOST_ASIO_DECL void post_immediate_completions(std::size_t n,
      op_queue<operation>& ops, bool is_continuation);

  // Request invocation of the given operation and return immediately. Assumes
  // that work_started() was previously called for the operation.
  BOOST_ASIO_DECL void post_deferred_completion(operation* op);

  // Request invocation of the given operations and return immediately. Assumes
  // that work_started() was previously called for each operation.
  BOOST_ASIO_DECL void post_deferred_completions(op_queue<operation>& ops);

  // Enqueue the given operation following a failed attempt to dispatch the
  // operation for immediate invocation.
  BOOST_ASIO_DECL void do_dispatch(operation* op);

  // Process unfinished operations as part of a shutdown operation. Assumes that
  // work_started() was previously called for the operations.
  BOOST_ASIO_DECL void abandon_operations(op_queue<operation>& ops);

  // Get the concurrency hint that was used to initialise the scheduler.
  int concurrency_hint() const
  {
    return concurrency_hint_;
  }

private:
  typedef scheduler_thread_info thread_info;

  // Get the default task (none).
  BOOST_ASIO_DECL static scheduler_task* get_default_task(
      boost::asio::execution_context& ctx);

  // Queue ready operations; from another thread they go through remote_ops_.
  BOOST_ASIO_DECL void enqueue(operation* op);
  BOOST_ASIO_DECL void enqueue(op_queue<operation>& ops);

  // Post a drain of the queue to the loop, once.
  BOOST_ASIO_DECL void schedule_drain();

  // Run up to max ready operations. An exception from a handler propagates to
  // an outside run() when there is one, and otherwise to the host, which
  // reports it against the plugin.
  BOOST_ASIO_DECL std::size_t drain(std::size_t max);

  // Hold the loop while there is outstanding work and we are not stopped.
  BOOST_ASIO_DECL void update_hold();

  // Drive the loop until done(this) holds; the shared body of run/run_one/wait_one.
  BOOST_ASIO_DECL std::size_t drive(int (*done)(void*),
      boost::system::error_code& ec);

  BOOST_ASIO_DECL static void on_drain(void* token);
  BOOST_ASIO_DECL static void on_remote(void* token);

  // Reaches this scheduler from tau_post callbacks that may outlive it.
  tau_loop_token* token_;

  // Ready operations, touched only on the loop thread.
  op_queue<operation> ops_;

  // Ready operations posted from other threads (the resolver's lookups).
  std::mutex remote_mutex_;
  op_queue<operation> remote_ops_;
  bool remote_posted_;

  // Whether a drain is posted to the loop.
  bool drain_posted_;

  // The count of unfinished work.
  std::atomic<long> outstanding_work_;

  // Whether this scheduler holds the loop (tau_loop_hold).
  bool held_;

  bool stopped_;
  bool shutdown_;
  const int concurrency_hint_;

  // Handlers run so far, for run()'s count.
  std::size_t executed_;

  // run()/run_one() calls from outside the loop in progress.
  int outside_runs_;

  // Handlers one drain may run: 1 while a run_one() waits for exactly one.
  std::size_t drain_max_;

  // What a run_one()/wait_one() in progress waits for: executed_ to move past
  // one_mark_, or *one_timeout_ to turn true.
  std::size_t one_mark_;
  bool* one_timeout_;

  // A handler's exception, kept for the outside run() that rethrows it.
  std::exception_ptr pending_exception_;

  // The thread info handlers see (allocator recycling, running_in_this_thread).
  thread_info loop_thread_info_;
};

} // namespace detail
} // namespace asio
} // namespace boost

#include <boost/asio/detail/pop_options.hpp>

#if defined(BOOST_ASIO_HEADER_ONLY)
# include <boost/asio/detail/impl/scheduler.ipp>
#endif // defined(BOOST_ASIO_HEADER_ONLY)

#endif // BOOST_ASIO_DETAIL_SCHEDULER_HPP
