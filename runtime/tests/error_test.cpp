// Tests of error.hpp: a failure of the C++ API is a tau::error, which is a
// std::system_error whose code() sorts tau.h's negative codes at TAU_ERRNO_LIMIT:
// errno values in the system category, the rest in tau's; tau_code() gives the
// tau.h code back.
#include <gtest/gtest.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "tau/tau.hpp"

static_assert(std::is_base_of_v<std::system_error, tau::error>);
static_assert(tau::tau_error_category::eof == UV_EOF);

namespace {

struct uv_code {
  const char* name;
  int code;
};

#define TAU_UV_CODE(name, message) {#name, UV_##name},
constexpr uv_code uv_codes[] = {UV_ERRNO_MAP(TAU_UV_CODE)};
#undef TAU_UV_CODE

}  // namespace

// The boundary of tau.h holds for every code libuv has: below it a real errno,
// from it on a lookup error or one of libuv's few codes without an errno.
TEST(error_test, errno_limit_separates_errno_values_from_the_other_codes) {
  for (const uv_code& c : uv_codes) {
    std::string name = c.name;
    if (-c.code < TAU_ERRNO_LIMIT) {
      EXPECT_NE(std::string(std::strerror(-c.code)).rfind("Unknown error", 0), 0u) << name << " " << c.code;
    } else {
      bool lookup = name.rfind("EAI_", 0) == 0;
      bool no_errno = name == "EOF" || name == "UNKNOWN" || name == "ECHARSET" || name == "EFTYPE";
      EXPECT_TRUE(lookup || no_errno) << name << " " << c.code;
    }
  }
  for (int code :
       {TAU_E_WRONG_THREAD, TAU_E_IN_LOOP, TAU_E_STALLED, TAU_E_NO_TASK, TAU_E_THREW, TAU_E_SHUTDOWN})
    EXPECT_GE(-code, TAU_ERRNO_LIMIT) << code;
}

TEST(error_test, an_errno_code_is_in_the_system_category) {
  tau::error e(UV_ECONNREFUSED, "connect");
  EXPECT_EQ(e.code(), std::error_code(ECONNREFUSED, std::system_category()));
  EXPECT_EQ(e.code(), std::errc::connection_refused);
  EXPECT_EQ(e.tau_code(), UV_ECONNREFUSED);
  EXPECT_EQ(std::string(e.what()), "connect: " + std::system_category().message(ECONNREFUSED));
}

TEST(error_test, a_tau_code_is_in_the_tau_category) {
  tau::error e(TAU_E_STALLED, "block_on");
  EXPECT_EQ(e.code(), std::error_code(TAU_E_STALLED, tau::tau_category()));
  EXPECT_EQ(e.tau_code(), TAU_E_STALLED);
  EXPECT_EQ(std::string(e.what()), std::string("block_on: ") + tau_strerror(TAU_E_STALLED));
  EXPECT_STREQ(e.code().category().name(), "tau");
}

TEST(error_test, a_lookup_error_is_in_the_tau_category) {
  tau::error e(UV_EAI_NONAME, "resolve 'x'");
  EXPECT_EQ(&e.code().category(), &tau::tau_category());
  EXPECT_EQ(e.tau_code(), UV_EAI_NONAME);
  EXPECT_NE(std::string_view(e.what()).find(uv_strerror(UV_EAI_NONAME)), std::string_view::npos) << e.what();
}

TEST(error_test, an_errno_from_a_system_call_gives_its_tau_code) {
  tau::error e(std::error_code(EBADF, std::system_category()), "read");
  EXPECT_EQ(e.tau_code(), UV_EBADF);
}

TEST(error_test, end_of_stream_is_libuvs_eof_with_its_own_message) {
  tau::error e(std::error_code(tau::tau_error_category::eof, tau::tau_category()), "read_exact");
  EXPECT_EQ(e.tau_code(), UV_EOF);
  EXPECT_EQ(tau::error(UV_EOF, "read_exact").code(), e.code());
  EXPECT_EQ(std::string(e.what()), "read_exact: unexpected end of stream");
}

TEST(error_test, is_caught_as_a_std_system_error) {
  try {
    throw tau::error(UV_EADDRINUSE, "listen");
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::address_in_use);
  }
}
