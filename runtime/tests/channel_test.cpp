// Tests of channel.hpp: tau::mpsc ordering, backpressure, closing, deferred waking
// and tasks aborted in the middle of a send or recv.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime_fixture.hpp"
#include "tau/tau.hpp"
#include "yield_now.hpp"

using namespace std::chrono_literals;

using channel_test = runtime_test;

TEST_F(channel_test, values_arrive_in_order_and_recv_ends_when_every_sender_is_gone) {
  auto [tx, rx] = tau::mpsc::unbounded_channel<std::unique_ptr<int>>();
  std::vector<int> got = tau::block_on([&]() -> tau::task<std::vector<int>> {
    tau::spawn([&]() -> tau::task<> {
      auto out = std::move(tx);
      for (int i = 1; i <= 5; ++i) {
        EXPECT_TRUE(co_await out.send(std::make_unique<int>(i)));
        co_await yield_now{};
      }
    });
    std::vector<int> values;
    while (auto v = co_await rx.recv()) values.push_back(**v);
    co_return values;
  });
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(rx.is_closed());
}

TEST_F(channel_test, buffered_values_are_received_after_the_last_sender_is_gone) {
  auto [tx, rx] = tau::mpsc::channel<int>(4);
  EXPECT_EQ(tx.try_send(1), tau::mpsc::send_status::sent);
  EXPECT_EQ(tx.try_send(2), tau::mpsc::send_status::sent);
  auto copy = tx;
  tx = {};
  EXPECT_FALSE(rx.is_closed());  // the copy still sends
  EXPECT_EQ(copy.try_send(3), tau::mpsc::send_status::sent);
  copy = {};
  EXPECT_TRUE(rx.is_closed());
  std::vector<std::optional<int>> got = tau::block_on([&]() -> tau::task<std::vector<std::optional<int>>> {
    std::vector<std::optional<int>> values;
    for (int i = 0; i < 5; ++i) values.push_back(co_await rx.recv());
    co_return values;
  });
  EXPECT_EQ(got, (std::vector<std::optional<int>>{1, 2, 3, std::nullopt, std::nullopt}));
}

TEST_F(channel_test, a_waiting_receiver_wakes_when_the_last_sender_goes) {
  auto [tx, rx] = tau::mpsc::channel<int>(1);
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto h = tau::spawn([&]() -> tau::task<> {
      auto v = co_await rx.recv();
      trace.push_back(v ? "value" : "closed");
    });
    co_await yield_now{};
    trace.push_back("dropping sender");
    tx = {};
    co_await h;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"dropping sender", "closed"}));
}

TEST_F(channel_test, bounded_send_waits_at_capacity_until_the_receiver_takes) {
  auto [tx, rx] = tau::mpsc::channel<int>(2);
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto producer = tau::spawn([&]() -> tau::task<> {
      auto out = std::move(tx);
      for (int i = 1; i <= 4; ++i) {
        co_await out.send(i);
        trace.push_back("sent " + std::to_string(i));
      }
    });
    // Several iterations: the producer fills the buffer and then must wait.
    for (int i = 0; i < 5; ++i) co_await yield_now{};
    EXPECT_EQ(rx.size(), 2u);
    trace.push_back("receiving");
    while (auto v = co_await rx.recv()) {
      trace.push_back("got " + std::to_string(*v));
      co_await yield_now{};
    }
    co_await producer;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"sent 1", "sent 2", "receiving", "got 1", "sent 3", "got 2",
                                             "sent 4", "got 3", "got 4"}));
}

TEST_F(channel_test, waiting_senders_are_served_in_the_order_they_came) {
  auto [tx, rx] = tau::mpsc::channel<int>(1);
  std::vector<int> got = tau::block_on([&]() -> tau::task<std::vector<int>> {
    EXPECT_EQ(tx.try_send(0), tau::mpsc::send_status::sent);
    tau::join_set<void> senders;
    for (int i = 1; i <= 3; ++i) {
      senders.spawn([&, i]() -> tau::task<> { co_await tx.send(i); });
      co_await yield_now{};  // each sender queues before the next starts
    }
    EXPECT_EQ(tx.try_send(99), tau::mpsc::send_status::full);  // no overtaking the queue
    std::vector<int> values;
    for (int i = 0; i < 4; ++i) values.push_back(*co_await rx.recv());
    while (co_await senders.join_next()) {
    }
    co_return values;
  });
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3}));
}

