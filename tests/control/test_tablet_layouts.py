"""The shipped TouchOSC and Open Stage Control layouts speak only the daemon's OSC."""

import os

import pytest

from padserver.control import tablets
from padserver.control.mapping_files import shipped_dir
from padserver.control.osc_routes import feedback_match, find


def shipped(name: str) -> bytes:
    with open(os.path.join(shipped_dir(), name), "rb") as fh:
        return fh.read()


LAYOUTS = {
    "padserver.tosc": lambda data: tablets.touchosc_addresses(data),
    "padserver-open-stage-control.json": lambda data: tablets.open_stage_control_addresses(data.decode()),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_address_a_layout_uses_exists(name):
    controls = LAYOUTS[name](shipped(name))
    assert len(controls) > 16 * 5
    for address, sends in controls:
        if sends:
            assert find(address) is not None, f"{name} sends {address}, which the daemon does not answer"
        else:
            assert feedback_match(address) or find(address), (
                f"{name} listens on {address}, which the daemon never sends"
            )
    sent = {a for a, s in controls if s}
    for n in range(1, 17):
        assert f"/pad/{n}/trigger" in sent and f"/pad/{n}/gain" in sent and f"/pad/{n}/pan" in sent
        assert f"/pad/{n}/generate" in sent
    assert {"/tempo", "/tempo/tap", "/master/gain", "/pads/stop", "/prompt"} <= sent
    heard = {a for a, s in controls if not s}
    assert "/pad/1/state" in heard and "/pad/16/name" in heard and "/master/level" in heard


@pytest.mark.parametrize("name", sorted(tablets.FILES))
def test_shipped_layouts_are_what_the_generator_makes(name):
    assert shipped(name) == tablets.FILES[name](), (
        f"mappings/{name} is stale: run python -m padserver.control.tablets mappings"
    )
