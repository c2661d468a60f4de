// The runtime's part of unloading one plugin while the others run: what of an
// owner still runs, and dropping what would call into its code once it is gone.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "runtime_fixture.hpp"

using namespace tau::detail;

namespace {

class unload_test : public runtime_test {
 protected:
  owner_id leaving = register_owner("leaving");
  owner_id staying = register_owner("staying");
};

void count(void* ctx) { ++*static_cast<int*>(ctx); }

}  // namespace

TEST_F(unload_test, only_the_owner_s_tasks_are_aborted) {
  tau_task_id mine, theirs;
  {
    owner_scope scope(leaving);
    mine = tau_task_new(nullptr, nullptr);
  }
  {
    owner_scope scope(staying);
    theirs = tau_task_new(nullptr, nullptr);
  }
  EXPECT_EQ(running_tasks_of(leaving), 1u);
  abort_tasks_of(leaving);
  runtime_quiesce();
  EXPECT_EQ(tau_task_status(mine), TAU_TASK_ABORTED);
  EXPECT_EQ(tau_task_status(theirs), TAU_TASK_RUNNING);
  EXPECT_EQ(running_tasks_of(leaving), 0u);
  EXPECT_TRUE(activity_of(leaving).idle());
  EXPECT_EQ(running_tasks_of(staying), 1u);
  tau_task_complete(theirs, TAU_TASK_OK, nullptr);
}

TEST_F(unload_test, threads_and_blocking_jobs_count_until_they_end) {
  std::atomic<bool> release{false};
  auto wait = [](void* ctx) {
    while (!static_cast<std::atomic<bool>*>(ctx)->load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  {
    owner_scope scope(leaving);
    ASSERT_EQ(tau_thread_spawn(wait, nullptr, &release), 0);
    ASSERT_EQ(tau_work_submit(wait, nullptr, &release), 0);
  }
  owner_activity busy = activity_of(leaving);
  EXPECT_EQ(busy.threads, 1u);
  EXPECT_EQ(busy.jobs, 1u);
  EXPECT_FALSE(busy.idle());
  EXPECT_TRUE(activity_of(staying).idle());
  release = true;
  while (!activity_of(leaving).idle()) runtime_run_once();
  EXPECT_EQ(jobs_in_flight_of(leaving), 0u);
  EXPECT_EQ(running_threads_of(leaving), 0u);
}

TEST_F(unload_test, the_owner_s_handles_are_closed_and_named_the_others_stay) {
  int left_behind = 0, other = 0;
  tau_timer_t *timer_of_leaving, *timer_of_staying;
  tau_poll_t* watch;
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  {
    owner_scope scope(leaving);
    tau_timer_start(&timer_of_leaving, 1, 1, count, &left_behind);
    tau_poll_start(&watch, fds[0], TAU_READABLE, [](void*, int, int) {}, nullptr);
  }
  {
    owner_scope scope(staying);
    tau_timer_start(&timer_of_staying, 1, 1, count, &other);
  }
  std::vector<const char*> closed = close_handles_of(leaving);
  std::vector<std::string> kinds(closed.begin(), closed.end());
  std::sort(kinds.begin(), kinds.end());
  EXPECT_EQ(kinds, (std::vector<std::string>{"descriptor watch", "timer"}));
  EXPECT_TRUE(close_handles_of(leaving).empty());
  while (other < 3) runtime_run_once();
  EXPECT_EQ(left_behind, 0);
  EXPECT_TRUE(open_poll_owners().empty());
  tau_timer_stop(timer_of_staying);
  close(fds[0]);
  close(fds[1]);
}

TEST_F(unload_test, forgetting_an_owner_drops_its_join_callbacks_on_other_tasks) {
  tau_task_id theirs;
  {
    owner_scope scope(staying);
    theirs = tau_task_new(nullptr, nullptr);
  }
  int joined_by_leaving = 0, joined_by_staying = 0;
  auto on_join = [](void* ctx, tau_task_id, int, const char*) { ++*static_cast<int*>(ctx); };
  {
    owner_scope scope(leaving);
    tau_task_join(theirs, on_join, &joined_by_leaving);
  }
  {
    owner_scope scope(staying);
    tau_task_join(theirs, on_join, &joined_by_staying);
  }
  forget_tasks_of(leaving);
  tau_task_complete(theirs, TAU_TASK_OK, nullptr);
  runtime_quiesce();
  EXPECT_EQ(joined_by_leaving, 0);
  EXPECT_EQ(joined_by_staying, 1);
}

TEST_F(unload_test, ending_an_owner_fires_only_its_shutdown_watches) {
  int fired_leaving = 0, fired_staying = 0;
  tau_shutdown_watch_t *w1, *w2;
  {
    owner_scope scope(leaving);
    ASSERT_EQ(tau_shutdown_watch_start(&w1, count, &fired_leaving), 0);
  }
  {
    owner_scope scope(staying);
    ASSERT_EQ(tau_shutdown_watch_start(&w2, count, &fired_staying), 0);
  }
  end_owner(leaving);
  EXPECT_EQ(fired_leaving, 1);
  EXPECT_EQ(fired_staying, 0);
  {
    owner_scope scope(leaving);
    EXPECT_EQ(tau_shutting_down(), 1);
  }
  forget_shutdown_watches_of(leaving);
  begin_shutdown();
  EXPECT_EQ(fired_leaving, 1);
  EXPECT_EQ(fired_staying, 1);
  tau_shutdown_watch_stop(w2);
}
