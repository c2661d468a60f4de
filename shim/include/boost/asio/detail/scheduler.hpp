//
// detail/scheduler.hpp: tau's shadow of Boost.Asio 1.81's scheduler.
//
// The scheduler behind every io_context (and system_context, thread_pool). Same
// members as Asio's, but handlers run only on the host's loop thread: ready
// operations are queued and run from tau_post callbacks there, so every handler of
// every plugin runs on the one shared loop. Outstanding work holds the loop.
//
// Two kinds of context:
// - host-driven (created on the loop thread, and every thread_pool and the system
//   context): the loop runs its handlers whenever they are ready; nobody needs to
//   call run().
// - run-gated (created on any other thread: a program's own context): Asio's rule,
//   its handlers run only while some thread is inside its run()/run_one()/run_for().
//   They still run on the loop thread.
//
// run()/run_one()/run_for() called
// - on a thread other than the loop thread park that thread until the context is
//   stopped, runs out of work, (run_one) one handler ran for it, a handler threw
//   (rethrown from one parked call), or the host shuts down. The loop runs the
//   handlers meanwhile; a parked call returns only once the loop has stopped using
//   the context, so the caller may destroy it at once.
// - on the loop thread outside the running loop (a process hook) drive the shared
//   loop until the same happens: other plugins keep running.
// - inside the loop (a handler, a task) fail with the tau.asio error
//   run_inside_loop instead of deadlocking.
// poll()/poll_one() called outside the running loop (from any thread) let the loop
// take one turn that polls for I/O without blocking, as Asio's poll() runs its
// reactor, then run the handlers ready by then on the loop thread. Inside the loop
// (a handler, a task) they run only the handlers already queued.
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

  // Run handlers until stopped or out of work (parks or drives; see above).
  BOOST_ASIO_DECL std::size_t run(boost::system::error_code& ec);

  // As run, until one handler ran.
  BOOST_ASIO_DECL std::size_t run_one(boost::system::error_code& ec);

  // As run_one, giving up after usec microseconds.
  BOOST_ASIO_DECL std::size_t wait_one(
      long usec, boost::system::error_code& ec);

  // Run the handlers that are ready now, without waiting for I/O.
  BOOST_ASIO_DECL std::size_t poll(boost::system::error_code& ec);

  // Run at most one handler that is ready now.
  BOOST_ASIO_DECL std::size_t poll_one(boost::system::error_code& ec);

  // Stop running handlers until restart(). Any thread.
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
      on_work_exhausted();
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

  // Makes the scheduler host-driven whichever thread created it (the thread_pool
  // and the system context: nobody calls run() on them).
  void tau_make_host_driven()
  {
    run_gated_ = false;
  }

