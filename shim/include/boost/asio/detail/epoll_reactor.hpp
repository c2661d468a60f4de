//
// detail/epoll_reactor.hpp: tau's shadow of Boost.Asio 1.81's epoll reactor.
//
// Keeps the class name that detail/reactor.hpp and detail/timer_scheduler_fwd.hpp
// select, so those headers need no shadow. Readiness comes from the host's loop:
// one tau_poll per descriptor, watching only what its queued operations wait for,
// and one timerfd (watched the same way) armed for the earliest deadline of all
// timer queues, in microseconds as Asio's own reactor does; the loop's millisecond
// timers would fire Asio's timers up to a millisecond late. Completed operations go
// to the scheduler, which runs them on the loop.
//
// Any thread may start, cancel and close operations and timers (a program's own
// threads do), as with Asio's reactor: each descriptor's queues have a mutex, and
// so do the timer queues. The loop's watches and timer are changed only on the
// loop thread: from another thread the change is queued and posted to the loop,
// never waited for. Only stopping a watch before its descriptor is closed cannot
// wait: tau_poll_stop does it from any thread.
//
#ifndef BOOST_ASIO_DETAIL_EPOLL_REACTOR_HPP
#define BOOST_ASIO_DETAIL_EPOLL_REACTOR_HPP

#include <boost/asio/detail/config.hpp>

#if defined(BOOST_ASIO_HAS_EPOLL)

#include <mutex>

#include <boost/asio/detail/limits.hpp>
#include <boost/asio/detail/op_queue.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/scheduler_task.hpp>
#include <boost/asio/detail/socket_types.hpp>
#include <boost/asio/detail/tau_loop.hpp>
#include <boost/asio/detail/timer_queue_base.hpp>
#include <boost/asio/detail/timer_queue_set.hpp>
#include <boost/asio/detail/wait_op.hpp>
#include <boost/asio/execution_context.hpp>

#include <boost/asio/detail/push_options.hpp>

