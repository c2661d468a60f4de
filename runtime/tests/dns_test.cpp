// Tests of dns.cpp: getaddrinfo on the blocking pool.
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "runtime_fixture.hpp"
#include "tau/tau.h"

using dns_test = runtime_test;

namespace {

struct lookup {
  int calls = 0;
  int status = 1;
  bool has_loopback = false;
  bool on_loop = false;
};

void on_result(void* ctx, int status, struct addrinfo* res) {
  auto* l = static_cast<lookup*>(ctx);
  ++l->calls;
  l->status = status;
  l->on_loop = tau_on_loop_thread() != 0;
  for (auto* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET &&
        reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
      l->has_loopback = true;
  }
  tau_freeaddrinfo(res);
}

}  // namespace

TEST_F(dns_test, resolves_localhost) {
  lookup l;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  tau_getaddrinfo_t* req = nullptr;
  ASSERT_EQ(tau_getaddrinfo(&req, "localhost", "80", &hints, on_result, &l), 0);
  tau::detail::runtime_run();
  EXPECT_EQ(l.calls, 1);
  EXPECT_EQ(l.status, 0);
  EXPECT_TRUE(l.has_loopback);
  EXPECT_TRUE(l.on_loop);
}

TEST_F(dns_test, unknown_name_reports_an_eai_error) {
  lookup l;
  tau_getaddrinfo_t* req = nullptr;
  ASSERT_EQ(tau_getaddrinfo(&req, "no-such-host.invalid", nullptr, nullptr, on_result, &l), 0);
  tau::detail::runtime_run();
  EXPECT_EQ(l.calls, 1);
  EXPECT_LT(l.status, 0);
}

TEST_F(dns_test, cancelled_lookup_never_calls_back) {
  lookup l;
  tau_getaddrinfo_t* req = nullptr;
  ASSERT_EQ(tau_getaddrinfo(&req, "localhost", nullptr, nullptr, on_result, &l), 0);
  tau_getaddrinfo_cancel(req);
  tau::detail::runtime_run();
  EXPECT_EQ(l.calls, 0);
}