TEST_F(channel_test, try_send_leaves_the_value_with_the_caller_when_full_or_closed) {
  auto [tx, rx] = tau::mpsc::channel<std::string>(1);
  std::string first = "first", second = "second";
  EXPECT_EQ(tx.try_send(std::move(first)), tau::mpsc::send_status::sent);
  EXPECT_EQ(tx.try_send(std::move(second)), tau::mpsc::send_status::full);
  EXPECT_EQ(second, "second");
  EXPECT_EQ(rx.try_recv(), "first");
  EXPECT_EQ(rx.try_recv(), std::nullopt);
  EXPECT_FALSE(rx.is_closed());
  rx.close();
  EXPECT_TRUE(tx.is_closed());
  EXPECT_EQ(tx.try_send(std::move(second)), tau::mpsc::send_status::closed);
  EXPECT_EQ(second, "second");
}

TEST_F(channel_test, close_fails_waiting_and_later_sends_but_keeps_the_buffer) {
  auto [tx, rx] = tau::mpsc::channel<int>(1);
  auto results = tau::block_on([&]() -> tau::task<std::vector<std::string>> {
    std::vector<std::string> out;
    co_await tx.send(1);
    auto blocked = tau::spawn([&]() -> tau::task<bool> { co_return co_await tx.send(2); });
    co_await yield_now{};
    rx.close();
    out.push_back(co_await blocked ? "blocked send ok" : "blocked send failed");
    out.push_back(co_await tx.send(3) ? "late send ok" : "late send failed");
    auto v = co_await rx.recv();
    out.push_back("recv " + (v ? std::to_string(*v) : "none"));
    v = co_await rx.recv();
    out.push_back("recv " + (v ? std::to_string(*v) : "none"));
    co_return out;
  });
  EXPECT_EQ(results,
            (std::vector<std::string>{"blocked send failed", "late send failed", "recv 1", "recv none"}));
}

TEST_F(channel_test, dropping_the_receiver_fails_waiting_senders_and_frees_the_buffer) {
  auto [tx, rx] = tau::mpsc::channel<std::shared_ptr<int>>(1);
  auto probe = std::make_shared<int>(7);
  bool sent = true;
  tau::block_on([&]() -> tau::task<> {
    co_await tx.send(probe);
    auto blocked = tau::spawn([&]() -> tau::task<> { sent = co_await tx.send(probe); });
    co_await yield_now{};
    EXPECT_EQ(probe.use_count(), 3);  // buffered, and held by the waiting send
    { auto gone = std::move(rx); }
    co_await blocked;
  });
  EXPECT_FALSE(sent);
  EXPECT_TRUE(tx.is_closed());
  EXPECT_EQ(probe.use_count(), 1);
}

TEST_F(channel_test, waking_is_deferred_the_receiver_never_runs_inside_send) {
  auto [tx, rx] = tau::mpsc::channel<int>(4);
  std::vector<std::string> trace;
  bool inside_send = false;
  tau::block_on([&]() -> tau::task<> {
    auto consumer = tau::spawn([&]() -> tau::task<> {
      while (auto v = co_await rx.recv()) {
        EXPECT_FALSE(inside_send);
        EXPECT_TRUE(tau_on_loop_thread());
        trace.push_back("got " + std::to_string(*v));
      }
    });
    co_await yield_now{};  // the consumer waits now
    inside_send = true;
    co_await tx.send(1);
    EXPECT_EQ(tx.try_send(2), tau::mpsc::send_status::sent);
    inside_send = false;
    trace.push_back("sent");
    tx = {};
    co_await consumer;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"sent", "got 1", "got 2"}));
}

TEST_F(channel_test, a_value_handed_to_an_aborted_receiver_goes_back_to_the_channel) {
  auto [tx, rx] = tau::mpsc::unbounded_channel<std::string>();
  bool resumed = false;
  tau::block_on([&]() -> tau::task<> {
    auto h = tau::spawn([&]() -> tau::task<> {
      co_await rx.recv();
      resumed = true;
    });
    co_await yield_now{};
    // The abort is posted first, so the receiver's frame is destroyed before the
    // resumption posted by the send can run.
    h.abort();
    EXPECT_EQ(tx.try_send("handed"), tau::mpsc::send_status::sent);
    EXPECT_EQ(rx.size(), 0u);  // handed to the waiting receiver, not buffered
    EXPECT_EQ(tx.try_send("second"), tau::mpsc::send_status::sent);
    EXPECT_THROW(co_await h, tau::task_aborted);
  });
  EXPECT_FALSE(resumed);
  EXPECT_EQ(rx.try_recv(), "handed");
  EXPECT_EQ(rx.try_recv(), "second");
  EXPECT_EQ(rx.try_recv(), std::nullopt);
}

