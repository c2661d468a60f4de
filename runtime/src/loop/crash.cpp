// crash.cpp: one line on stderr when plugin code crashes or calls exit(), naming the
// plugin and what it ran. Everything the signal handler reads is in fixed tables
// filled in advance; the handler itself only reads them and calls write(2).
#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime.hpp"

using namespace tau::detail;

namespace {

constexpr size_t max_owners = 256;
constexpr size_t max_name = 256;
constexpr size_t signal_stack_size = 64 * 1024;
constexpr int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

// An owner's name, and the address span of its library's loaded segments (empty
// while it has none).
struct owner_record {
  owner_id owner;
  char name[max_name];
  std::atomic<uintptr_t> code_begin;
  std::atomic<uintptr_t> code_end;
};

// Append-only: an entry is complete before the count that covers it is published.
// After runtime_close owner ids start again; the newest record of an id wins.
// Shared with the watchdog process, which names the plugins loaded after its fork.
struct owner_table {
  owner_record owners[max_owners];
  std::atomic<size_t> count{0};
};
owner_table& g_owner_table = *new (memory_shared_with_watchdog(sizeof(owner_table))) owner_table{};
owner_record* const g_owners = g_owner_table.owners;
std::atomic<size_t>& g_owner_count = g_owner_table.count;

// The handlers that were there before ours (SIG_DFL, or AddressSanitizer's).
struct sigaction g_previous[NSIG];
// One line per process: a crash that follows (ASan's abort after the report it
// made of the first) is not reported again.
std::atomic<bool> g_crash_reported{false};

owner_record* find_record(owner_id owner) {
  for (size_t i = g_owner_count.load(std::memory_order_acquire); i-- > 0;)
    if (g_owners[i].owner == owner) return &g_owners[i];
  return nullptr;
}

uintptr_t faulting_pc(void* context) {
  auto* uc = static_cast<ucontext_t*>(context);
#if defined(__x86_64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.pc);
#else
  (void)uc;
  return 0;
#endif
}

void report_crash(int signum, void* context) {
  running_code code = current_code();
  owner_id plugin = owner_at_address(faulting_pc(context));
  if (plugin == host_owner) plugin = code.owner;
  report_line line;
  line << "tau: ";
  if (plugin == host_owner) {
    line << "crashed with ";
    line.signal(signum) << " in the host";
  } else {
    line.plugin(plugin) << " crashed with ";
    line.signal(signum);
    if (code.what == nullptr) {
      line << " outside any tau callback (on a thread of its own?)";
    } else if (code.owner == plugin) {
      line << " in ";
      line.code(code.what);
    } else if (code.owner == host_owner) {
      line << " called from the host";
    } else {
      line << " in ";
      line.code(code.what, false) << " of ";
      line.plugin(code.owner);
    }
  }
  line.write();
}

void on_crash(int signum, siginfo_t* info, void* context) {
  int saved_errno = errno;
  if (!g_crash_reported.exchange(true)) report_crash(signum, context);
  // SA_RESETHAND put back the default action; the handler that was there before
  // ours (AddressSanitizer's) gets the signal instead, if there was one.
  sigaction(signum, &g_previous[signum], nullptr);
  // A fault repeats when the instruction runs again on return; a signal that was
  // sent (abort(), kill) is raised again, and stays blocked until we return.
  if (info->si_code <= 0) raise(signum);
  errno = saved_errno;
}

void on_exit_called() {
  running_code code = current_code();
  if (code.what == nullptr || code.owner == host_owner) return;  // the host's own exit
  report_line line;
  line << "tau: ";
  line.plugin(code.owner) << " called exit() in ";
  line.code(code.what) << "; tau ends with the status it passed";
  line.write();
}

struct library_span {
  const link_map* map;
  uintptr_t begin = UINTPTR_MAX;
  uintptr_t end = 0;
};

int find_library_span(dl_phdr_info* info, size_t, void* data) {
  auto* span = static_cast<library_span*>(data);
  if (info->dlpi_addr != span->map->l_addr || std::strcmp(info->dlpi_name, span->map->l_name) != 0) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD) continue;
    uintptr_t start = info->dlpi_addr + segment.p_vaddr;
    if (start < span->begin) span->begin = start;
    if (start + segment.p_memsz > span->end) span->end = start + segment.p_memsz;
  }
  return 1;
}

bool is_hook(const char* what) {
  return std::strcmp(what, "process") == 0 || std::strcmp(what, "plugin_init") == 0 ||
         std::strcmp(what, "plugin_destroy") == 0;
}

}  // namespace

