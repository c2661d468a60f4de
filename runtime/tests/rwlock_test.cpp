// Tests of rwlock.hpp: shared readers and exclusive writers across suspension, FIFO
// admission (readers at the head together, a waiting writer holding back later
// readers), try_ locks, and tasks aborted while waiting or just granted the lock.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "runtime_fixture.hpp"
#include "tau/tau.hpp"
#include "yield_now.hpp"

using namespace std::chrono_literals;

using rwlock_test = runtime_test;

TEST_F(rwlock_test, readers_share_the_lock_and_a_writer_holds_it_alone) {
  tau::rwlock lock;
  int readers = 0, writers = 0, most_readers = 0;
  bool writer_had_company = false;
  tau::block_on([&]() -> tau::task<> {
    tau::join_set<void> workers;
    for (int i = 0; i < 6; ++i)
      workers.spawn([&, i]() -> tau::task<> {
        for (int round = 0; round < 3; ++round) {
          if ((i + round) % 3 == 0) {
            auto guard = co_await lock.write_lock();
            ++writers;
            writer_had_company |= writers > 1 || readers > 0;
            co_await tau::sleep(1ms);
            --writers;
          } else {
            auto guard = co_await lock.read_lock();
            ++readers;
            most_readers = std::max(most_readers, readers);
            writer_had_company |= writers > 0;
            co_await tau::sleep(1ms);
            --readers;
          }
        }
      });
    while (co_await workers.join_next()) {
    }
  });
  EXPECT_FALSE(writer_had_company);
  EXPECT_GT(most_readers, 1);
  EXPECT_EQ(lock.reader_count(), 0u);
  EXPECT_FALSE(lock.is_write_locked());
}

TEST_F(rwlock_test, try_locks_take_a_free_lock_and_guards_release_it) {
  tau::rwlock lock;
  {
    auto r1 = lock.try_read_lock();
    auto r2 = lock.try_read_lock();
    ASSERT_TRUE(r1);
    ASSERT_TRUE(r2);
    EXPECT_EQ(lock.reader_count(), 2u);
    EXPECT_FALSE(lock.try_write_lock());
    r1->unlock();
    EXPECT_FALSE(r1->owns_lock());
    EXPECT_EQ(lock.reader_count(), 1u);
    auto moved = std::move(*r2);
    EXPECT_FALSE(r2->owns_lock());
    EXPECT_TRUE(moved.owns_lock());
    EXPECT_EQ(lock.reader_count(), 1u);
  }
  EXPECT_EQ(lock.reader_count(), 0u);
  {
    auto w = lock.try_write_lock();
    ASSERT_TRUE(w);
    EXPECT_TRUE(lock.is_write_locked());
    EXPECT_FALSE(lock.try_read_lock());
    EXPECT_FALSE(lock.try_write_lock());
  }
  EXPECT_FALSE(lock.is_write_locked());
  EXPECT_TRUE(lock.try_write_lock());
}

TEST_F(rwlock_test, waiters_are_admitted_in_order_with_readers_at_the_head_together) {
  tau::rwlock lock;
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto held = co_await lock.write_lock();
    tau::join_set<void> waiters;
    for (std::string name : {"r1", "r2", "w3", "r4", "r5", "w6"}) {
      waiters.spawn([&, name]() -> tau::task<> {
        if (name[0] == 'w') {
          auto guard = co_await lock.write_lock();
          trace.push_back("+" + name);
          co_await yield_now{};  // others get to run; none may come in
          trace.push_back("-" + name);
        } else {
          auto guard = co_await lock.read_lock();
          trace.push_back("+" + name);
          co_await yield_now{};
          trace.push_back("-" + name);
        }
      });
      co_await yield_now{};  // queue them one by one
    }
    EXPECT_FALSE(lock.try_read_lock());
    held.unlock();
    EXPECT_EQ(lock.reader_count(), 2u);  // r1 and r2 granted at once
    EXPECT_FALSE(lock.try_read_lock());  // w3 waits: later readers may not join them
    trace.push_back("unlocked");         // granting is deferred: nobody ran yet
    while (co_await waiters.join_next()) {
    }
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"unlocked", "+r1", "+r2", "-r1", "-r2", "+w3", "-w3", "+r4",
                                             "+r5", "-r4", "-r5", "+w6", "-w6"}));
  EXPECT_EQ(lock.reader_count(), 0u);
  EXPECT_FALSE(lock.is_write_locked());
}

