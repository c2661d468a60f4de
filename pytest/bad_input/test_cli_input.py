"""Catalogue: bad command lines and input files."""

EXIT_USAGE = 2


def test_no_plugin_is_a_usage_error(tau, assert_left_clean):
    r = tau.run()
    assert r.returncode == EXIT_USAGE
    assert r.stderr == "tau: no plugin given; use --plugin PATH (see --help)\n"
    assert_left_clean()


def test_unknown_option_is_a_usage_error(tau, assert_left_clean):
    r = tau.run("--bogus")
    assert r.returncode == EXIT_USAGE
    assert "--bogus" in r.stderr.splitlines()[0]
    assert_left_clean()


def test_missing_input_file(tau, tmp_path, assert_left_clean):
    missing = tmp_path / "missing"
    r = tau.run("--plugin", tau.plugin("hello"), "--input-file", missing)
    assert r.returncode == EXIT_USAGE
    assert r.stdout == ""
    assert r.stderr == f"tau: cannot read input file '{missing}': No such file or directory\n"
    assert_left_clean()


def test_input_file_is_a_directory(tau, tmp_path, assert_left_clean):
    r = tau.run("--plugin", tau.plugin("hello"), "--input-file", tmp_path)
    assert r.returncode == EXIT_USAGE
    assert r.stdout == ""
    assert r.stderr == f"tau: cannot read input file '{tmp_path}': is a directory\n"
    assert_left_clean()


def test_a_100_mb_input(tau, env, tmp_path, assert_left_clean):
    # Through --input-file: the kernel refuses a single argument over 128 KiB, so a
    # 100 MB --input never reaches tau (exec fails with E2BIG).
    data = bytes(range(256)) * (100 * 1024 * 1024 // 256)
    big = tmp_path / "big.bin"
    big.write_bytes(data)
    source = tmp_path / "input_digest.cpp"
    source.write_text("""
#include <tau/plugin.h>
#include <cstdio>
static tau_task_id process(const uint8_t* input, size_t size) {
  unsigned long long sum = 0;
  for (size_t i = 0; i < size; ++i) sum = sum * 31 + input[i];
  std::printf("%zu bytes, sum %llx\\n", size, sum);
  return 0;
}
extern "C" int plugin_init(PluginHooks* hooks) { hooks->process = process; return 0; }
""")
    r = tau.run("--plugin", source, "--input-file", big, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    expected = 0
    for byte in data[:0]:
        expected = expected * 31 + byte
    mask = (1 << 64) - 1
    # The same sum over 100 MB in Python is slow; the data repeats every 256 bytes,
    # so fold one period and repeat it.
    period_mul, period_add = 1, 0
    for byte in range(256):
        period_mul = period_mul * 31 & mask
        period_add = (period_add * 31 + byte) & mask
    for _ in range(len(data) // 256):
        expected = (expected * period_mul + period_add) & mask
    assert r.stdout == f"{len(data)} bytes, sum {expected:x}\n"
    assert_left_clean()
