"""The JACK backend: a client named ``padserver`` with stable, meaningful port names.

Ports: ``master_L``/``master_R``, and with ``pad_outputs`` on, ``pad01_L`` …
``pad16_R`` for multitrack recording in a DAW, ``trackNN_L/R`` for song tracks
routed to outputs of their own, ``click_L/R`` for the metronome when it is
not on the master, ``in_1`` … for recording. If the JACK server goes away the
daemon keeps running and reconnects when it comes back (`supervise`).
"""

from __future__ import annotations

import logging
import os
import re
from time import perf_counter_ns

from padserver.drivers.backend import Backend, BackendError, BackendInfo
from padserver.drivers.jack_buffers import PortViews, connected, last_frame_time, since_cycle_start
from padserver.drivers.jack_gate import ProcessGate

log = logging.getLogger(__name__)

_TOO_LONG = ValueError("JACK's period is longer than the engine's largest block; that cycle was silent")


def _jack():
    try:
        import jack
    except (ImportError, OSError) as exc:
        raise BackendError(f"the JACK library is not installed ({exc}); install jackd2") from None
    return jack


_quieted = False


def _quiet(jack) -> None:
    """Route libjack's own messages into the log instead of stderr (once per process)."""
    global _quieted
    if _quieted:
        return
    jack.set_error_function(lambda msg: log.debug("libjack: %s", msg))
    jack.set_info_function(lambda msg: log.debug("libjack: %s", msg))
    _quieted = True


def open_client(name: str, server: str):
    jack = _jack()
    _quiet(jack)
    try:
        return jack.Client(name, no_start_server=True, servername=server or None, use_exact_name=True)
    except jack.JackOpenError as exc:
        status = getattr(exc, "status", None)
        if status is not None and status.name_not_unique:
            raise BackendError(f"a JACK client named {name!r} already exists (is padserver running twice?)") from None
        raise BackendError(f"no JACK server {server_name(server)!r} is running") from None


def server_name(configured: str) -> str:
    """The server a client connects to: configured, else $JACK_DEFAULT_SERVER, else 'default'."""
    return configured or os.environ.get("JACK_DEFAULT_SERVER") or "default"