private:
  typedef scheduler_thread_info thread_info;

  // A thread inside run()/run_one()/wait_one(); lives on its stack, linked into
  // runners_ while it waits. Guarded by token_->mutex.
  struct runner
  {
    runner* next;
    // Waits for one handler (run_one/wait_one) rather than for the end (run).
    bool one;
    // Set when the call may return; the runner is unlinked then.
    bool done;
    // Handlers counted to this call.
    std::size_t count;
    // A handler's exception, rethrown by this call.
    std::exception_ptr error;
  };

  // Get the default task (none).
  BOOST_ASIO_DECL static scheduler_task* get_default_task(
      boost::asio::execution_context& ctx);

  // Queue ready operations; from another thread they go through remote_ops_.
  BOOST_ASIO_DECL void enqueue(operation* op);
  BOOST_ASIO_DECL void enqueue(op_queue<operation>& ops);

  // Post a drain of the queue to the loop, once. Any thread.
  BOOST_ASIO_DECL void schedule_drain();

  // Move the operations queued from other threads into ops_. Loop thread.
  BOOST_ASIO_DECL void take_remote();

  // Whether the calling thread is inside one of this scheduler's drains (and so
  // is the loop thread): ops_ and private_work_ may be used directly.
  bool in_own_drain() const
  {
    return thread_call_stack::contains(const_cast<scheduler*>(this)) != 0;
  }

  struct handler_work_cleanup;

  // Moves private_work_ into outstanding_work_. Loop thread.
  BOOST_ASIO_DECL void flush_private_work();

  // Run up to max ready operations on the loop thread. A handler's exception
  // stops the drain and is kept in error.
  BOOST_ASIO_DECL std::size_t drain(std::size_t max, std::exception_ptr& error);

  // How many handlers a drain may run now: all that are ready (up to a budget)
  // for a host-driven context or a run() caller, one per run_one() caller. With
  // token_->mutex held.
  BOOST_ASIO_DECL std::size_t drain_allowance() const;

  // Counts n handlers to the runners, gives error to one of them and releases
  // those that may return. Returns false when nobody took error. With
  // token_->mutex held.
  BOOST_ASIO_DECL bool settle(std::size_t n, std::exception_ptr error);

  // Whether the loop is inside one of our drains (or polls), whose end settles
  // the runners. With token_->mutex held.
  BOOST_ASIO_DECL bool drain_running() const;

  // The body of poll() and poll_one().
  BOOST_ASIO_DECL std::size_t poll_ready(std::size_t max,
      boost::system::error_code& ec);

  // With the token entered, on the loop thread: runs up to max ready handlers,
  // settles what the end of a drain settles and leaves the token.
  BOOST_ASIO_DECL std::size_t run_ready(std::size_t max,
      std::exception_ptr& error);

  // poll() outside the running loop: one loop turn, then run_ready on the loop.
  struct poll_turn;
  BOOST_ASIO_DECL std::size_t poll_after_turn(std::size_t max);
  BOOST_ASIO_DECL static void on_poll_turn(void* turn);
  BOOST_ASIO_DECL static void on_poll_turn_timer(void* turn);

  // Marks every runner done (stopped, out of work, shutting down). With
  // token_->mutex held.
  BOOST_ASIO_DECL void release_runners();
  BOOST_ASIO_DECL void unlink_runner(runner* r);

  // Parks the calling thread (not the loop thread) as a runner.
  BOOST_ASIO_DECL std::size_t park(bool one, long usec);

  // Drives the loop from the loop thread, outside it, as a runner.
  BOOST_ASIO_DECL std::size_t drive(bool one, long usec,
      boost::system::error_code& ec);

  // Checks, for a new runner, whether run() must return at once. With
  // token_->mutex held.
  BOOST_ASIO_DECL bool nothing_to_run();

  // Work reached zero: runners return (the context stops, as in Asio).
  BOOST_ASIO_DECL void on_work_exhausted();

  // Hold the loop while there is outstanding work and we are not stopped: at
  // once on the loop thread, through a post from elsewhere.
  BOOST_ASIO_DECL void update_hold();
  BOOST_ASIO_DECL bool wants_hold() const;
  // Takes or drops the token's hold on the loop. Loop thread.
  BOOST_ASIO_DECL static void settle_hold(tau_loop_token* token, bool want);

  BOOST_ASIO_DECL static void on_drain(void* token);
  BOOST_ASIO_DECL static void on_hold(void* token);
  BOOST_ASIO_DECL static void on_shutdown(void* token);

  // Reaches this scheduler from loop callbacks that may outlive it; its mutex
  // guards the runners.
  tau_loop_token* token_;

  // Fires when the host shuts down or the plugin ends.
  tau_shutdown_watch_t* shutdown_watch_;

  // Ready operations, touched only on the loop thread.
  op_queue<operation> ops_;

  // Ready operations queued from other threads.
  std::mutex remote_mutex_;
  op_queue<operation> remote_ops_;
  std::atomic<bool> remote_pending_;

  // Whether a drain, or a hold update, is posted to the loop.
  std::atomic<bool> drain_posted_;
  std::atomic<bool> hold_posted_;

  // The count of unfinished work.
  std::atomic<long> outstanding_work_;

  std::atomic<bool> stopped_;
  std::atomic<bool> shutdown_;
  std::atomic<bool> host_shutdown_;
  const int concurrency_hint_;

  // Whether handlers run only while a runner is inside run() (Asio's rule).
  bool run_gated_;

  // poll() calls waiting for their loop turn: meanwhile the loop's drains leave
  // the handlers to them, for poll() to count and poll_one() to run only one.
  // Guarded by token_->mutex.
  int polls_waiting_;

  // The threads inside run()/run_one()/wait_one(), oldest first, and their count
  // (readable without the lock).
  runner* runners_;
  std::atomic<int> runner_count_;

  // The thread info handlers see (allocator recycling, running_in_this_thread).
  thread_info loop_thread_info_;

  // Work started by the running handler of a drain, on the loop thread, not yet
  // in outstanding_work_: folded in once the handler returns, so that a handler
  // that posts one continuation costs no atomic operation (Asio's
  // private_outstanding_work). Loop thread only.
  long private_work_;
};

} // namespace detail
} // namespace asio
} // namespace boost

#include <boost/asio/detail/pop_options.hpp>

#if defined(BOOST_ASIO_HEADER_ONLY)
# include <boost/asio/detail/impl/scheduler.ipp>
#endif // defined(BOOST_ASIO_HEADER_ONLY)

#endif // BOOST_ASIO_DETAIL_SCHEDULER_HPP
