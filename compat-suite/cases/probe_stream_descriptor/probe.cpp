// probe_stream_descriptor: posix::stream_descriptor reads and writes a pipe
// asynchronously; the reader sees the end when the writer closes.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

#include <unistd.h>

namespace asio = boost::asio;
using namespace tau_compat::probe;

static asio::posix::stream_descriptor* reader, *writer;
static std::string got;

static void start(asio::io_context& io) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  reader = make<asio::posix::stream_descriptor>(io, fds[0]);
  writer = make<asio::posix::stream_descriptor>(io, fds[1]);
  asio::async_read(*reader, asio::dynamic_buffer(got), [](boost::system::error_code ec, size_t) {
    expect(ec == asio::error::eof && got == "through a pipe", "read the pipe to its end: '" + got + "'");
    done();
  });
  asio::async_write(*writer, asio::buffer(std::string_view("through a pipe")), [](boost::system::error_code ec, size_t) {
    expect(!ec, "async_write to the pipe");
    writer->close();
  });
}

TAU_COMPAT_PROBE(start)
