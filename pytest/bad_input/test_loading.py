"""Catalogue: plugins that cannot be loaded, or whose code misbehaves while it loads,
runs or unloads. Each case: the message, the exit code, and nothing left behind."""
import os
import socket

import pytest

EXIT_PLUGIN_FAILED = 1
EXIT_USAGE = 2
EXIT_LOAD_FAILED = 3


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line of reason, got: {stderr!r}"
    return lines[0]


def plugin_source(tmp_path, name: str, code: str):
    source = tmp_path / name
    source.write_text("#include <tau/plugin.h>\n#include <tau/tau.h>\n#include <cstdio>\n" + code)
    return source


def test_missing_file(tau, tmp_path, assert_left_clean):
    path = tmp_path / "nope.so"
    r = tau.run("--plugin", path)
    assert r.returncode == EXIT_LOAD_FAILED
    assert one_line(r.stderr) == f"tau: plugin '{path}': cannot open: No such file or directory"
    assert_left_clean()


def test_not_an_elf_file(tau, tmp_path, assert_left_clean):
    path = tmp_path / "text.so"
    path.write_text("this is not a shared object\n")
    r = tau.run("--plugin", path)
    assert r.returncode == EXIT_LOAD_FAILED
    assert one_line(r.stderr) == f"tau: plugin '{path}': not an ELF shared object"
    assert_left_clean()


def test_elf_executable_is_not_a_plugin(tau, assert_left_clean):
    r = tau.run("--plugin", tau.binary)
    assert r.returncode == EXIT_LOAD_FAILED
    assert one_line(r.stderr) == (f"tau: plugin '{tau.binary}': an ELF file, but not a shared library "
                                  "(build it as a MODULE or SHARED library)")
    assert_left_clean()


def test_symlink_loop(tau, tmp_path, assert_left_clean):
    a, b = tmp_path / "a.so", tmp_path / "b.so"
    a.symlink_to(b)
    b.symlink_to(a)
    r = tau.run("--plugin", a)
    assert r.returncode == EXIT_LOAD_FAILED
    assert one_line(r.stderr) == f"tau: plugin '{a}': cannot open: Too many levels of symbolic links"
    assert_left_clean()


def test_plugin_named_twice(tau, tmp_path, assert_left_clean):
    # Through a symlink too: one file, whatever it is called.
    hello = tau.plugin("hello")
    alias = tmp_path / "alias.so"
    alias.symlink_to(hello)
    for second in (hello, alias):
        r = tau.run("--plugin", hello, "--plugin", second)
        assert r.returncode == EXIT_USAGE
        assert r.stdout == ""
        assert one_line(r.stderr) == (f"tau: plugin '{second}' is the same file as plugin '{hello}': "
                                      "a plugin is loaded once (give it one --plugin)")
    assert_left_clean()


def test_path_with_quotes_and_spaces(tau, env, tmp_path, assert_left_clean):
    folder = tmp_path / "it's a \"plugin\" dir"
    folder.mkdir()
    source = plugin_source(folder, "my 'quoted' \"plugin\".cpp", """
static tau_task_id process(const uint8_t*, size_t) { std::puts("quoted plugin ran"); return 0; }
extern "C" int plugin_init(PluginHooks* hooks) { hooks->process = process; return 0; }
""")
    r = tau.run_plugins(env, source)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "quoted plugin ran\n"
    assert_left_clean()


def test_library_without_plugin_init(tau, assert_left_clean):
    path = tau.test_plugin("no_init")
    r = tau.run("--plugin", path)
    assert r.returncode == EXIT_LOAD_FAILED
    assert one_line(r.stderr) == (f"tau: plugin '{path}': does not export plugin_init "
                                  "(define extern \"C\" int plugin_init(PluginHooks*), declared in <tau/plugin.h>)")
    assert_left_clean()


def test_plugin_init_returning_nonzero(tau, assert_left_clean):
    path = tau.test_plugin("init_fails")
    r = tau.run("--plugin", path)
    assert r.returncode == EXIT_LOAD_FAILED
    assert one_line(r.stderr) == f"tau: plugin '{path}': plugin_init failed with code 7"
    assert_left_clean()


def test_plugin_init_that_throws(tau, env, tmp_path, assert_left_clean):
    source = plugin_source(tmp_path, "init_throws.cpp", """
#include <stdexcept>
extern "C" int plugin_init(PluginHooks*) { throw std::runtime_error("no config"); }
""")
    r = tau.run_plugins(env, source, tau.plugin("hello"))
    assert r.returncode == EXIT_LOAD_FAILED
    assert r.stdout == "Hello from plugin!\n"  # the others still run
    assert r.stderr.splitlines()[-2:] == [f"tau: plugin '{source}': plugin_init threw: no config",
                                          f"tau: plugin '{source}': plugin_init threw an exception"]
    assert_left_clean()


def test_process_hook_left_null(tau, env, tmp_path, assert_left_clean):
    source = plugin_source(tmp_path, "no_process.cpp", """
extern "C" int plugin_init(PluginHooks*) { return 0; }
""")
    r = tau.run_plugins(env, source)
    assert r.returncode == EXIT_LOAD_FAILED
    assert r.stderr.splitlines()[-1] == f"tau: plugin '{source}': plugin_init did not set hooks->process"
    assert_left_clean()


