"""An existing Asio program run as a plugin: a source that defines main and no
plugin_init is built with tau's program adapter; main runs on a thread of its own
(its io_context::run() parks there) while every handler runs on the loop."""
import pathlib
import select
import signal
import socket
import subprocess

import pytest

from live_tau import Running

ECHO = pathlib.Path("/usr/share/doc/libboost1.81-doc/examples/libs/asio/example/cpp11/echo")
SERVER = ECHO / "async_tcp_echo_server.cpp"
CLIENT = ECHO / "blocking_tcp_echo_client.cpp"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=300):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server ended"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


def run_client(tau, env, port, stdin="hello\n"):
    return subprocess.run([str(tau.binary), "--plugin", str(CLIENT), "--", "127.0.0.1", str(port)], input=stdin,
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def built(tau, env):
    """The two Boost examples, built once for the module (unmodified, from libboost1.81-doc)."""
    for source in (SERVER, CLIENT):
        assert source.exists(), f"{source}: install libboost1.81-doc"
        tau.build_plugin(source, env)


def test_echo_server_and_client_in_two_taus(tau, env, built):
    port = free_port()
    server = Running(tau, env, SERVER, options=("--", port))
    try:
        wait_for_port(port, server.proc)
        client = run_client(tau, env, port)
        assert client.returncode == 0, client.stderr
        assert client.stdout == "Enter message: Reply is: hello\n"
    finally:
        code = server.stop()
    assert code == 130, "\n".join(server.lines["stderr"])


def test_echo_server_and_client_in_one_tau(tau, env, built):
    """Both on one loop; the client reads tau's stdin. The client starts once the
    server's main has parked in run() (so it listens). The server's main never
    returns (its run() serves until stopped): tau runs until SIGTERM."""
    port = free_port()
    proc = subprocess.Popen([str(tau.binary), "--plugin", str(SERVER), "--args", str(port), "--plugin", str(CLIENT),
                             "--args", f"127.0.0.1 {port}", "--stdin", "blocking_tcp_echo_client"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        proc.stdin.write("hello\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        assert ready, "no reply within 120 s"
        assert proc.stdout.readline() == "Enter message: Reply is: hello\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "failed" not in err, err


def test_a_main_returning_3_makes_tau_exit_3(tau, env, tmp_path):
    source = tmp_path / "three.cpp"
    source.write_text('#include <cstdio>\nint main() { std::puts("about to return 3"); return 3; }\n')
    r = tau.run("--plugin", source, env=env, timeout=300)
    assert r.returncode == 3, r.stderr
    assert r.stdout == "about to return 3\n"
    assert f"tau: plugin '{source}': task 1 failed: main returned 3" in r.stderr.splitlines()


def test_with_a_plugin_a_failing_program_gives_the_usual_status(tau, env, tmp_path):
    source = tmp_path / "three.cpp"
    source.write_text("int main() { return 3; }\n")
    r = tau.run("--plugin", source, "--plugin", tau.plugin("hello"), env=env, timeout=300)
    assert r.returncode == 1, r.stderr
    assert f"tau: plugin '{source}': task 1 failed: main returned 3" in r.stderr.splitlines()


ARGV_PRINTER = r"""
#include <cstdio>
int main(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) std::printf("[%s]", argv[i]);
  std::printf("\n");
}
"""


def test_arguments_after_the_double_dash_and_in_args(tau, env, tmp_path):
    source = tmp_path / "show_args.cpp"
    source.write_text(ARGV_PRINTER)
    r = tau.run("--plugin", source, "--", "one", "two words", "--three", env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "[show_args][one][two words][--three]\n"
    r = tau.run("--plugin", source, "--args", """a 'b c' "d \\"e\\"" f\\ g ''""", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == '[show_args][a][b c][d "e"][f g][]\n'


CIN_READER = r"""
#include <iostream>
#include <string>
int main() {
  std::string line;
  if (std::getline(std::cin, line)) std::cout << NAME ": read " << line << std::endl;
  else std::cout << NAME ": end of file" << std::endl;
}
"""


def test_only_the_program_named_by_stdin_reads_it(tau, env, tmp_path):
    first, second = tmp_path / "first.cpp", tmp_path / "second.cpp"
    first.write_text('#define NAME "first"\n' + CIN_READER)
    second.write_text('#define NAME "second"\n' + CIN_READER)
    args = [str(tau.binary), "--plugin", str(first), "--plugin", str(second)]
    r = subprocess.run(args + ["--stdin", "second"], input="typed\n", capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.splitlines()) == ["first: end of file", "second: read typed"]
    # Without --stdin, two programs: neither reads it.
    r = subprocess.run(args, input="typed\n", capture_output=True, text=True, env=env, timeout=300)
    assert sorted(r.stdout.splitlines()) == ["first: end of file", "second: end of file"]
    # One program alone reads it.
    r = subprocess.run(args[:3], input="typed\n", capture_output=True, text=True, env=env, timeout=300)
    assert r.stdout == "first: read typed\n"


def test_a_source_with_both_main_and_plugin_init_runs_as_a_plugin(tau, env, tmp_path):
    source = tmp_path / "both.cpp"
    source.write_text("""
#include <tau/plugin.h>
#include <cstdio>
int main() { std::puts("main ran"); return 0; }
static tau_task_id process(const uint8_t*, size_t) { std::puts("plugin ran"); return 0; }
extern "C" int plugin_init(PluginHooks* hooks) { hooks->process = process; return 0; }
""")
    r = tau.run("--plugin", source, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "plugin ran\n"
    assert f"tau: plugin '{source}' defines both plugin_init and main: it runs as a plugin (its plugin_init); " \
           "main is not called" in r.stderr.splitlines()


def test_every_handler_of_a_program_runs_on_the_loop_thread(tau, env, tmp_path):
    """main on its own thread, its run() parked; the handlers on the loop."""
    source = tmp_path / "where.cpp"
    source.write_text("""
#include <boost/asio.hpp>
#include <tau/tau.h>
#include <cstdio>
int main() {
  boost::asio::io_context io;
  boost::asio::steady_timer timer(io, std::chrono::milliseconds(10));
  int on_loop = -1;
  timer.async_wait([&](boost::system::error_code) { on_loop = tau_on_loop_thread(); });
  std::printf("main on the loop thread: %d\\n", tau_on_loop_thread());
  io.run();
  std::printf("handler on the loop thread: %d\\n", on_loop);
  return on_loop == 1 ? 0 : 5;
}
""")
    r = tau.run("--plugin", source, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "main on the loop thread: 0\nhandler on the loop thread: 1\n"


def test_a_cmake_project_with_one_executable_is_a_program(tau, env, tmp_path):
    """Its executable's sources, definitions and include directories make the plugin."""
    project = tmp_path / "greeter"
    (project / "src").mkdir(parents=True)
    (project / "include").mkdir()
    (project / "CMakeLists.txt").write_text("""
cmake_minimum_required(VERSION 3.25)
project(greeter CXX)
add_executable(greeter src/main.cpp)
target_compile_definitions(greeter PRIVATE GREETING="hello from a CMake program")
target_include_directories(greeter PRIVATE include)
""")
    (project / "include" / "suffix.h").write_text('#define SUFFIX "!"\n')
    (project / "src" / "main.cpp").write_text("""
#include <cstdio>
#include "suffix.h"
int main(int argc, char** argv) { std::printf("%s%s [%s] %d\\n", GREETING, SUFFIX, argv[0], argc - 1); }
""")
    r = tau.run("--plugin", project, "--", "a", "b", env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello from a CMake program! [greeter] 2\n"


INTERLEAVER = r"""
#include <iostream>
int main() {
  // Each line in many pieces; the other program writes at the same time.
  for (int i = 0; i < 4000; ++i) {
    std::cout << NAME << ' ';
    for (int j = 0; j < 20; ++j) std::cout << j;
    std::cout << ' ' << i << '\n';
  }
}
"""


def test_lines_of_programs_running_side_by_side_never_mix(tau, env, tmp_path):
    """Each program's std::cout writes whole lines (within one program, its own
    threads share one stream, as with any std::cout)."""
    first, second = tmp_path / "first.cpp", tmp_path / "second.cpp"
    first.write_text('#define NAME "first"\n' + INTERLEAVER)
    second.write_text('#define NAME "second"\n' + INTERLEAVER)
    r = tau.run("--plugin", first, "--plugin", second, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    pieces = "".join(str(j) for j in range(20))
    lines = r.stdout.splitlines()
    assert len(lines) == 8000
    bad = [line for line in lines if line.split(" ")[:2] not in (["first", pieces], ["second", pieces])]
    assert bad == [], bad[:5]
    for name in ("first", "second"):
        assert [int(line.split(" ")[2]) for line in lines if line.startswith(name)] == list(range(4000))
