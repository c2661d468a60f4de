"""The example plugins in plugins/ (hello and the echo pair have their own tests)."""


def test_channels_example(tau):
    r = tau.run("--plugin", tau.plugin("channels"), "--input", "4")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"received message {i}" for i in range(1, 5)] + ["sum of 4 messages: 10"]


def test_channels_example_rejects_bad_input(tau):
    r = tau.run("--plugin", tau.plugin("channels"), "--input", "many")
    assert r.returncode == 1
    assert "input wants a number of messages, got 'many'" in r.stderr
