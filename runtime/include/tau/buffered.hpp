// buffered.hpp: tau::buffered_reader and tau::buffered_writer, a buffer between a
// tcp_stream and code that reads lines or writes many small pieces.
//
//   tau::buffered_reader in(stream);
//   while (auto line = co_await in.read_line()) handle(*line);   // nullopt at end
//
//   tau::buffered_writer out(stream);
//   co_await out.write("HELLO\r\n");   // buffered
//   co_await out.flush();              // on the wire
//
// Both borrow the stream, which must outlive them; a reader and a writer may share
// one stream (one task reading, another writing). One task at a time may use each.
// A read or flush aborted mid-way loses nothing: bytes already received stay in the
// reader's buffer, bytes not yet sent stay in the writer's. Stream failures throw
// what tcp_stream throws (tau::error).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tau/error.hpp"
#include "tau/net.hpp"
#include "tau/task.hpp"

namespace tau {

// Reads a tcp_stream through a buffer: lines, delimited records, or bytes.
class buffered_reader {
 public:
  static constexpr size_t default_capacity = 8 * 1024;
  static constexpr size_t default_max_line = 64 * 1024;

  // max_line bounds what read_line and read_until hold before they find their
  // delimiter; capacity is how much one read from the stream asks for.
  explicit buffered_reader(tcp_stream& stream, size_t max_line = default_max_line,
                           size_t capacity = default_capacity)
      : stream_(&stream), max_line_(max_line), capacity_(std::max<size_t>(capacity, 1)), buf_(capacity_) {}
  buffered_reader(const buffered_reader&) = delete;
  buffered_reader& operator=(const buffered_reader&) = delete;

  // The next line without its "\n", and without the "\r" of a "\r\n"; the bytes
  // after the last "\n" form a last line; nullopt once the stream has ended and
  // nothing is left. Throws tau::line_too_long when more than max_line bytes (a
  // "\r" included) come before the "\n"; the line then stays unread, buffered.
  task<std::optional<std::string>> read_line() {
    std::optional<std::string> line = co_await read_until("\n");
    if (line && !line->empty() && line->back() == '\r') line->pop_back();
    co_return line;
  }

  // The bytes up to delimiter (which must stay valid until the task ends), without
  // it. End of stream and max_line are handled as by read_line.
  task<std::optional<std::string>> read_until(std::string_view delimiter) {
    if (delimiter.empty()) throw std::invalid_argument("buffered_reader::read_until: empty delimiter");
    size_t scanned = 0;  // bytes at the front that cannot start a match
    for (;;) {
      std::string_view data = buffered();
      size_t at = data.find(delimiter, scanned);
      if (at != std::string_view::npos) {
        if (at > max_line_) throw line_too_long(max_line_);
        std::string record(data.substr(0, at));
        begin_ += at + delimiter.size();
        co_return record;
      }
      scanned = data.size() >= delimiter.size() ? data.size() - delimiter.size() + 1 : 0;
      if (scanned > max_line_) throw line_too_long(max_line_);  // a match now would start too late
      if (co_await fill()) continue;
      data = buffered();
      if (data.empty()) co_return std::nullopt;
      if (data.size() > max_line_) throw line_too_long(max_line_);
      std::string record(data);
      begin_ = end_ = 0;
      co_return record;
    }
  }

  // Buffered bytes if there are any, else what one read of the stream brings (into
  // buffer directly when it is at least the capacity); 0 at end of stream.
  task<size_t> read_some(std::span<char> buffer) {
    if (buffer.empty()) co_return 0;
    if (begin_ == end_) {
      if (buffer.size() >= capacity_) co_return co_await stream_->read_some(buffer);
      if (!co_await fill()) co_return 0;
    }
    size_t n = std::min(buffer.size(), end_ - begin_);
    std::memcpy(buffer.data(), buf_.data() + begin_, n);
    begin_ += n;
    co_return n;
  }

  // Fills buffer; throws (tau_error_category::eof) when the stream ends first.
  task<> read_exact(std::span<char> buffer) {
    while (!buffer.empty()) {
      size_t n = co_await read_some(buffer);
      if (n == 0)
        throw error(std::error_code(tau_error_category::eof, tau_category()), "buffered_reader::read_exact");
      buffer = buffer.subspan(n);
    }
  }

  // Bytes received but not read yet.
  std::string_view buffered() const noexcept { return {buf_.data() + begin_, end_ - begin_}; }

 private:
  // One read of the stream appended to the buffer; false at end of stream. The
  // buffer grows past capacity only for a record that does not fit (max_line keeps
  // that bounded) and shrinks back once it has been read.
  task<bool> fill() {
    if (begin_ == end_) {
      begin_ = end_ = 0;
      if (buf_.size() > capacity_) std::vector<char>(capacity_).swap(buf_);
    } else if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
    size_t n = co_await stream_->read_some(std::span<char>(buf_.data() + end_, buf_.size() - end_));
    end_ += n;
    co_return n > 0;
  }

  tcp_stream* stream_;
  size_t max_line_;
  size_t capacity_;
  std::vector<char> buf_;
  size_t begin_ = 0;  // unread bytes are buf_[begin_, end_)
  size_t end_ = 0;
};

// Writes to a tcp_stream through a buffer, so that many small writes become few
// sends. What is still buffered when the writer is destroyed is never sent: flush.
class buffered_writer {
 public:
  static constexpr size_t default_capacity = 8 * 1024;

  explicit buffered_writer(tcp_stream& stream, size_t capacity = default_capacity)
      : stream_(&stream), capacity_(std::max<size_t>(capacity, 1)) {
    buf_.reserve(capacity_);
  }
  buffered_writer(const buffered_writer&) = delete;
  buffered_writer& operator=(const buffered_writer&) = delete;

  // Buffers data (which must stay valid until the task ends). When it does not fit
  // in what is left of the capacity, the buffer is sent first; data of at least the
  // capacity then goes to the stream directly.
  task<> write(std::string_view data) {
    if (buffered_size() + data.size() > capacity_) co_await flush();
    if (data.size() >= capacity_) {
      co_await stream_->write_all(data);
    } else {
      buf_.append(data);
    }
  }

  // Sends everything buffered.
  task<> flush() {
    while (sent_ < buf_.size()) sent_ += co_await stream_->write_some(std::string_view(buf_).substr(sent_));
    buf_.clear();
    sent_ = 0;
  }

  // Bytes written but not sent yet.
  size_t buffered_size() const noexcept { return buf_.size() - sent_; }

 private:
  tcp_stream* stream_;
  size_t capacity_;
  std::string buf_;
  size_t sent_ = 0;  // buf_'s first bytes already sent by a flush that did not finish
};

}  // namespace tau
