"""Several plugins share the one loop: an echo server and an echo client, each a
plugin with its own timer, talk over loopback TCP inside one tau process."""
import socket


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_pair(tau, clients, messages, heartbeat=0):
    port = free_port()
    r = tau.run("--plugin", tau.plugin("echo_server"), "--plugin", tau.plugin("echo_client"),
                "--input", f"port={port} clients={clients} messages={messages} heartbeat={heartbeat}",
                timeout=60)
    assert r.returncode == 0, r.stderr
    return port, r.stdout.splitlines()


def test_two_plugins_exchange_data_over_loopback(tau):
    port, lines = run_pair(tau, clients=2, messages=2)
    assert lines[0] == f"server: listening on 127.0.0.1:{port}"
    for n in range(1, 5):
        connection = (n - 1) % 2 + 1
        sent = lines.index(f"client: tick {n} sends 'message {n}' on connection {connection}")
        echoed = lines.index(f"server: connection {connection} echoes 'message {n}'")
        back = lines.index(f"client: connection {connection} got 'message {n}' back")
        assert sent < echoed < back
    assert "server: done, echoed 36 bytes over 2 connections" in lines
    assert lines[-1] in ("client: done after 4 ticks", "server: done, echoed 36 bytes over 2 connections")


def test_timers_of_both_plugins_interleave(tau):
    _, lines = run_pair(tau, clients=1, messages=4, heartbeat=7)
    kinds = ["server" if line.startswith("server: heartbeat") else "client"
             for line in lines if line.startswith(("server: heartbeat", "client: tick"))]
    ticks = kinds.count("client")
    assert ticks == 4
    first_tick, last_tick = kinds.index("client"), len(kinds) - 1 - kinds[::-1].index("client")
    # Server heartbeats fire between the client's ticks, not all before or after them.
    assert "server" in kinds[first_tick:last_tick]
