"""The composition root: builds everything from the config, runs it, stops it in order."""

from __future__ import annotations

import asyncio
import collections
import gc
import logging
import os
import signal
import sys
import time

from padserver import __version__
from padserver.config.schema import CATEGORY_LEVELS
from padserver.control.announce import Announcement
from padserver.engine import commands as cmd
from padserver.loop_watch import LoopWatch
from padserver.midi_setup import read_midi_files, start_midi
from padserver.pace import Pace, engine_idle
from padserver.service_notify import ServiceNotifier
from padserver.status import CallbackLoad, snapshot

log = logging.getLogger("padserver")

EVENT_POLL_S = 0.02  # engine events reach the control side within this (feedback budget: 35 ms)
SUPERVISE_S = 1.0
GARBAGE_HOLD_S = 1.0  # released audio buffers are freed here, never on the audio thread
MIDI_POLL_S = 0.004  # the same while MIDI controllers are connected
METER_EVERY = 2  # pump rounds between meter samples (25 Hz; at most 30 Hz)


def _link(actions, backend, rate: int, quantum: float, start_stop: bool):
    from padserver.sync.link import LinkFollower  # (imports Link's library only when asked for)

    return LinkFollower(actions, backend, rate, quantum, start_stop)


_failures: dict[str, int] = {}


def guarded(step, *args) -> None:
    """Run one step of the event pump; a failure is logged (the first few, then now and then) and the pump goes
    on: feedback, meters and the freeing of released buffers must not stop for one fault."""
    try:
        step(*args)
    except Exception:
        name = getattr(step, "__qualname__", repr(step))
        n = _failures[name] = _failures.get(name, 0) + 1
        if n in (1, 10, 100) or n % 1000 == 0:
            log.exception("%s failed (%d so far); padserver goes on", name, n)


class StartupError(RuntimeError):
    """The daemon cannot start; the message says why and what to do."""