def _natural(name: str) -> list:
    """Sort key that puts in2 before in10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _parse_routes(routes: list[str]) -> list[tuple[re.Pattern, re.Pattern]]:
    """``ours -> theirs`` pattern pairs; a bad one is logged and left out."""
    out = []
    for text in routes:
        ours, sep, theirs = text.partition("->")
        try:
            if not sep or not ours.strip() or not theirs.strip():
                raise re.error('write it as "our ports -> their ports"')
            out.append((re.compile(ours.strip()), re.compile(theirs.strip())))
        except re.error as exc:
            log.warning("audio.jack.routes: %r left out: %s", text, exc)
    return out


def _patterns(texts: list[str], where: str) -> list[re.Pattern]:
    out = []
    for text in texts:
        try:
            out.append(re.compile(text))
        except re.error as exc:
            log.warning("%s: %r left out: %s", where, text, exc)
    return out


def pad_port_names(pads: int) -> list[tuple[str, str]]:
    return [(f"pad{i:02d}_L", f"pad{i:02d}_R") for i in range(1, pads + 1)]


class JackBackend(Backend):
    name = "jack"

    @classmethod
    def open(cls, config, reason: str) -> JackBackend:
        jack_cfg = config.audio.jack
        client = open_client(jack_cfg.client_name, jack_cfg.server)
        return cls(client, config, reason)

    def __init__(self, client, config, reason: str) -> None:
        super().__init__()
        self._cfg = config.audio.jack
        self._cue_output = config.library.preview_output == "cue"
        self._client = client
        self._lost = False
        self._base: int | None = None  # engine frame minus JACK frame time
        from padserver.drivers.jack_midi import JackMidi

        self.midi = JackMidi()  # controllers' MIDI, read and written in the callback
        self.midi.client = client
        self._stem_ports: list = []
        self._track_rows: tuple[int, ...] = ()  # song tracks with their own ports (kept across reconnects)
        self._track_ports: tuple = ()  # ((row, views of its left and right ports), …), replaced whole: the callback reads it
        self._click_wanted = False  # the metronome on click_L/R (kept across reconnects)
        self._routes = _parse_routes(self._cfg.routes)
        self._clock_targets = _patterns(config.sync.clock_out, "sync.clock_out")
        self._clock_source = _patterns([config.sync.clock_in] if config.sync.clock_in else [], "sync.clock_in")
        self._follow_clock = config.sync.source == "midi"
        self._routing_due = False  # ports appeared: connect what the routes ask for
        self._refused: set[tuple[str, str]] = set()  # connections JACK refused so far (said once, tried again)
        self._register(client)
        self.info = BackendInfo("jack", reason, client.samplerate, client.blocksize)
        extra = list(self._cue_ports or ()) + [p for pair in self._stem_ports for p in pair]
        self.info.outputs = [p.name for p in self._master] + [p.name for p in extra]
        self.info.device = f"JACK server {server_name(self._cfg.server)!r}"

    @property
    def connected(self) -> bool:
        return not self._lost

    def _register(self, client) -> None:
        self._master = (client.outports.register("master_L"), client.outports.register("master_R"))
        self._stem_ports = []
        self._cue_ports = None
        if self._cue_output:
            self._cue_ports = (client.outports.register("cue_L"), client.outports.register("cue_R"))
        if self._cfg.pad_outputs:
            for left, right in pad_port_names(16):
                self._stem_ports.append((client.outports.register(left), client.outports.register(right)))
        self._click_ports: tuple | None = None
        if self._click_wanted:
            self._register_click(client)
        self._track_ports = ()
        if self._track_rows:
            self._register_tracks(client, self._track_rows)
        from padserver.sync.jack_clock import ClockIn, ClockOut

        self.clock_out = ClockOut(client.midi_outports.register("clock_out"))
        port = client.midi_inports.register("clock_in")
        if getattr(self, "clock_in", None) is None:
            self.clock_in = ClockIn(port, follow=self._follow_clock)
        else:  # a server that came back: the same input on its new port, so whoever follows it goes on following
            self.clock_in.port = port
        # (the clock ports do nothing a cycle while nobody is connected to them)
        self._clock_out_live, self._clock_in_live = connected(self.clock_out.port), connected(port)
        self._inputs = [client.inports.register(f"in_{i + 1}") for i in range(int(self._cfg.inputs))]
        self._input_views = PortViews(self._inputs)  # (inputs' buffers, the same way)
        # every output but the click's, the cue's and the song tracks': master, then the pads' pairs
        self._outputs = PortViews([*self._master, *(p for pair in self._stem_ports for p in pair)])
        if self._cue_ports is not None:
            self._cue_views = PortViews(self._cue_ports)
            self._cue_live = connected(*self._cue_ports)
        self._last_frame_time, self._client_ptr = last_frame_time(client)
        self._since_start = since_cycle_start()
        self._gate = ProcessGate()  # (one per client: a client opened again after the server came back has its own)
        client.set_process_callback(self._process)
        client.set_port_registration_callback(self._ports_appeared)
        client.set_xrun_callback(self._xrun)
        client.set_shutdown_callback(self._shutdown)

    # -- audio thread -----------------------------------------------------------------
    def _process(self, frames: int) -> None:
        began = perf_counter_ns()
        entered = self._since_start(self._client_ptr)  # frames of this cycle gone before it ran (a late wake, the GIL)
        meters = self.engine.meters
        if entered > meters.entry_max:
            meters.entry_max = entered
        if self._gate.closing:
            self._gate.park()  # the client is being closed: JACK ends this thread (see jack_gate)
            return
        if frames > self.engine.max_block:  # a JACK period beyond what the engine was built for
            self.engine.faults.note(_TOO_LONG, "JACK period")
            self._silence_ports()
            return
        try:
            self._cycle(frames)
        except Exception as exc:  # JACK stops calling a client whose callback raises: contain it, play silence
            self.engine.faults.note(exc, "JACK ports")
            self._silence_ports()
        meters.timed(perf_counter_ns() - began)

    def _silence_ports(self) -> None:
        """Every output this client has, silent for this cycle (none keeps the last cycle's audio)."""
        try:
            for port in self._client.outports:
                port.get_array().fill(0.0)
            for port in self._client.midi_outports:
                port.clear_buffer()
        except Exception as exc:
            self.engine.faults.note(exc, "JACK ports")

    def _cycle(self, frames: int) -> None:
        if not self._follow_jack_time():
            return  # this cycle was already rendered: its ports hold it
        engine = self.engine
        try:
            self.midi.process(frames, engine)
        except Exception as exc:
            engine.faults.note(exc, "MIDI in")
        capture = engine.capture
        if self._inputs and capture.buffer is not None and not capture.master:  # (read only while recording)
            engine.inputs = self._input_views.fetch(frames)
        if self._clock_in_live():
            self.clock_in.process(frames, engine)
        mix = self._render(frames)
        outs = self._outputs.fetch(frames)
        outs[0][:] = mix[0]
        outs[1][:] = mix[1]
        if self._cue_ports is not None:
            if self._cue_live():  # (nobody listening: its ports are left as they are)
                cue = engine.cue()
                cue_views = self._cue_views.fetch(frames)
                cue_views[0][:] = cue[0]
                cue_views[1][:] = cue[1]
        if self._clock_out_live():
            self.clock_out.process(frames, engine)
        if self._stem_ports:  # (after the master's pair)
            stems = engine.stems()
            for i in range(len(self._stem_ports)):
                outs[2 + 2 * i][:] = stems[i, 0]
                outs[3 + 2 * i][:] = stems[i, 1]
        if self._click_ports is not None:
            click = engine.metronome.out
            views = self._click_views.fetch(frames)
            views[0][:] = click[0, :frames]
            views[1][:] = click[1, :frames]
        if self._track_ports:
            song = engine.song
            own = song.own if song.playing else ()
            out = song.track_out
            for row, track_views in self._track_ports:
                left, right = track_views.fetch(frames)
                if row in own:
                    left[:] = out[row, 0, :frames]
                    right[:] = out[row, 1, :frames]
                else:
                    left.fill(0.0)
                    right.fill(0.0)

    # -- song tracks on ports of their own (control thread) ---------------------------------------
    def _register_tracks(self, client, rows: tuple[int, ...]) -> None:
        have = {row for row, _ in self._track_ports}
        ports = list(self._track_ports)
        for row in rows:
            if row not in have:
                name = f"track{row + 1:02d}"
                pair = (client.outports.register(f"{name}_L"), client.outports.register(f"{name}_R"))
                ports.append((row, PortViews(pair)))
        self._track_ports = tuple(ports)

    def track_outputs(self, rows: tuple[int, ...]) -> bool:
        """Register track ports as tracks ask for them; a track back on the master leaves its ports silent."""
        self._track_rows = tuple(sorted(set(self._track_rows) | set(rows)))
        if not self._lost:
            self._register_tracks(self._client, rows)
        return True

    def click_output(self) -> bool:
        self._click_wanted = True
        if not self._lost and self._click_ports is None:
            self._register_click(self._client)
        return True

    def _register_click(self, client) -> None:
        ports = (client.outports.register("click_L"), client.outports.register("click_R"))
        self._click_views = PortViews(ports)
        self._click_ports = ports  # (set last: the callback reads it, and then the views)

    def _follow_jack_time(self) -> bool:
        """Keep the engine's frames on JACK's timeline; False when this cycle was rendered already.

        A cycle JACK skipped is skipped in the music too: otherwise every skip
        would push the bar grid later than the JACK transport, the DAW and the
        other clients. A late client can also be called twice in one cycle (the
        same frame time again): the ports already hold that cycle, and rendering
        ahead would put the grid early for good.
        """
        engine = self.engine
        now = self._last_frame_time(self._client_ptr)
        if self._base is None:
            self._base = engine.frame - now
            return True
        gap = now + self._base - engine.frame
        if gap == 0:
            return True
        if 0 < gap <= 2 * self.info.sample_rate:
            engine.frame += gap
            return True
        if -4 * self.engine.max_block <= gap < 0:
            return False
        self._base = engine.frame - now  # a new server or a clock that went back: start the mapping again
        return True

    def _xrun(self, delayed_usecs: float) -> None:
        if self.engine is not None:
            self.engine.meters.xruns += 1

    def _shutdown(self, status, reason: str) -> None:
        self._lost = True  # JACK's thread: only note it; `supervise` reconnects
        self.midi.client = None  # no more port look-ups on a client whose server is gone

    # -- control side -------------------------------------------------------------------
    def start(self) -> None:
        self._client.activate()
        self._connect()
        self._measure_latency()

    def _connect(self) -> list[str]:
        """Make the configured connections that are missing (it runs again whenever ports appear); the new ones."""
        client = self._client
        own = client.name + ":"
        pairs = [(p.name, t) for p, t in zip(self._master, self._targets(client), strict=False)]
        for ours, theirs in self._routes:
            mine = [p.name for p in client.outports if ours.fullmatch(p.shortname)]
            found = [p.name for p in client.get_ports(is_audio=True, is_input=True) if theirs.search(p.name)]
            pairs += zip(sorted(mine, key=_natural), sorted(found, key=_natural), strict=False)
        midi_in = [p.name for p in client.get_ports(is_midi=True, is_input=True) if not p.name.startswith(own)]
        pairs += [(self.clock_out.port.name, t) for t in midi_in if any(p.search(t) for p in self._clock_targets)]
        midi_out = [p.name for p in client.get_ports(is_midi=True, is_output=True) if not p.name.startswith(own)]
        pairs += [(s, self.clock_in.port.name) for s in midi_out if any(p.search(s) for p in self._clock_source)]
        made, now = [], []
        for source, target in pairs:
            try:
                if target not in {p.name for p in client.get_all_connections(source)}:
                    client.connect(source, target)
                    made.append(f"{source} → {target}")
                now.append(f"{source} → {target}")
            except Exception as exc:
                # (JACK refuses a connection to a client that registered its ports but is not active yet; it
                # may say nothing more when it activates: tried again on the next supervision round)
                self._routing_due = True
                if (source, target) not in self._refused:
                    self._refused.add((source, target))
                    log.warning("cannot connect %s to %s yet: %s", source, target, exc)
                continue
            self._refused.discard((source, target))
        self.info.connections = now
        return made

    def _targets(self, client) -> list[str]:
        patterns = list(self._cfg.connect)
        if patterns == ["physical"]:
            ports = client.get_ports(is_audio=True, is_input=True, is_physical=True)
            return [p.name for p in ports[:2]]
        found: list[str] = []
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error:
                log.warning("audio.jack.connect: %r is not a valid pattern", pattern)
                continue
            for port in client.get_ports(pattern, is_audio=True, is_input=True):
                if port.name not in found:
                    found.append(port.name)
        return found[:2]

    def _ports_appeared(self, port, registered: bool) -> None:
        """JACK's notification thread: only note it; `supervise` connects what the routes ask for."""
        if registered:
            self._routing_due = True

    def _master_latency(self) -> int:
        """JACK's rule: what a cycle at frame F writes to the master is heard at F + this."""
        from padserver.drivers.jack_native import PLAYBACK, latency_range

        return latency_range(self._master[0], PLAYBACK)[1]

    def _measure_latency(self) -> None:
        try:
            self.info.output_latency = self._master_latency()
        except Exception:
            self.info.output_latency = 0

    def clock_map(self) -> tuple[int, int, int] | None:
        from padserver.drivers.jack_native import frames_to_time

        client, base = self._client, self._base
        if self._lost or client is None or base is None:
            return None
        frame = client.frame_time
        return frame + base, frames_to_time(client, frame), self._master_latency()

    def output_latencies(self) -> dict[str, int]:
        """Each output pair's playback latency as JACK reports it (what is connected downstream decides it)."""
        from padserver.drivers.jack_native import PLAYBACK, latency_range

        if self._lost or self._client is None:
            return {}
        out = {}
        for port in self._client.outports:
            if port.shortname.endswith("_R"):
                continue  # a pair has one figure: its left port's
            try:
                out[port.shortname.removesuffix("_L")] = latency_range(port, PLAYBACK)[1]
            except Exception:
                pass
        return out

    def input_latency(self) -> int:
        """Frames from a sound the player heard to it reaching our inputs: playback plus capture latency."""
        from padserver.drivers.jack_native import CAPTURE, latency_range

        try:
            capture = max((latency_range(p, CAPTURE)[1] for p in self._inputs), default=0)
            return capture + self._master_latency()
        except Exception as exc:
            log.warning("JACK port latencies unknown (%s); a recording is not compensated", exc)
            return 0

    def supervise(self) -> str | None:
        """Reconnect after the JACK server went away, and routes to clients that appeared; returns what to log."""
        if not self._lost:
            if not self._routing_due:
                # JACK recomputes latencies after connections change, when it gets to it (later on a loaded
                # machine than the round that connected): read it again every round
                self._measure_latency()
                return None
            self._routing_due = False
            made = self._connect()
            self._measure_latency()
            return "connected " + ", ".join(made) if made else None
        if self._client is not None:
            with self.midi.lock:
                self.midi.reset()
                self.midi.client = None
                self._gate.close(self._client, wait=0.1)  # (no server: no cycle comes)
                self._client = None
            return "the JACK server went away; padserver keeps running and reconnects when it is back"
        try:
            client = open_client(self._cfg.client_name, self._cfg.server)
        except BackendError:
            return None
        self._register(client)
        self._client = client
        self._base = None
        with self.midi.lock:
            self.midi.client = client
        if client.samplerate != self.info.sample_rate:
            log.error(
                "JACK came back at %d Hz but the engine runs at %d Hz: pitch and tempo are off until padserver restarts",
                client.samplerate,
                self.info.sample_rate,
            )
        self.info.block_size = client.blocksize
        self._lost = False
        client.activate()
        self._connect()
        self._measure_latency()
        return "the JACK server is back; reconnected " + ", ".join(self.info.connections or ["(no connections)"])

    def stop(self) -> None:
        client = self._client
        if client is None:
            return
        self._gate.close(client)
        self._client = None
