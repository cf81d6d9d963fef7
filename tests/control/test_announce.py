"""padserver found on the network by an mDNS browser, as TouchOSC's and Open Stage Control's find it: in a
network namespace of the test's own (multicast on its loopback only), with a zeroconf browser as the tablet."""

import json
import subprocess
import sys

import pytest

from padserver.harness.link_check import namespace_problem

TABLET_NET = "10.9.8.7"
NAMESPACE = (
    "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo && "
    f'ip addr add {TABLET_NET}/32 dev lo && exec "$@"'
)
SCRIPT = r"""
import json, sys, time
from zeroconf import ServiceBrowser, Zeroconf, IPVersion
from padserver.harness.daemon import DaemonProcess

folder = sys.argv[1]
d = DaemonProcess(["--audio", "null", "--osc-host", "0.0.0.0"], data_dir=folder)
found = {}
try:
    d.wait_ready(30)

    class Listener:
        def add_service(self, zc, kind, name):
            info = zc.get_service_info(kind, name, 3000)
            if info is not None:
                found[name] = {"port": info.port, "addresses": info.parsed_addresses(),
                               "app": (info.properties or {}).get(b"app", b"").decode()}
        def update_service(self, zc, kind, name):
            pass
        def remove_service(self, zc, kind, name):
            pass

    zc = Zeroconf(ip_version=IPVersion.V4Only)
    ServiceBrowser(zc, "_osc._udp.local.", Listener())
    deadline = time.monotonic() + 10
    while not found and time.monotonic() < deadline:
        time.sleep(0.1)
    zc.close()
    found["port"] = d.port
finally:
    d.terminate()
print(json.dumps(found))
"""


def test_padserver_open_to_the_network_is_found_by_a_tablets_browser(tmp_path):
    problem = namespace_problem()
    if problem:
        pytest.skip(problem)
    run = subprocess.run(
        ["unshare", "-n", "sh", "-c", NAMESPACE, "sh", sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    port = found.pop("port")
    assert len(found) == 1, found
    ((name, service),) = found.items()
    assert name.startswith("padserver on ") and name.endswith("._osc._udp.local.")
    assert service["port"] == port and TABLET_NET in service["addresses"] and service["app"] == "padserver"