namespace tau::detail {

void install_crash_reports() {
  static alternate_signal_stack loop_thread_stack;
  for (int signum : crash_signals) {
    struct sigaction action{};
    action.sa_sigaction = on_crash;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    sigaction(signum, &action, &g_previous[signum]);
  }
  std::atexit(on_exit_called);
}

alternate_signal_stack::alternate_signal_stack() {
  stack_t current{};
  if (sigaltstack(nullptr, &current) != 0 || (current.ss_flags & SS_DISABLE) == 0) return;
  void* memory = mmap(nullptr, signal_stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return;
  stack_t stack{};
  stack.ss_sp = memory;
  stack.ss_size = signal_stack_size;
  if (sigaltstack(&stack, nullptr) != 0) {
    munmap(memory, signal_stack_size);
    return;
  }
  stack_ = memory;
}

alternate_signal_stack::~alternate_signal_stack() {
  if (stack_ == nullptr) return;
  stack_t current{};
  if (sigaltstack(nullptr, &current) == 0 && current.ss_sp == stack_) {
    stack_t disable{};
    disable.ss_flags = SS_DISABLE;
    sigaltstack(&disable, nullptr);
  }
  munmap(stack_, signal_stack_size);
}

void record_owner_name(owner_id owner, const std::string& name) {
  size_t index = g_owner_count.load(std::memory_order_relaxed);
  if (index == max_owners) return;  // reports then give its number instead
  owner_record& record = g_owners[index];
  record.owner = owner;
  std::strncpy(record.name, name.c_str(), max_name - 1);
  record.name[max_name - 1] = '\0';
  record.code_begin.store(0, std::memory_order_relaxed);
  record.code_end.store(0, std::memory_order_relaxed);
  g_owner_count.store(index + 1, std::memory_order_release);
}

void record_plugin_library(owner_id owner, void* library) {
  owner_record* record = find_record(owner);
  link_map* map = nullptr;
  if (record == nullptr || dlinfo(library, RTLD_DI_LINKMAP, &map) != 0) return;
  library_span span{map};
  if (dl_iterate_phdr(find_library_span, &span) == 0 || span.end == 0) return;
  record->code_begin.store(span.begin, std::memory_order_relaxed);
  record->code_end.store(span.end, std::memory_order_relaxed);
}

void forget_plugin_library(owner_id owner) {
  if (owner_record* record = find_record(owner)) {
    record->code_begin.store(0, std::memory_order_relaxed);
    record->code_end.store(0, std::memory_order_relaxed);
  }
}

owner_id owner_at_address(uintptr_t address) {
  for (size_t i = g_owner_count.load(std::memory_order_acquire); i-- > 0;) {
    const owner_record& record = g_owners[i];
    if (address >= record.code_begin.load(std::memory_order_relaxed) &&
        address < record.code_end.load(std::memory_order_relaxed))
      return record.owner;
  }
  return host_owner;
}

report_line& report_line::operator<<(const char* text) {
  size_t length = std::strlen(text);
  if (length > sizeof text_ - size_) length = sizeof text_ - size_;
  std::memcpy(text_ + size_, text, length);
  size_ += length;
  return *this;
}

report_line& report_line::plugin(owner_id owner) {
  if (const owner_record* record = find_record(owner)) return *this << "plugin '" << record->name << "'";
  // No name recorded (the table is full): its number, written without snprintf.
  char digits[16];
  char* end = digits + sizeof digits;
  char* p = end;
  *--p = '\0';
  do *--p = char('0' + owner % 10);
  while ((owner /= 10) != 0);
  return *this << "plugin #" << p;
}

report_line& report_line::code(const char* what, bool own) {
  if (is_hook(what)) return *this << (own ? "its " : "the ") << what << " hook";
  return *this << "a " << what;
}

report_line& report_line::signal(int signum) {
  const char* abbreviation = sigabbrev_np(signum);
  const char* description = sigdescr_np(signum);
  if (abbreviation == nullptr) return *this << "signal";
  *this << "SIG" << abbreviation;
  if (description != nullptr) *this << " (" << description << ")";
  return *this;
}

void report_line::write() {
  if (size_ == sizeof text_) --size_;
  text_[size_++] = '\n';
  for (size_t written = 0; written < size_;) {
    ssize_t n = ::write(STDERR_FILENO, text_ + written, size_ - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    written += size_t(n);
  }
}

}  // namespace tau::detail
