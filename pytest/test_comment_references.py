"""Comments name only what exists. Every repository file a comment of the sources
refers to (`tau/tau.h`, `net.hpp`, `runtime/src/loop/timer.cpp`, `timer.cpp:42`, a
folder such as `pytest/bad_input/`) must exist, and every `tau::name` and `tau_name`
it uses must be an identifier of the code. A file moved or a name changed without its
comments fails here, naming each stale reference."""
import functools
import io
import os
import pathlib
import re
import subprocess
import tokenize

REPO = pathlib.Path(__file__).resolve().parent.parent

# Headers outside the repository that comments name: the system's, and Asio's own
# (the shim's comments name them as Asio does, relative to boost/asio/).
SYSTEM_INCLUDE = [pathlib.Path("/usr/include"), pathlib.Path("/usr/include/boost/asio")]

# References that name no file of this repository on purpose.
ALLOWED = {
    "p.cpp": "the plugin source of the example command in cmake/tau.pc.in",
    "src/p.cpp": "an example source in an ABI stamp message",
    "src/server.cpp": "an example --plugin argument",
    "session.hpp": "libtorrent's, unpacked from its Debian source package",
    "pe_crypto.cpp": "libtorrent's, unpacked from its Debian source package",
    "reports/index.html": "the report the compatibility suite writes",
    "bench/results.json": "written by bench/run, git-ignored",
    "bench/results.svg": "written by bench/run, git-ignored",
}

CXX_SUFFIXES = (".h", ".hpp", ".cpp", ".ipp", ".c")
FILE_SUFFIXES = "h|hpp|cpp|ipp|c|py|cmake|md|map|in"
# A file name, maybe with folders before it and a line number after it. Not part of
# a longer path or word, a glob (`*.cpp`), a placeholder (`<feature>_test.cpp`) or a
# variable (`${name}.cpp`).
FILE_REF = re.compile(r"(?<![\w./*}>$-])((?:[\w.+-]+/)*[\w+-]+\.(?:%s))(?::(\d+))?(?![\w/-])" % FILE_SUFFIXES)
TAU_NAME = re.compile(r"\btau::((?:\w+::)*\w+)")
C_NAME = re.compile(r"\b(tau_\w+)")


def source_files(root):
    """The files of the tree at root, as git knows them (or, outside a git checkout,
    those outside build trees)."""
    try:
        listed = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True)
        names = listed.stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        names = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith((".", "build", "dist", "reports")) and d != "__pycache__"]
            names += [os.path.relpath(os.path.join(folder, f), root) for f in files]
    return sorted(n for n in names if (root / n).is_file() and not (root / n).is_symlink())


def split_cxx(text):
    """(comments as (line, text), code without comments) of C or C++ source."""
    comments, code = [], []
    i, line, n = 0, 1, len(text)
    while i < n:
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            comments.append((line, text[i + 2:end]))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end
            comments.append((line, text[i + 2:end]))
            line += text.count("\n", i, end)
            i = end + 2
        elif text[i] in "\"'":
            raw = re.match(r'R"([^(\s]{0,16})\(', text[i - 1:i + 20]) if text[i] == '"' and i > 0 else None
            if raw:
                end = text.find(")" + raw.group(1) + '"', i) + len(raw.group(1)) + 2
            else:
                end = i + 1
                while end < n and text[end] not in (text[i], "\n"):
                    end += 2 if text[end] == "\\" else 1
                end += 1
            code.append(text[i:end])
            line += text.count("\n", i, end)
            i = end
        else:
            if text[i] == "\n":
                line += 1
            code.append(text[i])
            i += 1
    return comments, "".join(code)


def split_python(text):
    comments, code = [], []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            comments.append((token.start[0], token.string[1:]))
        else:
            code.append(token.string)
    return comments, " ".join(code)


def split_hash(text):
    """CMake and shell: comments from a # at the start of a line or after a space."""
    comments, code = [], []
    for number, line in enumerate(text.splitlines(), 1):
        m = re.search(r"(?:^|\s)#(?!!)", line)
        if m:
            comments.append((number, line[m.end():]))
            line = line[:m.start()]
        code.append(line)
    return comments, "\n".join(code)


def split(name, text):
    if name.endswith(CXX_SUFFIXES):
        return split_cxx(text)
    first_line = text.split("\n", 1)[0]
    if name.endswith(".py") or (first_line.startswith("#!") and "python" in first_line):
        return split_python(text)
    shell = re.match(r"#!\S*(/| )(ba)?sh\b", text)
    if name.endswith((".cmake", ".cmake.in", ".pc.in", "CMakeLists.txt", ".sh")) or shell:
        return split_hash(text)
    return None


def location(name, first_line, comment, match):
    """file:line of a match in a comment that starts on first_line."""
    return f"{name}:{first_line + comment.count(chr(10), 0, match.start())}"