class Daemon:
    def __init__(self, config) -> None:
        self.config = config
        self.stopping = asyncio.Event()
        self.started = time.monotonic()
        self.loop_watch = LoopWatch()  # logs where the event loop is when it stops turning
        self.callback_load = CallbackLoad()  # the audio callback's share of a core (/status)
        # the latest meter sample: peak per pad, master left/right, lowest limiter gain
        self.levels: tuple[list[float], list[float], float] = ([0.0] * 16, [0.0, 0.0], 1.0)
        self.midi = None
        self.midi_files: tuple | None = None  # the controller mappings and learned bindings, read at start
        self.rt_clock = None  # MIDI clock out through rtmidi (audio not on JACK)
        self.rt_clock_in = None  # and in
        self._provider_status: dict[str, str] | None = None
        self._position: tuple[int, int] = (1, 1)

    async def run(self) -> int:
        from padserver import paths
        from padserver.actions import Actions
        from padserver.actions.generate import Generation
        from padserver.actions.live import LivePads
        from padserver.actions.live_mode import LiveMode
        from padserver.actions.performance import PerformanceRecorder
        from padserver.actions.projects import Projects
        from padserver.actions.record import Recording
        from padserver.actions.refit import Refitter
        from padserver.actions.song import SongActions
        from padserver.control.osc import OscServer
        from padserver.control.osc_feedback import OscFeedback
        from padserver.control.pairing import Pairing
        from padserver.drivers.backend import BackendError
        from padserver.drivers.choose import open_backend
        from padserver.drivers.recorder import Recorder
        from padserver.drivers.stepped_backend import SteppedBackend
        from padserver.engine.mixer import Engine
        from padserver.library.store import Library, LibraryError, UnavailableLibrary
        from padserver.loops.worker import WorkerPool
        from padserver.projects.store import ProjectStore
        from padserver.providers.remote import NetworkProcess
        from padserver.state.history import History
        from padserver.state.project import Project

        # The audio callback needs the GIL every period, and on its way through (numpy lets it go around any
        # operation on more than 500 numbers): a thread that holds it keeps it this long at most once the callback
        # asks. Measured under a 2,000 messages/s OSC flood at 256 frames: the longest callback 0.5–0.7 ms at
        # 0.1 ms, 1–3 ms at 1 ms (a wait per release).
        sys.setswitchinterval(0.0001)
        cfg = self.config
        data = paths.data_dir(cfg.paths.data_dir)
        try:
            os.makedirs(data, exist_ok=True)
        except OSError as exc:  # reported by the library and the project store, which then say why
            log.error("cannot create the data folder %s: %s", data, exc.strerror)
        self.midi_files = read_midi_files(self, cfg)  # (checked before the audio starts)
        try:
            backend = open_backend(cfg.audio.backend, cfg)
        except BackendError as exc:
            raise StartupError(f"audio: {exc}") from None
        info = backend.info
        e = cfg.engine
        engine = Engine(
            info.sample_rate,
            max_block=max(8192, info.block_size),  # (JACK 2's longest period: a period changed later fits)
            tempo=e.tempo,
            beats_per_bar=e.beats_per_bar,
            fade_ms=e.fade_ms,
            launch_together_ms=e.launch_together_ms,
        )
        project = Project(tempo=e.tempo, beats_per_bar=e.beats_per_bar, quantize=e.quantize, master_gain=e.master_gain)
        engine.set_initial_gains(project.pad_gains())
        # the cue output exists on JACK; elsewhere a preview plays on the master
        engine.cue_to_master = cfg.library.preview_output == "master" or info.name != "jack"
        engine.set(cmd.SetMasterGain(e.master_gain))
        engine.set(cmd.SetLimiter(e.limiter, e.limiter_ceiling_db))
        recorder = None
        if cfg.audio.record:
            try:
                recorder = Recorder(cfg.audio.record, info.sample_rate)
            except (ValueError, OSError) as exc:
                raise StartupError(f"--record: {exc}") from None
        backend.attach(engine, recorder)
        self.pool = WorkerPool()
        library: Library | UnavailableLibrary
        try:
            library = Library(data, info.sample_rate, self.pool)
        except LibraryError as exc:  # play on without one; every library request says why
            log.error("%s; padserver runs without its library (loading loops, projects) until that is fixed", exc)
            library = UnavailableLibrary(data, str(exc))
        allowed = paths.allowed_folders(data, cfg.paths.allowed_folders)
        self.actions = Actions(project, engine, library, allowed, now=backend.now)
        self.actions.history = History(cfg.projects.undo_depth, now=backend.now)
        loops = cfg.loops
        from padserver.loops.prepare import settings_from

        self.actions.loop_settings = settings_from(loops)
        self.actions.levels = {category: float(getattr(cfg.levels, category)) for category in CATEGORY_LEVELS}
        self.actions.refitter = Refitter(self.actions, loops.refit_after_s, loops.refit_min_change)
        self.actions.song = SongActions(self.actions)
        self.actions.song.metronome_gain = cfg.song.metronome_gain
        self.actions.song.count_in_bars = cfg.song.count_in_bars
        if cfg.song.metronome_output == "click":
            if backend.click_output():
                self.actions.song.click_to_master = False
            else:
                log.warning(
                    "song.metronome_output: no click ports with %s audio; the metronome is on the master", info.name
                )
        self.actions.song._send_metronome()
        self.actions.song.scene_stops_others = cfg.song.scene_stops_others
        self.actions.song.track_ports = backend.track_outputs
        inputs = {"jack": int(cfg.audio.jack.inputs)}.get(info.name, getattr(backend, "inputs", 0))
        self.actions.recording = Recording(self.actions, backend.input_latency, inputs)
        self.actions.performance = PerformanceRecorder(self.actions)
        self.follower = None
        clock_in = getattr(backend, "clock_in", None)
        if clock_in is not None:
            from padserver.sync.follow import MidiClockFollower

            self.follower = MidiClockFollower(self.actions, clock_in, info.sample_rate)
            self.actions.clock_in = clock_in
        # Ableton Link, made when asked for: its beats are laid on when the audio is heard (every driver knows)
        quantum = cfg.sync.link_quantum or cfg.engine.beats_per_bar
        start_stop = cfg.sync.link_start_stop
        self.actions.make_link = lambda: _link(self.actions, backend, info.sample_rate, quantum, start_stop)
        # what an export needs to render exactly as the live engine does
        self.actions.export_context = (
            os.path.join(data, "exports"),
            {"fade_ms": e.fade_ms, "limiter": e.limiter, "limiter_ceiling_db": e.limiter_ceiling_db},
        )
        self.actions.send_quanta()
        store = ProjectStore(data)
        library.users = lambda loop_id: self._loop_users(loop_id, store)
        self.projects = Projects(self.actions, store, cfg.projects.autosave_s)
        self.actions.generation = Generation(self.actions, cfg.providers.default, self.pool, cfg.providers)
        self.network = NetworkProcess(cfg.providers)  # the cloud SDKs run there, away from the audio
        self.actions.generation.network = self.network
        self.actions.live = LivePads(self.actions, cfg.providers)
        self.actions.live_mode = LiveMode(self.actions)
        self.actions.projects = self.projects
        self.engine, self.backend, self.project = engine, backend, project
        o = cfg.osc
        osc = OscServer(self.actions, self.status, o.host, o.port, o.allow, o.rate_limit, o.burst)
        if o.pairing == "true" or (o.pairing == "auto" and osc.open_to_network):
            osc.pairing = Pairing(data)
        osc.feedback = OscFeedback(osc, project, cfg.osc.auto_register)
        osc.feedback.sync_source = lambda: self.actions.sync_source
        self.actions.listeners.append(osc.feedback.on_change)
        self.osc = osc
        if getattr(cfg, "demo", False):
            from padserver.actions.demo_kit import fill

            try:
                await fill(self.actions)
            except Exception as exc:  # the daemon still runs, with empty pads
                log.error("the demo kit could not be made: %s", exc)
        else:
            await self._restore(cfg, store)  # before OSC opens: "ready" means the last session is back
        try:
            await osc.start()
        except OSError as exc:
            backend_stop = getattr(backend, "stop", None)
            if backend_stop:
                backend_stop()
            raise StartupError(f"cannot listen for OSC on {cfg.osc.host}:{cfg.osc.port}: {exc.strerror}") from None
        self.osc = osc
        announce = cfg.osc.announce == "true" or (cfg.osc.announce == "auto" and osc.open_to_network)
        self.announcement = Announcement(cfg.osc.host, osc.port, __version__) if announce else None
        if self.announcement is not None:
            await self.announcement.start()
        # import the SDKs of the providers that have keys, and make their clients, before the audio runs:
        # a first import mid-song would hold the interpreter long enough to make the audio drop out
        self._provider_status = await self.actions.generation.warm()
        try:
            backend.start()
            if isinstance(backend, SteppedBackend):
                self._serve_steps(backend)
                await backend.serve()
        except BackendError as exc:
            osc.close()
            raise StartupError(f"audio: {exc}") from None
        self.midi = self._start_midi(cfg, backend)
        if self.midi is not None and osc.pairing is not None:
            self.midi.follow_pairing(osc.pairing)
        if cfg.sync.source != "internal":  # (after MIDI: without JACK audio the clock comes in through rtmidi)
            try:
                self.actions.set_sync_source(cfg.sync.source)
            except Exception as exc:  # an ActionError saying why
                log.error("sync.source %s: %s; padserver keeps its own time", cfg.sync.source, exc)
        self.actions.generation.notify = lambda who, address, args: self.osc.reply(who, [(address, args)])
        if self.midi is not None:
            self.actions.generation.flash_failed = self.midi.flash_failed
        self._summary(data, allowed)
        # Start-up's objects (modules, SDKs, mappings: tens of thousands) are left out of every later collection:
        # a full collection over them holds the interpreter, and the audio callback waits on it, for milliseconds
        gc.freeze()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        self.loop_watch.start()
        service = ServiceNotifier()
        service.notify(f"READY=1\nSTATUS=OSC on port {osc.port}")
        watchdog = loop.create_task(service.watchdog())
        pump = loop.create_task(self._pump())
        supervisor = loop.create_task(self._supervise())
        midi_task = loop.create_task(self.midi.run()) if self.midi is not None else None
        autosave = loop.create_task(self.projects.autosave())
        await self.stopping.wait()
        log.info("stopping: fading out")
        service.notify("STOPPING=1")
        watchdog.cancel()
        autosave.cancel()
        self._final_save()
        if midi_task is not None:
            midi_task.cancel()
            self.midi.close()  # lights off and exit messages, sent while the ports still run
        if self.rt_clock is not None:
            self.rt_clock.stop()
        if self.rt_clock_in is not None:
            self.rt_clock_in.close()
        engine.set(cmd.SetMasterGain(0.0))
        await asyncio.sleep(max(0.03, 3 * info.block_size / info.sample_rate))
        if self.midi is not None:
            await self.midi.flush()
        pump.cancel()
        supervisor.cancel()
        if self.midi is not None:
            self.midi.release_ports()
        await self.actions.live.close_all()
        backend.stop()
        self.network.close()
        if recorder is not None:
            recorder.close()
        if self.announcement is not None:
            await self.announcement.stop()
        osc.close()
        self.pool.close()
        service.close()
        self.loop_watch.stop()
        log.info("stopped")
        return 0

    async def _restore(self, cfg, store) -> None:
        name = store.last_session() if cfg.projects.restore else None
        if name is None:
            return
        try:
            problems = await self.projects.load(name)
        except Exception as exc:  # a damaged project must not stop the daemon from starting
            log.error("the last session (%s) could not be restored: %s", name, exc)
            return
        log.info("restored project %s%s", name, f" ({len(problems)} pad(s) with problems)" if problems else "")

    def _final_save(self) -> None:
        if self.projects.dirty_since is None:
            return
        try:
            self.projects.save()
            log.info("saved project %s", self.projects.name)
        except Exception as exc:
            log.error("could not save the project on the way out: %s", exc)

    def _loop_users(self, loop_id: int, store) -> list[str]:
        users = store.users_of(loop_id)
        pads = [p.number for p in self.project.pads if p.loop_id == loop_id]
        if pads:
            users.insert(0, f"the live pads ({', '.join(map(str, pads))})")
        return users

    def _start_midi(self, cfg, backend):
        return start_midi(self, cfg, backend)

    @staticmethod
    def user_config() -> str:
        from padserver.config import user_config_path

        return user_config_path()

    def _summary(self, data: str, allowed: list[str]) -> None:
        info = self.backend.info
        cfg = self.config
        if info.name == "jack":
            where = "ports " + ", ".join(info.outputs[:2])
            cue = [o for o in info.outputs if o.endswith((":cue_L", ":cue_R"))]
            if cue:
                where += ", preview on " + ", ".join(cue)
            stems = sum(1 for o in info.outputs if ":pad" in o)
            if stems:
                where += f" and {stems} pad outputs"
            where += "; " + ("connected " + ", ".join(info.connections) if info.connections else "not connected")
        else:
            where = f"device {info.device}"
        if self.osc.open_to_network:
            osc = f"{cfg.osc.host}:{self.osc.port}, open to the network for {', '.join(cfg.osc.allow)} only"
            if self.osc.pairing is not None:
                osc += ", new clients play once paired (padserver clients)"
        else:
            osc = f"{cfg.osc.host}:{self.osc.port} (this machine only; --osc-host 0.0.0.0 opens it to tablets)"
        log.info(
            "padserver %s ready — audio: %s (%s), %d Hz, %d-frame blocks, %s — OSC: %s — data: %s — config: %s",
            __version__,
            info.name,
            info.reason,
            info.sample_rate,
            info.block_size,
            where,
            osc,
            data,
            cfg.source,
        )
        log.info("files may be loaded over OSC from: %s", ", ".join(allowed))

    def _hand_over(self) -> None:
        """Carry the engine's events to the actions and the devices' messages to their controllers."""
        actions = self.actions
        for event in self.engine.events.drain():
            guarded(actions.on_engine_event, event)
        if actions.live is not None and actions.live.pads:
            guarded(actions.live.top_up)  # live pads' rings kept ahead of what is heard
        if actions.live_mode is not None and actions.live_mode.running:
            guarded(actions.live_mode.tick)  # live mode's next loop asked for, or put on before its bar
        if self.midi is not None:
            guarded(self.midi.poll)
        if self.follower is not None:
            guarded(self.follower.poll)
        if actions.link is not None:
            guarded(actions.link.poll)

    def _sample(self) -> None:
        """Meters and the song's place, to the tablets and the lights."""
        engine, actions = self.engine, self.actions
        pads, master, gain = engine.meters.take()
        self.levels = ([round(float(p), 4) for p in pads], [round(float(m), 4) for m in master], gain)
        self.osc.feedback.on_levels(self.levels[0], self.levels[1])
        if actions.live is not None and actions.live.pads:
            actions.live.report_latency()
        if engine.song.playing and actions.song is not None:  # the song's place, as often as the meters
            bar, beat = actions.song.position()  # (and only when it moves)
            if (bar, int(beat)) != self._position:
                self._position = (bar, int(beat))
                actions.project.beat = int(beat)
                actions.changed(0, "position", self._position)  # tablets, and beat lights
        else:
            self._position = (0, 0)  # so the first position after a start is sent

    def _serve_steps(self, backend) -> None:
        """The stepped driver: what was sent before a step is dispatched first, events after every block."""
        osc = self.osc

        async def settle() -> None:
            while osc.pending():  # each round of the loop reads one datagram and dispatches it
                await asyncio.sleep(0)
            if self.midi is not None:
                self.midi.poll()
            for _ in range(3):  # and what a handler started runs up to its first wait
                await asyncio.sleep(0)

        backend.settle = settle
        backend.after_block = self._hand_over
        backend.after_step = self._sample

    def _unfollowed(self) -> bool:
        """Neither a MIDI clock nor a Link session is followed (each is read every pump round)."""
        return self.actions.link is None and (self.follower is None or self.actions.sync_source != "midi")

    async def _pump(self) -> None:
        """Carry engine events to the actions, free released buffers, report xruns."""
        engine = self.engine
        held: collections.deque = collections.deque()
        xruns_seen = errors_seen = 0
        last_report = last_error_report = last_load = time.monotonic()
        rounds = 0
        midi = self.midi
        pace = Pace(asyncio.get_running_loop())
        engine.on_command = pace.commanded
        while True:
            if midi is not None and midi.active:
                await asyncio.sleep(MIDI_POLL_S)  # with controllers connected, lights follow within a few ms
            elif self._unfollowed() and not engine.garbage and engine_idle(engine):
                await pace.nap()  # nothing can make an event until a command comes, which wakes the pump
            else:
                await asyncio.sleep(EVENT_POLL_S)
            self._hand_over()
            rounds += 1
            if rounds % (METER_EVERY if midi is None or not midi.active else 10) == 0:
                guarded(self._sample)
            now = time.monotonic()
            if now - last_load >= 1.0:
                last_load = now
                self.callback_load.sample(engine.meters, now, engine.sample_rate)
            while engine.garbage:
                held.append((now, engine.garbage.pop()))
            while held and now - held[0][0] > GARBAGE_HOLD_S:
                held.popleft()
            faults = engine.faults
            if faults.count > errors_seen and now - last_error_report >= 1.0:
                last_error_report = now
                log.error(
                    "%d failures in the audio callback (last in %s); each silenced its part, the rest played on",
                    faults.count - errors_seen,
                    faults.described(),
                )
                errors_seen = faults.count
            if now - last_report >= 10.0:
                last_report = now
                xruns = engine.meters.xruns
                if xruns > xruns_seen:
                    log.warning("%d xruns in the last 10 s (%d in all)", xruns - xruns_seen, xruns)
                    xruns_seen = xruns

    async def _supervise(self) -> None:
        while True:
            await asyncio.sleep(SUPERVISE_S)
            try:
                message = await asyncio.to_thread(self.backend.supervise)
            except Exception:
                log.exception("audio backend supervision failed")
                continue
            if message:
                trouble = any(word in message for word in ("went away", "stopped", "cannot"))
                log.warning(message) if trouble else log.info(message)

    @property
    def _providers(self) -> dict[str, str]:
        """Each provider: "ready" or why not (no key, no SDK); worked out once, they do not change while running."""
        if self._provider_status is None and self.actions.generation is not None:
            self._provider_status = self.actions.generation.availability()
        return self._provider_status or {}

    def status(self) -> dict:
        return snapshot(self)
