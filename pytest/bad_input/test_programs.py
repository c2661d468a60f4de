"""Catalogue: programs (a source with main and no plugin_init) given bad arguments,
and sources that are neither a plugin nor a program."""
import pytest

EXIT_USAGE = 2
EXIT_LOAD_FAILED = 3


@pytest.fixture
def program(tmp_path):
    source = tmp_path / "prog.cpp"
    source.write_text('#include <cstdio>\nint main() { std::puts("prog ran"); }\n')
    return source


def test_args_before_any_plugin(tau, env, program, assert_left_clean):
    r = tau.run("--args", "x", "--plugin", program, env=env)
    assert r.returncode == EXIT_USAGE
    assert r.stderr == 'tau: --args "x" comes before any --plugin; give it right after the program\'s --plugin\n'
    assert_left_clean()


def test_args_given_twice(tau, env, program, assert_left_clean):
    r = tau.run("--plugin", program, "--args", "x", "--args", "y", env=env)
    assert r.returncode == EXIT_USAGE
    assert r.stderr == f"tau: plugin '{program}' is given --args twice\n"
    assert_left_clean()


def test_args_and_double_dash_for_one_program(tau, env, program, assert_left_clean):
    r = tau.run("--plugin", program, "--args", "x", "--", "y", env=env)
    assert r.returncode == EXIT_USAGE
    assert r.stderr == f"tau: plugin '{program}' is given both --args and arguments after --\n"
    assert_left_clean()


def test_args_with_an_open_quote(tau, env, program, assert_left_clean):
    r = tau.run("--plugin", program, "--args", "a 'b", env=env)
    assert r.returncode == EXIT_USAGE
    assert r.stderr == "tau: --args \"a 'b\": a quote is not closed\n"
    assert_left_clean()


def test_arguments_for_a_plugin_that_is_not_a_program(tau, env, program, assert_left_clean):
    hello = tau.plugin("hello")
    r = tau.run("--plugin", program, "--plugin", hello, "--", "x", env=env, timeout=300)
    assert r.returncode == EXIT_USAGE
    assert r.stderr.splitlines()[-1] == (
        f"tau: plugin '{hello}' is not a program (it defines plugin_init): it takes --input, not arguments "
        "(--args, or after --); nothing is run")
    assert r.stdout == ""  # not even the program ran
    assert_left_clean()


def test_stdin_names_no_plugin(tau, env, program, assert_left_clean):
    r = tau.run("--plugin", program, "--stdin", "nope", env=env, timeout=300)
    assert r.returncode == EXIT_USAGE
    assert r.stderr.splitlines()[-1] == f"tau: --stdin nope: no plugin named 'nope' (plugins: {program}); nothing is run"
    assert r.stdout == ""
    assert_left_clean()


def test_stdin_names_a_plugin_that_is_not_a_program(tau, env, program, assert_left_clean):
    hello = tau.plugin("hello")
    r = tau.run("--plugin", program, "--plugin", hello, "--stdin", "hello", env=env, timeout=300)
    assert r.returncode == EXIT_USAGE
    assert r.stderr.splitlines()[-1] == (
        f"tau: --stdin hello: plugin '{hello}' is not a program (it defines plugin_init); nothing is run")
    assert_left_clean()


def test_source_with_neither_main_nor_plugin_init(tau, env, tmp_path, assert_left_clean):
    source = tmp_path / "nothing.cpp"
    source.write_text("int helper() { return 1; }\n")
    r = tau.run("--plugin", source, env=env, timeout=300)
    assert r.returncode == EXIT_LOAD_FAILED
    assert r.stderr.splitlines()[-1] == (
        f"tau: plugin '{source}': defines neither plugin_init nor main (a plugin defines extern \"C\" int "
        "plugin_init(PluginHooks*), declared in <tau/plugin.h>; a program defines main)")
    assert_left_clean()
