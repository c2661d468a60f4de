// Tests of oneshot.hpp: one value, a dropped sender, close, deferred waking and a
// receiver aborted mid-wait.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime_fixture.hpp"
#include "tau/tau.hpp"
#include "yield_now.hpp"

using oneshot_test = runtime_test;

TEST_F(oneshot_test, the_value_reaches_a_waiting_receiver) {
  auto [tx, rx] = tau::oneshot::channel<std::unique_ptr<std::string>>();
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto waiting = tau::spawn([&]() -> tau::task<> {
      auto v = co_await rx;
      EXPECT_TRUE(tau_on_loop_thread());
      trace.push_back("got " + *v);
    });
    co_await yield_now{};
    EXPECT_TRUE(tx.send(std::make_unique<std::string>("answer")));
    trace.push_back("sent");  // before the receiver runs: waking is deferred
    co_await waiting;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"sent", "got answer"}));
}

TEST_F(oneshot_test, a_value_sent_before_the_await_completes_it_at_once) {
  auto [tx, rx] = tau::oneshot::channel<int>();
  EXPECT_TRUE(tx.send(7));
  EXPECT_FALSE(tx.send(8));  // one value only
  EXPECT_EQ(tau::block_on([&]() -> tau::task<int> { co_return co_await rx; }), 7);
}

TEST_F(oneshot_test, a_sender_dropped_unsent_makes_the_receiver_throw) {
  auto [tx, rx] = tau::oneshot::channel<int>();
  std::string outcome = tau::block_on([&]() -> tau::task<std::string> {
    auto dropper = tau::spawn([&]() -> tau::task<> {
      auto gone = std::move(tx);
      co_return;
    });
    try {
      co_await rx;
    } catch (const tau::oneshot::recv_error& e) {
      co_return e.what();
    }
    co_return "no error";
  });
  EXPECT_EQ(outcome, "oneshot channel closed without a value");
}

TEST_F(oneshot_test, try_recv_distinguishes_empty_sent_and_dropped) {
  auto [tx, rx] = tau::oneshot::channel<int>();
  EXPECT_EQ(rx.try_recv(), std::nullopt);
  tx.send(3);
  EXPECT_EQ(rx.try_recv(), 3);
  EXPECT_THROW(rx.try_recv(), std::logic_error);  // already received

  auto [tx2, rx2] = tau::oneshot::channel<int>();
  tx2 = {};
  EXPECT_THROW(rx2.try_recv(), tau::oneshot::recv_error);
}

TEST_F(oneshot_test, send_fails_and_keeps_the_value_once_the_receiver_is_gone_or_closed) {
  auto [tx, rx] = tau::oneshot::channel<std::string>();
  EXPECT_FALSE(tx.is_closed());
  rx.close();
  EXPECT_TRUE(tx.is_closed());
  std::string v = "kept";
  EXPECT_FALSE(tx.send(std::move(v)));
  EXPECT_EQ(v, "kept");
  EXPECT_THROW(rx.try_recv(), tau::oneshot::recv_error);

  auto [tx2, rx2] = tau::oneshot::channel<std::string>();
  { auto gone = std::move(rx2); }
  EXPECT_TRUE(tx2.is_closed());
  EXPECT_FALSE(tx2.send(v));
}

TEST_F(oneshot_test, a_value_sent_before_close_can_still_be_received) {
  auto [tx, rx] = tau::oneshot::channel<int>();
  tx.send(5);
  rx.close();
  EXPECT_EQ(rx.try_recv(), 5);
}

TEST_F(oneshot_test, close_wakes_a_waiting_receiver_with_an_error) {
  auto [tx, rx] = tau::oneshot::channel<int>();
  bool failed = false;
  tau::block_on([&]() -> tau::task<> {
    auto waiting = tau::spawn([&]() -> tau::task<> {
      try {
        co_await rx;
      } catch (const tau::oneshot::recv_error&) {
        failed = true;
      }
    });
    co_await yield_now{};
    rx.close();
    co_await waiting;
  });
  EXPECT_TRUE(failed);
  EXPECT_FALSE(tx.send(1));
}

TEST_F(oneshot_test, a_value_sent_to_an_aborted_receiver_stays_in_the_channel) {
  auto [tx, rx] = tau::oneshot::channel<std::string>();
  bool resumed = false;
  tau::block_on([&]() -> tau::task<> {
    auto waiting = tau::spawn([&]() -> tau::task<> {
      co_await rx;
      resumed = true;
    });
    co_await yield_now{};
    waiting.abort();  // runs before the resumption the send posts
    EXPECT_TRUE(tx.send("not lost"));
    EXPECT_THROW(co_await waiting, tau::task_aborted);
  });
  EXPECT_FALSE(resumed);
  EXPECT_EQ(rx.try_recv(), "not lost");
}

TEST_F(oneshot_test, a_receiver_nothing_can_complete_is_stalled) {
  auto [tx, rx] = tau::oneshot::channel<int>();
  try {
    tau::block_on([&]() -> tau::task<> { co_await rx; });
    FAIL() << "block_on returned";
  } catch (const tau::error& e) {
    EXPECT_EQ(e.tau_code(), TAU_E_STALLED);
  }
  tau::detail::runtime_run();  // the abort block_on requested
  EXPECT_TRUE(tx.send(1));     // the aborted await left the receiver usable
  EXPECT_EQ(rx.try_recv(), 1);
}

TEST_F(oneshot_test, two_tasks_awaiting_one_receiver_is_an_error) {
  auto [tx, rx] = tau::oneshot::channel<int>();
  std::string second = tau::block_on([&]() -> tau::task<std::string> {
    auto first = tau::spawn([&]() -> tau::task<int> { co_return co_await rx; });
    co_await yield_now{};
    std::string outcome = "no error";
    try {
      co_await rx;
    } catch (const std::logic_error&) {
      outcome = "logic_error";
    }
    tx.send(1);
    EXPECT_EQ(co_await first, 1);
    co_return outcome;
  });
  EXPECT_EQ(second, "logic_error");
}
