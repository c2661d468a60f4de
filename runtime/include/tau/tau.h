/* tau.h: the whole C ABI that the tau host exports to its plugins.
 *
 * One libuv loop on one thread (the "loop thread") runs every task, timer and I/O
 * callback of every plugin. Plugins resolve these symbols against the host
 * executable when they are loaded.
 *
 * Rules that hold for every function here:
 * - Call them on the loop thread. Exceptions, which any thread may call: tau_post,
 *   tau_on_loop_thread, the version queries, tau_poll_stop, the shutdown functions
 *   and tau_plugin_end. Called from another thread the others fail with
 *   TAU_E_WRONG_THREAD (or return NULL).
 * - Plugins may own threads (tau_thread_spawn, or their own): such threads may
 *   block, but callbacks never run on them.
 * - Callbacks are always invoked on the loop thread by the loop itself, with no
 *   plugin code below them on the stack: never from inside the tau_* call that
 *   registered or triggered them. A callback may therefore resume a coroutine
 *   directly.
 * - Errors are negative integers: libuv's (negative errno, or UV_EAI_* from a
 *   lookup) or the TAU_E_* below (TAU_ERRNO_LIMIT tells them apart).
 *   tau_strerror() names any of them.
 * - No C++ type crosses this header, and no exception may cross it: a callback
 *   must not throw.
 */
#ifndef TAU_TAU_H
#define TAU_TAU_H

#include <stddef.h>
#include <stdint.h>

struct addrinfo;