TEST_F(channel_test, a_value_handed_to_an_aborted_receiver_passes_to_the_next_one) {
  auto [tx, rx] = tau::mpsc::unbounded_channel<int>();
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto first = tau::spawn([&]() -> tau::task<> {
      co_await rx.recv();
      trace.push_back("first resumed");
    });
    auto second = tau::spawn([&]() -> tau::task<> {
      auto v = co_await rx.recv();
      trace.push_back("second got " + std::to_string(v.value_or(-1)));
    });
    co_await yield_now{};
    first.abort();
    tx.try_send(5);  // handed to the first, which dies before resuming
    EXPECT_THROW(co_await first, tau::task_aborted);
    co_await second;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"second got 5"}));
}

TEST_F(channel_test, an_aborted_waiting_sender_sends_nothing) {
  auto [tx, rx] = tau::mpsc::channel<std::string>(1);
  auto got = tau::block_on([&]() -> tau::task<std::vector<std::string>> {
    co_await tx.send("a");
    auto blocked = tau::spawn([&]() -> tau::task<> { co_await tx.send("never"); });
    co_await yield_now{};
    blocked.abort();
    EXPECT_THROW(co_await blocked, tau::task_aborted);
    std::vector<std::string> values;
    values.push_back(*co_await rx.recv());
    co_await tx.send("b");  // the aborted send left no slot taken
    tx = {};
    while (auto v = co_await rx.recv()) values.push_back(*v);
    co_return values;
  });
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b"}));
}

TEST_F(channel_test, a_sender_aborted_after_its_value_was_taken_delivers_it_once) {
  auto [tx, rx] = tau::mpsc::channel<std::string>(1);
  bool resumed = false;
  auto got = tau::block_on([&]() -> tau::task<std::vector<std::string>> {
    co_await tx.send("a");
    auto blocked = tau::spawn([&]() -> tau::task<> {
      co_await tx.send("b");
      resumed = true;
    });
    co_await yield_now{};
    blocked.abort();  // runs before the resumption the receive below posts
    std::vector<std::string> values;
    values.push_back(*rx.try_recv());  // makes room: "b" moves into the buffer
    EXPECT_THROW(co_await blocked, tau::task_aborted);
    tx = {};
    while (auto v = co_await rx.recv()) values.push_back(*v);
    co_return values;
  });
  EXPECT_FALSE(resumed);
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b"}));
}

TEST_F(channel_test, recv_that_nothing_can_complete_is_stalled) {
  auto [tx, rx] = tau::mpsc::channel<int>(1);
  try {
    tau::block_on([&]() -> tau::task<> { co_await rx.recv(); });
    FAIL() << "block_on returned";
  } catch (const tau::error& e) {
    EXPECT_EQ(e.tau_code(), TAU_E_STALLED);
  }
  tau::detail::runtime_run();  // the abort block_on requested
  EXPECT_EQ(tau_task_running_count(), 0u);
  EXPECT_EQ(tx.try_send(1), tau::mpsc::send_status::sent);  // the aborted recv left the channel usable
  EXPECT_EQ(rx.try_recv(), 1);
}

TEST_F(channel_test, send_to_a_full_channel_nobody_reads_is_stalled) {
  auto [tx, rx] = tau::mpsc::channel<int>(1);
  tx.try_send(1);
  try {
    tau::block_on([&]() -> tau::task<> { co_await tx.send(2); });
    FAIL() << "block_on returned";
  } catch (const tau::error& e) {
    EXPECT_EQ(e.tau_code(), TAU_E_STALLED);
  }
  tau::detail::runtime_run();
  EXPECT_EQ(rx.try_recv(), 1);
  EXPECT_EQ(rx.try_recv(), std::nullopt);
}

TEST_F(channel_test, capacity_zero_is_rejected) {
  EXPECT_THROW(tau::mpsc::channel<int>(0), std::invalid_argument);
}