def test_a_refused_plugin_stays_mapped_for_what_its_init_started(tau, env, tmp_path, assert_left_clean):
    # plugin_init starts a timer, then refuses: the timer still fires (into code
    # that must still be mapped), and tau reports the refusal with exit 3.
    source = plugin_source(tmp_path, "refuses_after_starting.cpp", """
static tau_timer_t* timer;
static void on_timer(void*) { std::printf("timer of the refused plugin fired\\n"); std::fflush(stdout); }
extern "C" int plugin_init(PluginHooks*) { tau_timer_start(&timer, 20, 0, on_timer, nullptr); return 7; }
""")
    tau.build_plugin(source, env)
    r = tau.run_plugins(env, source, tau.plugin("hello"))
    assert r.returncode == EXIT_LOAD_FAILED, r.stderr
    assert r.stdout == "timer of the refused plugin fired\nHello from plugin!\n"
    assert one_line(r.stderr) == f"tau: plugin '{source}': plugin_init failed with code 7"
    assert_left_clean()


def test_a_throwing_destroy_of_a_refused_plugin_is_reported(tau, env, tmp_path, assert_left_clean):
    source = plugin_source(tmp_path, "refused_destroy_throws.cpp", """
#include <stdexcept>
extern "C" int plugin_init(PluginHooks*) { return 0; }  // sets no process hook
extern "C" void plugin_destroy() { throw std::runtime_error("destroy failed"); }
""")
    tau.build_plugin(source, env)
    r = tau.run_plugins(env, source)
    assert r.returncode == EXIT_LOAD_FAILED, r.stderr
    assert r.stderr.splitlines() == [f"tau: plugin '{source}': plugin_destroy threw: destroy failed",
                                     f"tau: plugin '{source}': plugin_init did not set hooks->process"]
    assert_left_clean()


def test_plugin_destroy_that_throws(tau, env, tmp_path, assert_left_clean):
    source = plugin_source(tmp_path, "destroy_throws.cpp", """
#include <stdexcept>
static tau_task_id process(const uint8_t*, size_t) { std::puts("processed"); return 0; }
extern "C" int plugin_init(PluginHooks* hooks) { hooks->process = process; return 0; }
extern "C" void plugin_destroy() { throw std::runtime_error("cannot flush"); }
""")
    tau.build_plugin(source, env)
    r = tau.run_plugins(env, source, tau.plugin("hello"))
    assert r.returncode == EXIT_PLUGIN_FAILED
    assert r.stdout == "processed\nHello from plugin!\n"
    assert one_line(r.stderr) == f"tau: plugin '{source}': plugin_destroy threw: cannot flush"
    assert_left_clean()


def test_task_that_throws_fails_its_plugin_not_the_host(tau, assert_left_clean):
    path = tau.test_plugin("task_throws")
    r = tau.run("--plugin", path)
    assert r.returncode == EXIT_PLUGIN_FAILED
    line = one_line(r.stderr)
    assert line.startswith(f"tau: plugin '{path}': task ")
    assert line.endswith("failed: std::runtime_error: deliberate failure in task")
    assert_left_clean()


def test_task_that_can_never_finish_is_reported(tau, assert_left_clean):
    path = tau.test_plugin("task_stalls")
    r = tau.run("--plugin", path)
    assert r.returncode == EXIT_PLUGIN_FAILED
    line = one_line(r.stderr)
    assert line.startswith(f"tau: plugin '{path}': task ")
    assert line.endswith("never finished: nothing left on the loop could wake it")
    assert_left_clean()


def test_a_million_tasks(tau, env, tmp_path, assert_left_clean):
    source = plugin_source(tmp_path, "million_tasks.cpp", """
static size_t ran = 0;
static void bump(void*) { ++ran; }
static void report(void*) { std::printf("ran %zu tasks\\n", ran); }
static tau_task_id process(const uint8_t*, size_t) {
  for (int i = 0; i < 1000000; ++i) tau_task_detach(tau_spawn(bump, nullptr), 0);
  return tau_spawn(report, nullptr);
}
extern "C" int plugin_init(PluginHooks* hooks) { hooks->process = process; return 0; }
""")
    r = tau.run_plugins(env, source)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ran 1000000 tasks\n"
    assert_left_clean()


def test_a_leaked_socket(tau, env, tmp_path, assert_left_clean):
    # The plugin watches a listening socket, stops asking for events once its task
    # ends (so the watch no longer keeps the loop alive), and never stops the watch
    # or closes the socket: tau ends normally and says what was left open.
    source = plugin_source(tmp_path, "leaks_socket.cpp", """
#include <netinet/in.h>
#include <sys/socket.h>
static tau_poll_t* watch;
static void on_ready(void*, int, int) {}
static void forget(void*) { tau_poll_update(watch, 0); std::puts("task done, socket leaked"); }
static tau_task_id process(const uint8_t*, size_t) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 1) != 0) return 0;
  if (tau_poll_start(&watch, fd, TAU_READABLE, on_ready, nullptr) != 0) return 0;
  return tau_spawn(forget, nullptr);
}
extern "C" int plugin_init(PluginHooks* hooks) { hooks->process = process; return 0; }
""")
    tau.build_plugin(source, env)
    r = tau.run_plugins(env, source)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "task done, socket leaked\n"
    assert one_line(r.stderr) == (f"tau: plugin '{source}' left 1 descriptor watch open after plugin_destroy "
                                  "(a leaked socket?); tau closes the watch, not the descriptor")
    assert_left_clean()
