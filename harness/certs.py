"""A certificate authority and a server certificate for 127.0.0.1, made with the
openssl command for each test session (nothing is committed). The files are named
for both users: the Beast examples read them through the shadowed
example/common/*_certificates.hpp ($TAU_COMPAT_CERT_DIR), the Asio ssl example
reads server.pem, dh4096.pem and ca.pem from its working directory."""
from __future__ import annotations

import pathlib
import subprocess


def _openssl(*args: str, cwd: pathlib.Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=120)


def make(directory: pathlib.Path) -> pathlib.Path:
    d = directory
    d.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=tau compat CA",
             "-keyout", "ca.key", "-out", "ca.crt", cwd=d)
    (d / "server.ext").write_text(
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
             "-out", "server.csr", cwd=d)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", "server.ext", "-out", "server.crt", cwd=d)
    # RFC 7919's ffdhe2048 group: no slow parameter generation.
    _openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", "dh.pem", cwd=d)
    (d / "server.pem").write_text((d / "server.crt").read_text() + (d / "server.key").read_text())
    (d / "dh4096.pem").write_text((d / "dh.pem").read_text())
    (d / "ca.pem").write_text((d / "ca.crt").read_text())
    return d
