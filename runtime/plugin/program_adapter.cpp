// program_adapter.cpp: makes a program (a source that defines main and no
// plugin_init) a tau plugin. tau's plugin compiler links it into every single-file
// plugin, and into a CMake project's program target (tau_program). A plugin that
// defines its own plugin_init keeps it: this file's is weak, and the host tells the
// two apart from the library's symbols (plugin_init at tau_program_plugin_init's
// address) without running any of its code.
//
// The process hook gets, NUL-separated, "stdin" when this program reads tau's stdin
// (else "-"), then the program's argv: argv[0] its name, then the arguments tau was
// given for it (after `--`, or --args). main runs on a thread
// of the plugin's own (tau_thread_spawn): its io_context::run() parks that thread
// while the handlers run on the loop, and its blocking calls block only that thread.
// process returns a task that completes when main returns; a non-zero status or an
// exception fails it. tau_program_exit tells tau the status and ends the plugin's
// work (threads it left parked in run() wake up).
#include <dlfcn.h>
#include <tau/plugin.h>
#include <tau/tau.h>

#include <cstdio>
#include <exception>
#include <istream>
#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

// The program's main, if the plugin has one. Hidden: a plugin without a main gets
// null here, never the host's.
int main(int argc, char** argv) __attribute__((weak, visibility("hidden")));

namespace {

// Writes to a stdio stream a whole line at a time (one fwrite, under the stream's
// lock), so that lines of programs running side by side never mix; what is left
// without a newline goes out on a flush. The program's threads and its handlers on
// the loop thread may write at once.
class line_buffer : public std::streambuf {
 public:
  explicit line_buffer(FILE* out) : out_(out) {}
  ~line_buffer() override { sync(); }

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    char ch = static_cast<char>(c);
    xsputn(&ch, 1);
    return c;
  }
  std::streamsize xsputn(const char* data, std::streamsize n) override {
    std::lock_guard lock(mutex_);
    pending_.append(data, static_cast<size_t>(n));
    if (size_t end = pending_.rfind('\n'); end != std::string::npos) {
      std::fwrite(pending_.data(), 1, end + 1, out_);
      std::fflush(out_);
      pending_.erase(0, end + 1);
    }
    return n;
  }
  int sync() override {
    std::lock_guard lock(mutex_);
    std::fwrite(pending_.data(), 1, pending_.size(), out_);
    pending_.clear();
    return std::fflush(out_) == 0 ? 0 : -1;
  }

 private:
  FILE* out_;
  std::mutex mutex_;
  std::string pending_;
};

struct end_of_file : std::streambuf {
};

line_buffer out_lines(stdout), err_lines(stderr);
end_of_file no_input;

// The buffer of one of the process's standard streams (<iostream> would declare
// this plugin's own anew).
template <class Stream>
std::streambuf* process_buffer(const char* symbol) {
  auto* stream = static_cast<Stream*>(dlsym(RTLD_DEFAULT, symbol));
  return stream != nullptr ? stream->rdbuf() : nullptr;
}

}  // namespace

// The plugin's own standard streams. Hidden, so the plugin's references to std::cin,
// std::cout, std::cerr and std::clog bind to them. They pass through to the
// process's streams, until the plugin runs as a program (connect_streams).
namespace std {
__attribute__((visibility("hidden"))) istream cin(process_buffer<istream>("_ZSt3cin"));
__attribute__((visibility("hidden"))) ostream cout(process_buffer<ostream>("_ZSt4cout"));
__attribute__((visibility("hidden"))) ostream cerr(process_buffer<ostream>("_ZSt4cerr"));
__attribute__((visibility("hidden"))) ostream clog(process_buffer<ostream>("_ZSt4clog"));
}  // namespace std

namespace {

[[maybe_unused]] const bool streams_tied = [] {
  std::cin.tie(&std::cout);
  std::cerr.tie(&std::cout);
  std::cerr.setf(std::ios::unitbuf);
  return true;
}();

// A program's streams: std::cin reads tau's stdin only in the one program that owns
// it (end-of-file in the others), and the output streams write whole lines. (C
// stdio, a line per call, and read(0) and write(1) reach the process's streams as
// they are.)
void connect_streams(bool owns_stdin) {
  if (!owns_stdin) std::cin.rdbuf(&no_input);
  std::cout.rdbuf(&out_lines);
  std::cerr.rdbuf(&err_lines);
  std::cerr.unsetf(std::ios::unitbuf);  // a line at a time, not a piece
  std::clog.rdbuf(&err_lines);
}

// What plugin_init answers for a library with neither main nor plugin_init (the host
// refuses it before loading when the symbol table says so).
constexpr int no_main = 127;

struct program {
  std::vector<std::string> args;
  std::vector<char*> argv;
  tau_task_id task = 0;
  int status = 0;
  std::string failure;  // empty when main returned 0

  void run() {
    try {
      status = main(static_cast<int>(args.size()), argv.data());
      if (status != 0) failure = "main returned " + std::to_string(status);
    } catch (const std::exception& e) {
      status = 1;
      failure = std::string("main threw: ") + e.what();
    } catch (...) {
      status = 1;
      failure = "main threw a non-standard exception";
    }
    std::cout.flush();
    std::cerr.flush();
  }

  static void on_thread(void* ctx) {
    auto* p = static_cast<program*>(ctx);
    p->run();
    tau_program_exit(p->status);
  }

  static void on_joined(void* ctx, int) {
    auto* p = static_cast<program*>(ctx);
    tau_task_complete(p->task, p->failure.empty() ? TAU_TASK_OK : TAU_TASK_FAILED, p->failure.c_str());
    delete p;
  }
};

tau_task_id process(const uint8_t* data, size_t len) {
  auto* p = new program;
  std::string all(reinterpret_cast<const char*>(data), len);
  for (size_t start = 0; start <= all.size();) {
    size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    p->args.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  connect_streams(p->args.front() == "stdin");
  p->args.erase(p->args.begin());
  if (p->args.empty()) p->args.push_back("program");
  for (std::string& a : p->args) p->argv.push_back(a.data());
  p->argv.push_back(nullptr);
  tau_task_id task = p->task = tau_task_new(nullptr, nullptr);
  if (int rc = tau_thread_spawn(&program::on_thread, &program::on_joined, p); rc != 0) {
    tau_task_complete(task, TAU_TASK_FAILED, (std::string("cannot start main's thread: ") + tau_strerror(rc)).c_str());
    delete p;
  }
  return task;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int tau_program_plugin_init(PluginHooks* hooks) {
  if (main == nullptr) return no_main;
  // Programs write with std::cout and printf: whole lines reach the terminal as
  // they come, and are not lost when tau is stopped while main runs.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  hooks->process = process;
  return 0;
}

extern "C" int plugin_init(PluginHooks* hooks) __attribute__((weak, alias("tau_program_plugin_init")));
