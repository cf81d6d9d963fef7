"""The test JACK server starts on a machine where killed servers used up JACK's registry, and a wedged one
is told and replaced instead of holding every test after it."""

import os
import signal
import subprocess
import sys
import time
import uuid

import jack
import pytest

from padserver.harness.capture import Capture
from padserver.harness.jack import JackServer
from padserver.harness.jack_registry import _SERVERS, free_dead_server_slots, registry_held


def _jackd(name: str) -> subprocess.Popen:
    return subprocess.Popen(
        ["jackd", "--no-realtime", "-n", name, "-d", "dummy", "-r", "48000", "-p", "256"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _up(name: str, proc: subprocess.Popen) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            jack.Client("probe", no_start_server=True, servername=name).close()
            return True
        except jack.JackOpenError:
            time.sleep(0.05)
    return False


def test_servers_killed_without_closing_do_not_stop_the_next_one():
    # the registry is the machine's: no other worker starts or stops a server meanwhile
    with registry_held():
        _fill_then_start()


def _fill_then_start():
    # kill -9 servers of names of their own until JACK has no slot left, as crashed runs do
    killed = []
    for _ in range(_SERVERS):
        name = f"leak-{uuid.uuid4().hex[:8]}"
        proc = _jackd(name)
        if not _up(name, proc):  # every slot already held by a dead server
            proc.communicate(timeout=10)
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed.append(name)
    assert killed and any(name in f for f in os.listdir("/dev/shm") for name in killed)  # what they left
    name = f"leak-{uuid.uuid4().hex[:8]}"
    plain = _jackd(name)
    try:
        said, _ = plain.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        plain.kill()
        plain.wait()
        raise AssertionError("a slot was left free") from None
    assert "Too many servers already active" in said  # what plain jackd says now

    server = JackServer().start()
    try:
        client = jack.Client("check", no_start_server=True, servername=server.name)
        assert client.samplerate == 48000
        client.close()
        left = [f for f in os.listdir("/dev/shm") for name in killed if name in f]
        assert not left, left  # and their shared memory and semaphores are gone
    finally:
        server.stop()
        free_dead_server_slots()  # leave the machine's registry as we found it


def test_a_wedged_server_is_told_its_clients_leave_and_it_is_replaced():
    server = JackServer().start()
    try:
        assert server.responsive(timeout=2.0)
        cap = Capture(server, seconds=1.0)
        server.proc.send_signal(signal.SIGSTOP)  # no cycle runs, no request is answered
        t0 = time.monotonic()
        assert not server.responsive(timeout=1.0)
        with pytest.warns(UserWarning, match="did not leave JACK"):
            cap.close(timeout=1.0)
        # neither waited on the server for good (each gave up after its 1 s; a loaded machine may add seconds)
        assert time.monotonic() - t0 < 30.0
        old, wedged = server.name, server.proc
        server.restart()
        assert server.name != old and wedged.poll() is not None
        assert not [f for f in os.listdir("/dev/shm") if old in f]  # nothing of the killed one is left
        assert server.responsive(timeout=5.0)
    finally:
        server.stop()


# A client whose Python process callback runs longer than a period (so its thread is in the callback, holding
# the interpreter lock or waiting for it, whenever JACK looks), closed through its gate. Without the gate JACK 2
# cancels that thread where it stands (pthread_cancel) and the process waits for the lock for good.
BUSY_CLIENT = """
import sys, time, jack
from padserver.drivers.jack_gate import ProcessGate
client = jack.Client("busy", no_start_server=True, servername=sys.argv[1])
gate = ProcessGate()
def process(frames):
    if gate.closing:
        gate.park()
        return
    t = time.perf_counter()
    while time.perf_counter() - t < 0.004:
        pass
client.set_process_callback(process)
client.activate()
time.sleep(0.3)
gate.close(client)
print("closed", flush=True)
"""


def test_a_client_busy_in_its_python_callback_closes_through_its_gate(jack_server):
    for _ in range(3):
        run = subprocess.run(
            [sys.executable, "-c", BUSY_CLIENT, jack_server.name], capture_output=True, text=True, timeout=60
        )
        assert run.returncode == 0 and "closed" in run.stdout, run.stderr