def find_stale_references(root=REPO, allowed_seen=None):
    """Each stale reference in the comments under root, as "file:line: what"; the
    ALLOWED references met are added to allowed_seen."""
    allowed_seen = set() if allowed_seen is None else allowed_seen
    files = source_files(root)
    basenames = {pathlib.PurePath(f).name for f in files}
    top_folders = sorted({f.split("/")[0] for f in files if "/" in f and not f.startswith(".")})
    top_path = re.compile(r"(?<![\w./-])((?:%s)/[\w./*<>-]*)" % "|".join(map(re.escape, top_folders)))

    def resolve(ref):
        """The repository files ref may name (empty when none), or None when it is a
        file outside the repository."""
        for candidate in (ref, ref + ".in"):  # a file generated from a template
            if "/" in candidate:
                found = [f for f in files if f == candidate or f.endswith("/" + candidate)]
            else:
                found = [f for f in files if pathlib.PurePath(f).name == candidate] if candidate in basenames else []
            if found:
                return found
        if any((include / ref).is_file() for include in SYSTEM_INCLUDE):
            return None
        return []

    comments, code_words = {}, set()
    for name in files:
        try:
            text = (root / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        parts = split(name, text)
        if parts is None:
            if name.endswith(".map"):  # the export list names the C ABI
                code_words.update(re.findall(r"\w+", text))
            continue
        comments[name], code = parts
        code_words.update(re.findall(r"\w+", code))

    stale = []
    for name, found in comments.items():
        for first_line, comment in found:
            where = functools.partial(location, name, first_line, comment)
            for m in FILE_REF.finditer(comment):
                ref, line_number = m.group(1), m.group(2)
                system_header = m.start() > 0 and comment[m.start() - 1] == "<" and not ref.startswith("tau/")
                placeholder = any(part.isupper() for part in ref.split("/")[:-1])  # pytest/plugins/NAME/x.cpp
                if ref in ALLOWED:
                    allowed_seen.add(ref)
                if ref in ALLOWED or system_header or placeholder:
                    continue
                targets = resolve(ref)
                if targets == []:
                    stale.append(f"{where(m)}: names {ref}, which does not exist")
                elif targets and line_number and len(targets) == 1:
                    lines = len((root / targets[0]).read_text(encoding="utf-8").splitlines())
                    if int(line_number) > lines:
                        stale.append(f"{where(m)}: names line {line_number} of {targets[0]}, which has {lines} lines")
            for m in top_path.finditer(comment):
                ref = m.group(1).rstrip(".")
                placeholder = any(part.isupper() or re.search(r"[*<>]", part) for part in ref.split("/"))
                if ref in ALLOWED:
                    allowed_seen.add(ref)
                if ref in ALLOWED or placeholder or (root / ref).exists():
                    continue
                message = f"{where(m)}: names {ref}, which does not exist"
                if message not in stale:
                    stale.append(message)
            for m in TAU_NAME.finditer(comment):
                missing = [part for part in m.group(1).split("::") if part not in code_words]
                if missing:
                    stale.append(f"{where(m)}: names tau::{m.group(1)}, but no code defines or uses {missing[0]}")
            for m in C_NAME.finditer(comment):
                word = m.group(1)
                known = word in code_words if not word.endswith("_") else any(w.startswith(word) for w in code_words)
                if not known:
                    stale.append(f"{where(m)}: names {word}, which no code defines or uses")
    return stale


def test_comments_name_only_files_and_identifiers_that_exist():
    allowed_seen = set()
    stale = find_stale_references(allowed_seen=allowed_seen)
    assert not stale, "stale references in comments:\n" + "\n".join(stale)
    assert allowed_seen == set(ALLOWED), "ALLOWED names references no comment makes any more"


def test_the_check_finds_stale_references(tmp_path):
    """Comments like the stale ones this check was written after are found, and
    what only looks like a reference is not."""
    (tmp_path / "runtime/include/tau").mkdir(parents=True)
    (tmp_path / "runtime/include/tau/tau.h").write_text("int tau_post(void);\n")
    (tmp_path / "runtime/include/tau/time.hpp").write_text(
        "namespace tau { struct timed_out {}; }\n"
        "// tau::timed_out, tau_post and time.hpp:2 exist; R\"(// in a raw string)\" is code\n"
        "const char* s = R\"(// tau::in_a_string)\";\n"
        "// <feature>_test.cpp, *.cpp, ${name}.cpp, runtime/NAME/, <sys/pidfd.h>, <boost/asio.hpp>\n")
    (tmp_path / "runtime/include/tau/abi_stamp.h").write_text(
        "/* abi_stamp.h: through\n * tau/abi_stamp_section.h and runtime/src/stamp/ */\n"
        "// tau::asio_error, tau_gone, time.hpp:99\n")
    assert find_stale_references(tmp_path) == [
        "runtime/include/tau/abi_stamp.h:2: names tau/abi_stamp_section.h, which does not exist",
        "runtime/include/tau/abi_stamp.h:2: names runtime/src/stamp/, which does not exist",
        "runtime/include/tau/abi_stamp.h:3: names line 99 of runtime/include/tau/time.hpp, which has 4 lines",
        "runtime/include/tau/abi_stamp.h:3: names tau::asio_error, but no code defines or uses asio_error",
        "runtime/include/tau/abi_stamp.h:3: names tau_gone, which no code defines or uses",
    ]
