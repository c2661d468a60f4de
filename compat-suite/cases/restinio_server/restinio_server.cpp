// restinio_server: a RESTinio 0.6 HTTP server on the plugin's io_context, host-driven
// like any plugin: process opens it (open_async) and returns, the loop serves. An
// express router answers GET /hello and POST /echo (the body back, upper-cased);
// after SERVE requests the server closes itself (close_async) and the plugin is
// done. Args: "PORT SERVE".
#include <restinio/all.hpp>
#include <tau_compat/probe.hpp>

#include <algorithm>
#include <cctype>
#include <string>

namespace asio = boost::asio;
using namespace tau_compat::probe;

namespace {

using router_t = restinio::router::express_router_t<>;
using traits_t = restinio::traits_t<restinio::asio_timer_manager_t, restinio::null_logger_t, router_t>;
using server_t = restinio::http_server_t<traits_t>;

server_t* server;
int to_serve = 0;

void served_one() {
  if (--to_serve > 0) return;
  // After the response is written: close_async posts the close to the server's context.
  server->close_async([] { done(); }, [](std::exception_ptr) { say("close failed"); });
}

std::unique_ptr<router_t> make_router() {
  auto router = std::make_unique<router_t>();
  router->http_get("/hello", [](auto request, auto) {
    expect_loop_thread("the GET handler");
    say("GET %s", std::string(request->header().path()).c_str());
    auto status = request->create_response().append_header(restinio::http_field::content_type, "text/plain")
                      .set_body("hello from RESTinio")
                      .done();
    served_one();
    return status;
  });
  router->http_post("/echo", [](auto request, auto) {
    expect_loop_thread("the POST handler");
    std::string body = request->body();
    say("POST %s: %s", std::string(request->header().path()).c_str(), body.c_str());
    std::transform(body.begin(), body.end(), body.begin(), [](unsigned char c) { return std::toupper(c); });
    auto status = request->create_response().set_body(body).done();
    served_one();
    return status;
  });
  router->non_matched_request_handler([](auto request) {
    return request->create_response(restinio::status_not_found()).connection_close().done();
  });
  return router;
}

void start(asio::io_context& io, const std::vector<std::string>& args) {
  auto port = static_cast<std::uint16_t>(std::stoi(args.at(1)));
  to_serve = std::stoi(args.at(2));
  server = make<server_t>(restinio::external_io_context(io),
                          restinio::server_settings_t<traits_t>{}
                              .address("127.0.0.1")
                              .port(port)
                              .request_handler(make_router())
                              .acceptor_post_bind_hook([](asio::ip::tcp::acceptor& acceptor) {
                                say("bound to port %u", acceptor.local_endpoint().port());
                              }));
  server->open_async([] { say("open"); },
                     [](std::exception_ptr failure) {
                       try {
                         std::rethrow_exception(failure);
                       } catch (const std::exception& e) {
                         say("open failed: %s", e.what());
                       }
                     });
}

}  // namespace

TAU_COMPAT_PROBE(start)
