"""tau running in the background, for the tests that talk to it while it runs:
its output lines as they come, and its control socket (--control)."""
import pathlib
import signal
import socket
import subprocess
import threading
import time


class Running:
    """tau in the background, its output lines collected as they come."""

    def __init__(self, tau, env, *plugins, options=()):
        """plugins: each a --plugin argument, or "--watch"; options: more arguments."""
        args = [arg for p in plugins for arg in ((p,) if p == "--watch" else ("--plugin", str(p)))]
        args += [str(o) for o in options]
        self.proc = subprocess.Popen([str(tau.binary), *args], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = {"stdout": [], "stderr": []}
        self.changed = threading.Condition()
        self.readers = [threading.Thread(target=self._read, args=(name,), daemon=True) for name in self.lines]
        for r in self.readers:
            r.start()

    def _read(self, name):
        for line in getattr(self.proc, name):
            with self.changed:
                self.lines[name].append(line.rstrip("\n"))
                self.changed.notify_all()

    def wait_for(self, name, text, timeout=120, after=0):
        """The index of the first line from index `after` on that contains text."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for i, line in enumerate(self.lines[name][after:], after):
                    if text in line:
                        return i
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and all(not r.is_alive() for r in self.readers):
                    raise AssertionError(f"no {text!r} in {name} within {timeout}s:\n" + "\n".join(self.lines[name]))
                self.changed.wait(min(left, 0.5))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=60)
        for r in self.readers:
            r.join(timeout=10)
        return self.proc.returncode

    def mappings_of(self, library_name):
        """The distinct files mapped under that name: (inode, deleted?)."""
        found = set()
        for line in pathlib.Path(f"/proc/{self.proc.pid}/maps").read_text().splitlines():
            if library_name in line:
                fields = line.split()
                found.add((fields[4], line.endswith("(deleted)")))
        return found


def ask(path, *commands):
    """Sends the commands on one connection, shuts down its side and reads every
    answer until tau closes the connection. Returns the lines."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(120)
        s.connect(str(path))
        s.sendall("".join(c + "\n" for c in commands).encode())
        s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data.decode().splitlines()


def sanitized(tau):
    info = tau.run("--info").stdout
    return any(line.split(":", 1)[1].strip() != "none" for line in info.splitlines()
               if line.strip().startswith("sanitizers:"))
