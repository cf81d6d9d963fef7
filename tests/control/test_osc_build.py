"""padserver builds its OSC messages itself (feedback goes out many times a second): byte for byte what
python-osc's builder makes, and the same refusals."""

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pythonosc.osc_message_builder import BuildError, OscMessageBuilder

from padserver.control.osc import build, messages_in


def reference(address: str, args: list) -> bytes:
    builder = OscMessageBuilder(address)
    for arg in args:
        if isinstance(arg, bool):
            builder.add_arg(arg)
        elif isinstance(arg, int):
            builder.add_arg(arg, "i")
        elif isinstance(arg, float):
            builder.add_arg(arg, "f")
        else:
            builder.add_arg(str(arg), "s")
    return builder.build().dgram


ARGS = st.lists(
    st.one_of(
        st.booleans(),
        st.integers(-(2**31), 2**31 - 1),
        st.floats(width=32, allow_nan=False),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=40),
    ),
    max_size=6,
)


@given(address=st.from_regex(r"/[a-z0-9/_]{0,30}", fullmatch=True), args=ARGS)
def test_a_message_is_the_bytes_python_osc_builds(address, args):
    data = build(address, args)
    assert data == reference(address, args)
    assert len(data) % 4 == 0
    (message,) = messages_in(data)
    assert message.address == address and len(message.params) == len(args)


@pytest.mark.parametrize("args", [[2**31], [-(2**31) - 1], [1e39]])
def test_a_value_osc_cannot_carry_is_refused_as_python_osc_refuses_it(args):
    with pytest.raises((BuildError, OverflowError)):
        reference("/x", args)
    with pytest.raises((struct.error, OverflowError)):
        build("/x", args)


def test_an_empty_address_is_refused():
    with pytest.raises(ValueError):
        build("", [1])
