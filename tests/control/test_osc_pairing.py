"""Pairing: on a LAN, a client from another machine plays only once the musician accepted it, and stays
accepted across restarts. Run inside a network namespace of its own, where a second address on the loopback
device stands for a tablet on the venue's Wi-Fi (no traffic leaves the namespace)."""

import json
import os
import subprocess
import sys

import pytest

from padserver.harness.link_check import namespace_problem

TABLET = "10.9.8.7"
NAMESPACE = f'ip link set lo up && ip addr add {TABLET}/32 dev lo && exec "$@"'

SCRIPT = r"""
import json, socket, subprocess, sys
from padserver.control.osc import build, messages_in
from padserver.harness.daemon import DaemonProcess

folder, tablet = sys.argv[1], sys.argv[2]
said = {}

def ask(sock, port, address, *args, wait=1.0):
    sock.sendto(build(address, list(args)), (tablet, port))
    sock.settimeout(wait)
    got = []
    try:
        while True:
            got += [[m.address, *m.params] for m in messages_in(sock.recv(65536))]
    except (TimeoutError, socket.timeout):
        return got

def daemon():
    d = DaemonProcess(["--audio", "null", "--osc-host", "0.0.0.0"], data_dir=folder)
    d.wait_ready()
    return d

d = daemon()
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.bind((tablet, 0))
    said["before"] = ask(s, d.port, "/ping") + ask(s, d.port, "/pad/1/play")
    said["listing"] = json.loads(d.osc.request("/clients", reply="/clients")[0])
    cli = subprocess.run([sys.executable, "-m", "padserver", "clients", "allow", "--port", str(d.port)],
                         capture_output=True, text=True, timeout=30)
    said["cli"] = [cli.returncode, cli.stdout, cli.stderr]
    said["after"] = ask(s, d.port, "/ping")
said["log"] = d.log()
d.terminate()
d = daemon()  # the same data folder: it remembers
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.bind((tablet, 0))
    said["restarted"] = ask(s, d.port, "/ping")
d.terminate()
print(json.dumps(said))
"""


@pytest.mark.skipif(namespace_problem() is not None, reason=str(namespace_problem()))
def test_a_client_from_elsewhere_plays_once_paired_and_stays_paired(tmp_path):
    result = subprocess.run(
        ["unshare", "-n", "sh", "-c", NAMESPACE, "sh", sys.executable, "-c", SCRIPT, str(tmp_path), TABLET],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.getcwd(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    said = json.loads(result.stdout.strip().splitlines()[-1])
    assert said["before"] == [["/error", "", "not paired"]], said  # one short error, then nothing, no pong
    waiting = said["listing"]["waiting"]
    assert [w["host"] for w in waiting] == [TABLET] and waiting[0]["messages"] == 2
    assert said["cli"][0] == 0 and f"/clients/allowed {TABLET}" in said["cli"][1], said["cli"]
    assert ["/pong", "0.1.0"] in said["after"], said
    assert f"OSC client {TABLET} is not paired" in said["log"] and f"OSC client {TABLET} paired" in said["log"]
    assert ["/pong", "0.1.0"] in said["restarted"], said