namespace boost {
namespace asio {
namespace detail {

class scheduler;

class epoll_reactor
  : public execution_context_service_base<epoll_reactor>,
    public scheduler_task
{
public:
  enum op_types { read_op = 0, write_op = 1,
    connect_op = 1, except_op = 2, max_ops = 3 };

  // Per-descriptor queues of operations, and the descriptor's readiness watch.
  class descriptor_state
  {
    friend class epoll_reactor;

    // Links in the reactor's registered or free list (registered_mutex_).
    descriptor_state* next_;
    descriptor_state* prev_;
    // Link in the reactor's queue of watches to update (pending_mutex_).
    descriptor_state* next_update_;
    bool update_queued_;

    // Guards everything below.
    std::mutex mutex_;
    epoll_reactor* reactor_;
    int descriptor_;
    // The watch, started by the loop thread; null until then, and when the
    // descriptor cannot be polled (a regular file).
    tau_poll_t* poll_;
    enum { unwatched, starting, watching, unpollable } watch_;
    op_queue<reactor_op> op_queue_[max_ops];
    bool shutdown_;

    descriptor_state() : next_(0), prev_(0), next_update_(0),
      update_queued_(false), reactor_(0), descriptor_(-1), poll_(0),
      watch_(unwatched), shutdown_(false) {}
  };

  // Per-descriptor data.
  typedef descriptor_state* per_descriptor_data;

  // Constructor.
  BOOST_ASIO_DECL epoll_reactor(boost::asio::execution_context& ctx);

  // Destructor.
  BOOST_ASIO_DECL ~epoll_reactor();

  // Destroy all user-defined handler objects owned by the service.
  BOOST_ASIO_DECL void shutdown();

  // Recreate internal descriptors following a fork (nothing to do).
  BOOST_ASIO_DECL void notify_fork(
      boost::asio::execution_context::fork_event fork_ev);

  // Initialise the task (nothing to do).
  BOOST_ASIO_DECL void init_task();

  // Register a socket with the reactor. Returns 0 on success, system error
  // code on failure.
  BOOST_ASIO_DECL int register_descriptor(socket_type descriptor,
      per_descriptor_data& descriptor_data);

  // Register a descriptor with an associated single operation. Returns 0 on
  // success, system error code on failure.
  BOOST_ASIO_DECL int register_internal_descriptor(
      int op_type, socket_type descriptor,
      per_descriptor_data& descriptor_data, reactor_op* op);

  // Move descriptor registration from one descriptor_data object to another.
  BOOST_ASIO_DECL void move_descriptor(socket_type descriptor,
      per_descriptor_data& target_descriptor_data,
      per_descriptor_data& source_descriptor_data);

  // Post a reactor operation for immediate completion.
  void post_immediate_completion(operation* op, bool is_continuation);

  // Start a new operation. The reactor operation will be performed when the
  // given descriptor is flagged as ready, or an error has occurred.
  BOOST_ASIO_DECL void start_op(int op_type, socket_type descriptor,
      per_descriptor_data& descriptor_data, reactor_op* op,
      bool is_continuation, bool allow_speculative);

  // Cancel all operations associated with the given descriptor. The
  // handlers associated with the descriptor will be invoked with the
  // operation_aborted error.
  BOOST_ASIO_DECL void cancel_ops(socket_type descriptor,
      per_descriptor_data& descriptor_data);

  // Cancel all operations associated with the given descriptor and key.
  BOOST_ASIO_DECL void cancel_ops_by_key(socket_type descriptor,
      per_descriptor_data& descriptor_data,
      int op_type, void* cancellation_key);

  // Cancel any operations that are running against the descriptor and remove
  // its registration from the reactor. The reactor resources associated with
  // the descriptor must be released by calling cleanup_descriptor_data.
  BOOST_ASIO_DECL void deregister_descriptor(socket_type descriptor,
      per_descriptor_data& descriptor_data, bool closing);

  // Remove the descriptor's registration from the reactor.
  BOOST_ASIO_DECL void deregister_internal_descriptor(
      socket_type descriptor, per_descriptor_data& descriptor_data);

  // Perform any post-deregistration cleanup tasks associated with the
  // descriptor data.
  BOOST_ASIO_DECL void cleanup_descriptor_data(
      per_descriptor_data& descriptor_data);

  // Add a new timer queue to the reactor.
  template <typename Time_Traits>
  void add_timer_queue(timer_queue<Time_Traits>& timer_queue);

  // Remove a timer queue from the reactor.
  template <typename Time_Traits>
  void remove_timer_queue(timer_queue<Time_Traits>& timer_queue);

  // Schedule a new operation in the given timer queue to expire at the
  // specified absolute time.
  template <typename Time_Traits>
  void schedule_timer(timer_queue<Time_Traits>& queue,
      const typename Time_Traits::time_type& time,
      typename timer_queue<Time_Traits>::per_timer_data& timer, wait_op* op);

  // Cancel the timer operations associated with the given token. Returns the
  // number of operations that have been posted or dispatched.
  template <typename Time_Traits>
  std::size_t cancel_timer(timer_queue<Time_Traits>& queue,
      typename timer_queue<Time_Traits>::per_timer_data& timer,
      std::size_t max_cancelled = (std::numeric_limits<std::size_t>::max)());

  // Cancel the timer operations associated with the given key.
  template <typename Time_Traits>
  void cancel_timer_by_key(timer_queue<Time_Traits>& queue,
      typename timer_queue<Time_Traits>::per_timer_data* timer,
      void* cancellation_key);

  // Move the timer operations associated with the given timer.
  template <typename Time_Traits>
  void move_timer(timer_queue<Time_Traits>& queue,
      typename timer_queue<Time_Traits>::per_timer_data& target,
      typename timer_queue<Time_Traits>::per_timer_data& source);

  // The scheduler_task interface; never called, since the scheduler runs no task.
  BOOST_ASIO_DECL void run(long usec, op_queue<operation>& ops);
  BOOST_ASIO_DECL void interrupt();

private:
  BOOST_ASIO_DECL descriptor_state* allocate_descriptor_state();
  BOOST_ASIO_DECL void free_descriptor_state(descriptor_state* s);

  // Watch what the descriptor's queued operations wait for, and nothing else:
  // at once on the loop thread, through the loop from elsewhere. With the
  // descriptor's mutex held.
  BOOST_ASIO_DECL void request_update(descriptor_state* s);
  // The same, on the loop thread: starts the watch first if needed.
  BOOST_ASIO_DECL void update_interest(descriptor_state* s);
  // Stops the watch (from any thread), before the descriptor is closed.
  BOOST_ASIO_DECL void stop_watch(descriptor_state* s);

  BOOST_ASIO_DECL void do_add_timer_queue(timer_queue_base& queue);
  BOOST_ASIO_DECL void do_remove_timer_queue(timer_queue_base& queue);

  // Arm the loop timer for the earliest deadline (at once on the loop thread,
  // through the loop from elsewhere). With mutex_ held.
  BOOST_ASIO_DECL void request_rearm();
  // The same, on the loop thread; stops the timer when no deadline is left.
  BOOST_ASIO_DECL void update_timeout();
  // Arms the timerfd usec from now (0: at once), creating it first. Returns false
  // when no timerfd can be had (then the loop's timer stands in).
  BOOST_ASIO_DECL bool arm_timer_fd(long usec);
  BOOST_ASIO_DECL void disarm_timer_fd();
  // Moves the ready timers' operations to the scheduler. Loop thread.
  BOOST_ASIO_DECL static void fire_timers(tau_loop_token* token);

  // Queues work for the loop thread (pending_) and posts on_pending once.
  BOOST_ASIO_DECL void post_pending();

  BOOST_ASIO_DECL static void on_ready(void* ctx, int status, int events);
  BOOST_ASIO_DECL static void on_timer(void* token);
  BOOST_ASIO_DECL static void on_timer_fd(void* token, int status, int events);
  BOOST_ASIO_DECL static void on_pending(void* token);

  // The scheduler implementation used to post completions.
  scheduler& scheduler_;

  // Reaches the reactor from loop callbacks (the timer, queued updates).
  tau_loop_token* token_;

  // Guards the timer queues, timer_ and shutdown_.
  std::mutex mutex_;

  // The timerfd for the timer queues and its watch, reading while a deadline is
  // pending; -1 until a timer is first scheduled, or when the system refused one.
  // Changed on the loop thread only.
  int timer_fd_;
  tau_poll_t* timer_watch_;
  bool timer_watch_reading_;

  // Without a timerfd: the loop timer for the timer queues, null while no timer
  // is pending. Changed on the loop thread only.
  tau_timer_t* timer_;

  // The timer queues.
  timer_queue_set timer_queues_;

  // Whether the service has been shut down.
  bool shutdown_;

  // Registered descriptors, and freed ones kept for reuse (a late readiness
  // callback may still name one).
  std::mutex registered_mutex_;
  descriptor_state* registered_;
  descriptor_state* free_;

  // Work for the loop thread queued by other threads: watches to start or update,
  // and the timer to re-arm.
  std::mutex pending_mutex_;
  descriptor_state* pending_;
  bool rearm_pending_;
  bool pending_posted_;
};

} // namespace detail
} // namespace asio
} // namespace boost

#include <boost/asio/detail/pop_options.hpp>

#include <boost/asio/detail/impl/epoll_reactor.hpp>
#if defined(BOOST_ASIO_HEADER_ONLY)
# include <boost/asio/detail/impl/epoll_reactor.ipp>
#endif // defined(BOOST_ASIO_HEADER_ONLY)

#endif // defined(BOOST_ASIO_HAS_EPOLL)

#endif // BOOST_ASIO_DETAIL_EPOLL_REACTOR_HPP