TEST_F(rwlock_test, a_waiting_writer_is_not_starved_by_later_readers) {
  tau::rwlock lock;
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto first_reader = co_await lock.read_lock();
    auto writer = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await lock.write_lock();
      trace.push_back("writer");
    });
    co_await yield_now{};
    auto late_reader = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await lock.read_lock();
      trace.push_back("late reader");
    });
    for (int i = 0; i < 3; ++i) co_await yield_now{};
    EXPECT_TRUE(trace.empty());  // a reader holds the lock, yet the late one waits
    EXPECT_EQ(lock.reader_count(), 1u);
    EXPECT_FALSE(lock.try_read_lock());
    first_reader.unlock();
    co_await writer;
    co_await late_reader;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"writer", "late reader"}));
}

TEST_F(rwlock_test, an_aborted_waiting_writer_lets_the_readers_behind_it_in) {
  tau::rwlock lock;
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto first_reader = co_await lock.read_lock();
    auto writer = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await lock.write_lock();
      trace.push_back("writer");
    });
    co_await yield_now{};
    auto late_reader = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await lock.read_lock();
      trace.push_back("late reader");
    });
    co_await yield_now{};
    writer.abort();
    EXPECT_THROW(co_await writer, tau::task_aborted);
    co_await late_reader;  // in while the first reader still holds the lock
    trace.push_back("first reader unlocks");
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"late reader", "first reader unlocks"}));
  EXPECT_EQ(lock.reader_count(), 0u);
}

TEST_F(rwlock_test, an_aborted_waiting_reader_leaves_the_queue) {
  tau::rwlock lock;
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto held = co_await lock.write_lock();
    auto reader = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await lock.read_lock();
      trace.push_back("reader");
    });
    co_await yield_now{};
    auto writer = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await lock.write_lock();
      trace.push_back("writer");
    });
    co_await yield_now{};
    reader.abort();
    EXPECT_THROW(co_await reader, tau::task_aborted);
    held.unlock();
    EXPECT_TRUE(lock.is_write_locked());  // straight to the writer, now first in line
    co_await writer;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"writer"}));
  EXPECT_FALSE(lock.is_write_locked());
}

TEST_F(rwlock_test, a_writer_aborted_after_the_lock_was_granted_passes_it_on) {
  tau::rwlock lock;
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto held = co_await lock.write_lock();
    auto first = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await lock.write_lock();
      trace.push_back("first");
    });
    co_await yield_now{};
    auto second = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await lock.read_lock();
      trace.push_back("second");
    });
    co_await yield_now{};
    first.abort();  // runs before the resumption the unlock posts for it
    held.unlock();  // grants the lock to first
    EXPECT_TRUE(lock.is_write_locked());
    EXPECT_THROW(co_await first, tau::task_aborted);
    co_await second;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"second"}));
  EXPECT_EQ(lock.reader_count(), 0u);
  EXPECT_FALSE(lock.is_write_locked());
}

TEST_F(rwlock_test, a_reader_aborted_after_the_lock_was_granted_gives_its_share_back) {
  tau::rwlock lock;
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto held = co_await lock.write_lock();
    auto first = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await lock.read_lock();
      trace.push_back("first");
    });
    co_await yield_now{};
    auto second = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await lock.write_lock();
      trace.push_back("second");
    });
    co_await yield_now{};
    first.abort();
    held.unlock();  // grants a share to first; second waits for it
    EXPECT_EQ(lock.reader_count(), 1u);
    EXPECT_THROW(co_await first, tau::task_aborted);
    co_await second;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"second"}));
  EXPECT_EQ(lock.reader_count(), 0u);
  EXPECT_FALSE(lock.is_write_locked());
}

TEST_F(rwlock_test, waiting_for_a_lock_nobody_releases_is_stalled) {
  tau::rwlock lock;
  auto held = lock.try_write_lock();
  try {
    tau::block_on([&]() -> tau::task<> { auto guard = co_await lock.read_lock(); });
    FAIL() << "block_on returned";
  } catch (const tau::error& e) {
    EXPECT_EQ(e.tau_code(), TAU_E_STALLED);
  }
  tau::detail::runtime_run();  // the abort block_on requested, while lock still exists
  held.reset();
  EXPECT_FALSE(lock.is_write_locked());
  EXPECT_TRUE(lock.try_write_lock());  // the aborted waiter left no queue behind
}
