"""Lights written in a cycle JACK dropped are written again: the xrun is reported a little later, and the
controller must not keep a dark pad for it."""

from types import SimpleNamespace

from padserver.drivers.jack_midi import JackMidi, Link


class Port:
    """JACK-Client's MIDI port, as the callback uses it: what was written this cycle."""

    def __init__(self) -> None:
        self.cycles: list[list[bytes]] = []

    def clear_buffer(self) -> None:
        self.cycles.append([])

    def write_midi_event(self, offset: int, data: bytes) -> None:
        self.cycles[-1].append(bytes(data))

    def incoming_midi_events(self):
        return iter(())


def run(midi: JackMidi, engine, cycles: int, frames: int = 128) -> None:
    for _ in range(cycles):
        midi.process(frames, engine)


def test_an_xrun_heard_later_writes_the_recent_lights_again():
    midi = JackMidi()
    out = Port()
    engine = SimpleNamespace(meters=SimpleNamespace(xruns=0), sample_rate=48000)

    link = Link("launchpad", Port(), out, {}, frozenset(), clock=False, velocity_gain=False)
    midi._set_links((link,))
    midi.send(link, b"\x90\x0b\x05")  # pad 1 lit
    run(midi, engine, 1)
    assert out.cycles[-1] == [b"\x90\x0b\x05"]
    run(midi, engine, 20)  # 53 ms later the xrun of that cycle is reported
    engine.meters.xruns += 1
    run(midi, engine, 1)
    assert out.cycles[-1] == [b"\x90\x0b\x05"] and link.resent == 1
    run(midi, engine, 60)  # and not again for a later xrun, once it is older than 0.1 s
    engine.meters.xruns += 1
    run(midi, engine, 1)
    assert out.cycles[-1] == [] and link.resent == 1
