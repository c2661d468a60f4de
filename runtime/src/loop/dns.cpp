// dns.cpp: getaddrinfo on the blocking pool through uv_getaddrinfo.
#include <vector>

#include "runtime.hpp"

struct tau_getaddrinfo_req {
  uv_getaddrinfo_t req;
  tau_getaddrinfo_cb cb;
  tau::detail::callback_target target;
  bool cancelled;
};

using namespace tau::detail;

namespace {

// Lookups in flight, so that unloading a plugin can cancel its own. Loop thread.
std::vector<tau_getaddrinfo_req*> g_in_flight;

void on_resolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  auto* r = static_cast<tau_getaddrinfo_req*>(req->data);
  std::erase(g_in_flight, r);
  if (r->cancelled) {
    uv_freeaddrinfo(res);
  } else {
    guarded_call(r->target.owner, "getaddrinfo callback", [&] { r->cb(r->target.ctx, status, res); });
  }
  delete r;
}

}  // namespace

namespace tau::detail {
void cancel_lookups_of(owner_id owner) {
  for (tau_getaddrinfo_req* r : g_in_flight)
    if (r->target.owner == owner) tau_getaddrinfo_cancel(r);
}
}  // namespace tau::detail

extern "C" {

int tau_getaddrinfo(tau_getaddrinfo_t** out, const char* node, const char* service,
                    const struct addrinfo* hints, tau_getaddrinfo_cb cb, void* ctx) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (out == nullptr || cb == nullptr) return UV_EINVAL;
  auto* r = new tau_getaddrinfo_req{{}, cb, {ctx, current_owner()}, false};
  r->req.data = r;
  if (int err = uv_getaddrinfo(loop(), &r->req, on_resolved, node, service, hints); err != 0) {
    delete r;
    return err;
  }
  g_in_flight.push_back(r);
  *out = r;
  return 0;
}

void tau_getaddrinfo_cancel(tau_getaddrinfo_t* r) {
  if (r == nullptr || !on_loop_thread()) return;
  r->cancelled = true;
  uv_cancel(reinterpret_cast<uv_req_t*>(&r->req));
}

void tau_freeaddrinfo(struct addrinfo* res) { uv_freeaddrinfo(res); }

}  // extern "C"
