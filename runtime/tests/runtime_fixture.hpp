// runtime_fixture.hpp: each test gets a fresh runtime whose loop thread is the
// test's thread.
#pragma once

#include <gtest/gtest.h>

#include "runtime.hpp"

class runtime_test : public ::testing::Test {
 protected:
  void SetUp() override { tau::detail::runtime_init(); }
  void TearDown() override { tau::detail::runtime_close(); }
};
