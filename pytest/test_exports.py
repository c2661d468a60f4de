"""The host exports the tau_* C ABI of tau.h, and nothing of its own besides."""
import pathlib
import re
import subprocess

REPO = pathlib.Path(__file__).resolve().parent.parent


def declared_functions():
    header = (REPO / "runtime" / "include" / "tau" / "tau.h").read_text()
    return set(re.findall(r"TAU_API\s+[^;(]*?\b(tau_\w+)\s*\(", header))


def dynamic_symbols(binary):
    out = subprocess.run(["nm", "-D", "--defined-only", str(binary)], capture_output=True, text=True,
                         check=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


def test_every_tau_h_function_is_exported(tau):
    declared = declared_functions()
    assert len(declared) > 25
    exported = set(dynamic_symbols(tau.binary))
    assert declared - exported == set()


def test_nothing_else_leaks(tau):
    # Besides tau_*, only objects that the linker copies into every executable from
    # the libraries it links may appear: versioned libc/libstdc++ data (stdout,
    # std::cout, vtables) and, in a sanitizer build, the sanitizer runtime's.
    others = [s for s in dynamic_symbols(tau.binary) if not s.startswith("tau_")]
    copied = ("__asan_", "__ubsan_", "__tsan_", "__sanitizer_")
    assert [s for s in others if "@GLIBC" not in s and not s.startswith(copied)] == []
    exported_tau = {s for s in dynamic_symbols(tau.binary) if s.startswith("tau_")}
    assert exported_tau == declared_functions()