#ifdef __cplusplus
extern "C" {
#endif

#define TAU_ABI_VERSION 1

#if defined(TAU_BUILDING_HOST)
#define TAU_API __attribute__((visibility("default")))
#else
#define TAU_API
#endif

/* Error codes. A failing call returns a negative code c. When -c < TAU_ERRNO_LIMIT,
 * c is a negated errno value (libuv's UV_E* codes are -errno on Linux). From
 * -TAU_ERRNO_LIMIT down, c is no errno value: libuv's UV_EAI_* (a failed name
 * lookup, -3000 to -3014), the TAU_E_* below, or one of libuv's few codes that
 * have no errno (UV_EOF). */
#define TAU_ERRNO_LIMIT 3000

/* Error codes that are not errno values. */
#define TAU_E_WRONG_THREAD (-4001) /* called off the loop thread */
#define TAU_E_IN_LOOP (-4002)      /* tau_block_on called from inside the running loop */
#define TAU_E_STALLED (-4003)      /* nothing left on the loop can make the condition true */
#define TAU_E_NO_TASK (-4004)      /* unknown (or already released) task id */
#define TAU_E_THREW (-4005)        /* plugin code threw an exception into the runtime */
#define TAU_E_SHUTDOWN (-4006)     /* the host is shutting down (SIGINT/SIGTERM) */

TAU_API const char* tau_strerror(int err);

/* ---- versions ---------------------------------------------------------- */

TAU_API uint32_t tau_abi_version(void);
TAU_API const char* tau_version(void);

/* ---- the loop ---------------------------------------------------------- */

typedef void (*tau_callback)(void* ctx);

/* Nonzero when the calling thread is the loop thread. */
TAU_API int tau_on_loop_thread(void);

/* Runs cb(ctx) on the loop thread soon, in FIFO order, after the current callback
 * has returned. Safe from any thread. Fails with TAU_E_SHUTDOWN once the runtime is
 * closed (static destructors at unload): cb will then never run. */
TAU_API int tau_post(tau_callback cb, void* ctx);

/* Milliseconds of the loop's monotonic clock. */
TAU_API uint64_t tau_now_ms(void);

/* Keep the loop alive while a count of holds is nonzero (for work the loop cannot
 * see, such as a task awaiting a signal). Every tau_loop_hold needs one release. */
TAU_API void tau_loop_hold(void);
TAU_API void tau_loop_release(void);

/* Drives the loop on the calling thread until done(ctx) returns nonzero.
 * Returns 0, TAU_E_IN_LOOP when the loop is already running on this thread (a
 * callback or task tried to block), TAU_E_WRONG_THREAD, or TAU_E_STALLED when the
 * loop has nothing left to run and done(ctx) is still zero, or TAU_E_SHUTDOWN when
 * the host began to shut down meanwhile (the caller should wind up and return). */
TAU_API int tau_block_on(int (*done)(void* ctx), void* ctx);

/* ---- tasks ------------------------------------------------------------- */

typedef uint64_t tau_task_id; /* 0 is never a task */

enum tau_task_status {
  TAU_TASK_RUNNING = 0,
  TAU_TASK_OK = 1,
  TAU_TASK_FAILED = 2,
  TAU_TASK_ABORTED = 3
};

/* What the runtime may ask of the code behind a task. */
typedef struct tau_task_vtable {
  /* Abort was requested: stop the work now (destroy a coroutine frame, close what
   * it owns). The task is then complete as TAU_TASK_ABORTED. May be NULL. */
  void (*cancel)(void* ctx);
  /* The runtime no longer needs ctx (after completion or cancel). May be NULL. */
  void (*release)(void* ctx);
} tau_task_vtable;

/* Registers a running task whose work is already scheduled by the caller. */
TAU_API tau_task_id tau_task_new(const tau_task_vtable* vtable, void* ctx);

/* Marks a running task finished with TAU_TASK_OK or TAU_TASK_FAILED (error: a
 * one-line reason, copied). Joiners are called back later, from the loop. */
TAU_API int tau_task_complete(tau_task_id id, int status, const char* error);

/* Convenience for C: a task that runs fn(ctx) once on the loop and completes. */
TAU_API tau_task_id tau_spawn(tau_callback fn, void* ctx);

typedef void (*tau_join_cb)(void* ctx, tau_task_id id, int status, const char* error);

/* Calls cb once the task is complete (soon, from the loop, when it already is).
 * A joined task's failure counts as observed. */
TAU_API int tau_task_join(tau_task_id id, tau_join_cb cb, void* ctx);
/* Withdraws a tau_task_join that has not been called back yet. */
TAU_API int tau_task_unjoin(tau_task_id id, tau_join_cb cb, void* ctx);

/* Requests abort; the task's cancel runs soon, from the loop. No-op on a complete task. */
TAU_API int tau_task_abort(tau_task_id id);

/* The caller will not join: the runtime forgets the task once complete. A failure
 * nobody observed is then reported on stderr, naming the plugin, and counts against
 * it; outcome_seen != 0 says the caller already saw the outcome itself. */
TAU_API int tau_task_detach(tau_task_id id, int outcome_seen);

/* TAU_TASK_* of a task, or TAU_E_NO_TASK. */
TAU_API int tau_task_status(tau_task_id id);

/* Number of tasks not yet complete. */
TAU_API size_t tau_task_running_count(void);

/* ---- timers ------------------------------------------------------------ */

typedef struct tau_timer tau_timer_t;
typedef void (*tau_timer_cb)(void* ctx);

/* Fires after timeout_ms, then every repeat_ms when repeat_ms > 0. *out stays valid
 * (also after a one-shot fired) until tau_timer_stop. */
TAU_API int tau_timer_start(tau_timer_t** out, uint64_t timeout_ms, uint64_t repeat_ms,
                            tau_timer_cb cb, void* ctx);
/* Re-arms a started timer with new times. */
TAU_API int tau_timer_restart(tau_timer_t* timer, uint64_t timeout_ms, uint64_t repeat_ms);
/* Stops the timer and frees the handle. */
TAU_API void tau_timer_stop(tau_timer_t* timer);

/* ---- file descriptor readiness ---------------------------------------- */

enum tau_poll_event { TAU_READABLE = 1, TAU_WRITABLE = 2, TAU_DISCONNECT = 4 };

typedef struct tau_poll tau_poll_t;
/* status < 0 reports an error on the descriptor; events then holds every event
 * asked for, so that whoever waits tries the operation and sees the error. After
 * an error the watch is paused until the next tau_poll_update. */
typedef void (*tau_poll_cb)(void* ctx, int status, int events);

/* Watches fd (level-triggered) for events. While events != 0 the watch keeps the
 * loop alive. */
TAU_API int tau_poll_start(tau_poll_t** out, int fd, int events, tau_poll_cb cb, void* ctx);
/* Changes the events watched; 0 pauses the watch. Cheap when nothing changes. */
TAU_API int tau_poll_update(tau_poll_t* poll, int events);
/* Stops watching and frees the handle. Call before closing fd. Any thread: off the
 * loop thread the loop frees the watch before it starts any other, so closing fd and
 * reusing its number at once is safe, and cb is not called for readiness the loop
 * sees after the call; a cb already running on the loop thread may still be running
 * (synchronize with it, as the Asio shim does with each descriptor's mutex). */
TAU_API void tau_poll_stop(tau_poll_t* poll);

/* ---- blocking work ----------------------------------------------------- */

typedef void (*tau_work_fn)(void* ctx);
typedef void (*tau_work_done_cb)(void* ctx, int status);

/* Runs work(ctx) on the blocking pool (a thread that is not the loop thread), then
 * done(ctx, status) on the loop thread (done may be NULL). Pending work keeps the
 * loop alive, and the host waits for it before it unloads any plugin. */
TAU_API int tau_work_submit(tau_work_fn work, tau_work_done_cb done, void* ctx);

/* ---- plugin threads ---------------------------------------------------- */

typedef void (*tau_thread_fn)(void* ctx);

/* Runs fn(ctx) on a new thread that belongs to the calling plugin, then, once the
 * thread has ended, done(ctx, status) on the loop thread (done may be NULL): status
 * 0, or TAU_E_THREW when fn threw (reported against the plugin). The thread may
 * block (join, wait on futures, synchronous I/O, a parked io_context::run()); it
 * keeps the loop alive while it runs. On shutdown the host fires the shutdown
 * watches, then waits for every plugin thread before it calls plugin_destroy. */
TAU_API int tau_thread_spawn(tau_thread_fn fn, tau_work_done_cb done, void* ctx);

/* Number of plugin threads not yet joined (0 off the loop thread). */
TAU_API size_t tau_thread_running_count(void);

/* ---- shutdown ---------------------------------------------------------- */

typedef struct tau_shutdown_watch tau_shutdown_watch_t;

/* Nonzero once the host shuts down (SIGINT/SIGTERM, or the runtime is closed) or
 * the calling thread's plugin has ended (tau_plugin_end). Any thread. */
TAU_API int tau_shutting_down(void);

/* Calls cb(ctx) once, on the loop thread, when the host begins to shut down or the
 * plugin that registered the watch ends: the moment to wake whatever of the plugin
 * waits (threads parked in the Asio shim). Any thread. Returns TAU_E_SHUTDOWN
 * (and registers nothing) when that moment has already passed. */
TAU_API int tau_shutdown_watch_start(tau_shutdown_watch_t** out, tau_callback cb, void* ctx);
/* When it returns, cb is not running and will never run. Any thread, but not from
 * inside cb. */
TAU_API void tau_shutdown_watch_stop(tau_shutdown_watch_t* watch);

/* The calling plugin's work is over (an adapted program's main returned): its
 * shutdown watches fire, so its threads still parked in the shim wake up and the
 * work they held stops keeping the host alive. Any thread of the plugin. */
TAU_API void tau_plugin_end(void);

/* A program's main returned status (tau's program adapter calls it on main's
 * thread): tau_plugin_end, and the status is recorded. When every plugin tau runs is
 * a program, tau exits with the first non-zero status (or 0). Any thread of the
 * plugin. */
TAU_API void tau_program_exit(int status);

/* ---- signals ----------------------------------------------------------- */

typedef struct tau_signal tau_signal_t;
typedef void (*tau_signal_cb)(void* ctx, int signum);

/* Delivers signum to cb on the loop thread. A signal watch does not keep the loop
 * alive by itself (hold the loop while awaiting one). While a plugin watches SIGINT
 * or SIGTERM, the host leaves that signal to it instead of shutting down. */
TAU_API int tau_signal_start(tau_signal_t** out, int signum, tau_signal_cb cb, void* ctx);
TAU_API void tau_signal_stop(tau_signal_t* signal);

/* ---- name resolution --------------------------------------------------- */

typedef struct tau_getaddrinfo_req tau_getaddrinfo_t;
/* res belongs to the callee: free it with tau_freeaddrinfo. status < 0 is a libuv
 * EAI error (UV_EAI_*). A cancelled lookup is never called back. */
typedef void (*tau_getaddrinfo_cb)(void* ctx, int status, struct addrinfo* res);

/* getaddrinfo(3) on the blocking pool, answered on the loop thread. *out is valid
 * until the callback runs or the lookup is cancelled. */
TAU_API int tau_getaddrinfo(tau_getaddrinfo_t** out, const char* node, const char* service,
                            const struct addrinfo* hints, tau_getaddrinfo_cb cb, void* ctx);
/* The callback will not be called; res of a lookup still in flight is freed. */
TAU_API void tau_getaddrinfo_cancel(tau_getaddrinfo_t* req);
TAU_API void tau_freeaddrinfo(struct addrinfo* res);

/* ---- reload hand-over -------------------------------------------------- */

/* What a plugin's snapshot hook (plugin.h) hands to the build that replaces it. */
typedef struct tau_state tau_state_t;

/* Appends len bytes to the state. Loop thread, inside the snapshot hook. */
TAU_API int tau_state_write(tau_state_t* state, const void* data, size_t len);
/* Hands descriptor fd over: the state keeps a duplicate (close-on-exec), so the old
 * build may close its own as usual. From then on the old build's watches on fd see
 * no more readiness: what arrives is left for the new build. Returns the index of
 * the descriptor among those the restore hook receives. Loop thread, inside the
 * snapshot hook. */
TAU_API int tau_state_add_fd(tau_state_t* state, int fd);

#ifdef __cplusplus
}
#endif

#endif /* TAU_TAU_H */
