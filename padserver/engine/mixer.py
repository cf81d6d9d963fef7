"""The engine: applies commands, renders the pads and mixes them, once per block.

`Engine.process` is the one entry point every driver calls (JACK, PortAudio,
the clock-paced null backend and the offline renderer). It runs on the audio
thread under these rules: no allocation that grows with the block or the pad
count (all arrays are preallocated, arithmetic uses `out=`), no locks, no I/O,
no logging. Commands arrive on a bounded lock-free queue (`command_queue`:
settings coalesce) and events leave through a preallocated ring. A part that
fails in a block (a pad, the song, the click, a command) is silenced alone and
noted in `faults`; the rest plays on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from padserver.engine import commands as cmd
from padserver.engine import events as ev
from padserver.engine import follow_commands, fx_commands, pad_commands, record_commands, song_commands
from padserver.engine.capture import InputCapture
from padserver.engine.clock import Clock
from padserver.engine.command_queue import PER_BLOCK, CommandQueue
from padserver.engine.dsp import Fades, Resampler
from padserver.engine.effects import Bank, Chain, Reverb

try:
    from padserver.engine._mix import hold as _hold  # type: ignore[import-not-found]
    from padserver.engine._mix import mixdown as _mixdown  # type: ignore[import-not-found]
    from padserver.engine._mix import steady as _steady  # type: ignore[import-not-found]
except ImportError:  # not built (no C compiler where it was installed): numpy does their work
    _steady = _mixdown = _hold = None
from padserver.engine.faults import Faults
from padserver.engine.limiter import Limiter
from padserver.engine.meters import Meters
from padserver.engine.metronome import Metronome
from padserver.engine.quantum import ONE_BAR, Quantum
from padserver.engine.song import SongPlayer
from padserver.engine.voice import PadVoice

PADS = 16
_NOT_A_SIGNAL = 1e6  # a master peak at or past this (or NaN) is a fault, not music
_BAD_MIX = FloatingPointError("the master went to NaN or infinity; that block was silenced")


class Engine:
    """Sixteen pad voices on one musical clock, mixed to a stereo master (and stems)."""

    def __init__(
        self,
        sample_rate: int = 48000,
        max_block: int = 4096,
        pads: int = PADS,
        tempo: float = 120.0,
        beats_per_bar: int = 4,
        fade_ms: float = 2.0,
        launch_together_ms: float = 60.0,
    ) -> None:
        self.sample_rate = int(sample_rate)
        self.max_block = int(max_block)
        self.pads = pads
        self.clock = Clock(self.sample_rate, tempo, beats_per_bar)
        # (settings: the latest value wins, see `set`)
        self.commands = CommandQueue(
            (cmd.SetPadGains, cmd.SetMasterGain, cmd.SetTempo, cmd.SetLimiter, cmd.SetMetronome)
        )
        self.events = ev.EventRing()
        self.on_command: Callable[[], None] | None = None  # control side: told of every command sent (the pump's pace)
        self.faults = Faults()  # what failed inside the callback (each part silenced, the rest played on)
        self._labels = tuple(f"pad {i + 1}" for i in range(pads))
        self.meters = Meters(pads, self.max_block)
        self.garbage: list = []  # buffers released by the engine; the control side drops them
        self.fades = Fades(round(fade_ms * self.sample_rate / 1000.0))
        self.resampler = Resampler(self.max_block)
        self.voices = [PadVoice(i, self.fades, self.events, self.garbage, self.resampler) for i in range(pads)]
        # the pads' steady runs are copied in one call (engine._mix): each voice keeps its buffer's address and
        # frames in its row of the table; a block's first frame to copy goes in ``_steady_at``
        self._steady_table = np.zeros((pads, 2), dtype=np.int64)
        self._steady_at = np.zeros(pads, dtype=np.int64)
        for i, voice in enumerate(self.voices):
            voice.table = self._steady_table[i]
        for voice in self.voices:
            voice.out_beat = self.clock.frames_per_beat
        # The cue voice previews library loops outside the pads: its own output, or into the master.
        self.cue_voice = PadVoice(pads, self.fades, self.events, self.garbage)
        self.cue_to_master = False
        self._cue_flat = np.zeros(2 * self.max_block, dtype=np.float32)
        self._cue = self._cue_flat.reshape(2, self.max_block)
        self._cue_dirty = False
        self.limiter = Limiter(self.sample_rate, self.max_block)
        self.fx_bank = Bank(self.sample_rate, pads)  # each pad's effects, run in one call a block
        self.fx = self.fx_bank.chains
        self.master_fx = Chain(self.sample_rate)
        self.reverb = Reverb(self.sample_rate, self.max_block)  # the pads' sends, its return into the master
        self.fx_on = False  # a chain or the reverb may be busy: only then are they looked at
        self.song = SongPlayer(self.max_block, self.fades, self.sample_rate)
        self.metronome = Metronome(self.sample_rate, self.max_block)
        self.capture = InputCapture()
        self._master_views: list = [None, None]
        self.inputs: list | None = None  # the driver's input channels for this block (views), if it has any
        self.recorded: np.ndarray | None = None  # the last complete take, until the control side takes it
        self.frame = 0  # the first frame of the next block
        self._block_end = 0  # where the last block ended: the driver moves ``frame`` past a cycle it dropped
        self.free_grid = True  # the grid restarts at a launch when nothing plays (internal sync)
        self.together = round(launch_together_ms * self.sample_rate / 1000.0)
        self.grid_start = -(1 << 62)
        # Presses matched on the audio thread (JACK MIDI), applied on their own frame.
        self.pad_quanta: tuple[Quantum, ...] = tuple(ONE_BAR for _ in range(pads))
        self._presses = np.zeros((256, 4), dtype=np.int64)  # pad, offset, velocity (0 = release), scale
        self._press_count = 0
        # Flat storage, viewed as contiguous (pads, 2, n) and (2, n) blocks for each block size.
        self._rows_flat = np.zeros(pads * 2 * self.max_block, dtype=np.float32)
        self._mix_flat = np.zeros(2 * self.max_block, dtype=np.float32)
        self._rows = self._rows_flat.reshape(pads, 2, self.max_block)
        self._mix = self._mix_flat.reshape(2, self.max_block)
        self._dirty = [False] * pads
        self._pads_quiet = False  # no pad sounded, held a row or waited to launch at the last block
        self.choke_groups = False  # any pad in a choke group: only then scan for chokes
        self._master_hi = np.zeros(2, dtype=np.float32)
        self._mix_abs_flat = np.zeros(2 * self.max_block, dtype=np.float32)
        self._gain_now = np.zeros((pads, 2), dtype=np.float32)
        self.end_beats = np.zeros(pads, dtype=np.float64)  # where playing cycles end, while the clock moves
        self._gain_to = np.zeros((pads, 2), dtype=np.float32)
        self._gain_delta = np.zeros((pads, 2), dtype=np.float32)
        self._gains_moving = False
        self._gmat_flat = np.zeros(pads * 2 * self.max_block, dtype=np.float32)
        self._gcols_flat = np.zeros(pads * 2 * self.max_block, dtype=np.float32)
        self._gmat_steady = False
        self._master_ramp = np.zeros(self.max_block, dtype=np.float32)
        self._ramp = np.arange(self.max_block, dtype=np.float32) + 1.0
        self._master_now = 1.0
        self._master_to = 1.0
        self._views_n = -1
        self._row_views: list[np.ndarray] = []
        # command type → handler(engine, command, first frame of the block), grouped by topic
        self._handlers: dict[type, Callable[[Engine, Any, int], None]] = {
            **pad_commands.HANDLERS,
            **song_commands.HANDLERS,
            **record_commands.HANDLERS,
            **follow_commands.HANDLERS,
            **fx_commands.HANDLERS,
            cmd.SetPadGains: Engine._on_set_pad_gains,
            cmd.SetMasterGain: Engine._on_set_master_gain,
            cmd.SetLimiter: Engine._on_set_limiter,
        }

    # -- control side ----------------------------------------------------------
    def send(self, command: object) -> None:
        """Control thread: queue a command for the start of the next block (`EngineBusy` when the queue is full)."""
        self.commands.send(command)
        if self.on_command is not None:
            self.on_command()

    def set(self, setting: object) -> None:
        """Control thread: a new value of a setting (gains, tempo …); the engine applies the latest one."""
        self.commands.set(setting)
        if self.on_command is not None:
            self.on_command()

    def set_master_gain_now(self, gain: float) -> None:
        """Set the master gain without a ramp; only before a driver runs the engine."""
        self._master_now = self._master_to = float(gain)

    def set_initial_gains(self, gains: np.ndarray) -> None:
        """Set pad gains without a ramp; only before a driver runs the engine."""
        self._gain_now[:] = gains
        self._gain_to[:] = gains

    # -- audio thread ------------------------------------------------------------
    def process(self, n: int) -> np.ndarray:
        """Render the next ``n`` frames; returns the master as a (2, n) view.

        The per-pad stems of the same block are `stems()` until the next call.
        """
        f0 = self.frame
        mix = self._process(n)
        if self.capture.master and self.capture.buffer is not None:  # resampling: the master as it leaves
            self._master_views[0] = mix[0]
            self._master_views[1] = mix[1]
            self._capture(self._master_views, f0, mix.shape[1])
        return mix

    def _capture(self, channels, f0: int, n: int) -> None:
        """Record this block of ``channels`` into the armed take; a complete take goes out with an event."""
        try:
            done = self.capture.process(channels, f0, n, self.clock)
        except Exception as exc:  # the take is abandoned; the music plays on
            self.faults.note(exc, "recording")
            self.garbage.append(self.capture.cancel())  # (freed by the control side, not here)
            return
        if done:
            pad = self.capture.pad
            self.recorded = self.capture.cancel()  # handed over before the event: the control side may read it
            self.events.push(ev.RECORDED, pad, f0 + n)  # the moment the event is in the ring

    def _process(self, n: int) -> np.ndarray:
        f0 = self.frame
        skipped = max(0, f0 - self._block_end)  # frames of a cycle the driver dropped
        commands = self.commands
        changed = False  # a command, press or choke touched the voices: none keeps its steady run
        for _ in range(PER_BLOCK):
            command = commands.pop()
            if command is None:
                break
            changed = True
            try:
                self._handlers[type(command)](self, command, f0)
            except Exception as exc:  # the command is dropped; what it would have changed stays as it was
                self.faults.note(exc, type(command).__name__)
        if n > self.max_block:
            n = self.max_block
        if n != self._views_n:
            self._set_block_size(n)
        if self._press_count:
            changed = True
            self._apply_presses(f0, n)
        if self.choke_groups:
            changed = True
            self._chokes(f0, n)
        voices = self.voices
        if changed:
            for voice in voices:
                voice.steady_to = 0
        clock = self.clock
        if skipped and self.fx_on:  # (the delays' lines move on with the music)
            for chain in (*self.fx, self.master_fx, *self.song.fx):
                chain.skip(skipped)
        if self.capture.buffer is not None and not self.capture.master:
            self._capture(self.inputs, f0, n)
        views = self._row_views
        dirty = self._dirty
        sounding = False
        end = f0 + n
        fx_on = self.fx_on
        fx = self.fx
        rows_sounding = 0  # a bit for each pad whose row holds sound this block
        copy_steady, steady_at, steady, steadies = _steady, self._steady_at, 0, 0
        faulted = 0
        beat = clock.frames_per_beat
        reverb = self.reverb
        # All pads silent and nothing pending at the last block, and nothing has reached them since: they are
        # silent now too (only a command, press or choke starts one).
        for i, voice in enumerate(() if self._pads_quiet and not changed else voices):
            try:
                if voice.steady_to >= end and voice.steady_from == f0:
                    # The voice's steady run goes on (see PadVoice.render): the next frames of its buffer.
                    j = voice.steady_read
                    if copy_steady is not None and voice.table[0]:
                        steady_at[i] = j  # (copied with the others after the loop)
                        steady |= 1 << i
                        steadies += 1
                    else:
                        np.copyto(views[i], voice.buffer[:, j : j + n])  # type: ignore[index]  # (it has one)
                    voice.steady_read = j + n
                    voice.steady_from = end
                    sounds = True
                else:
                    sounds = voice.render(views[i], f0, n, clock)
            except Exception as exc:  # this pad falls silent; the others play on
                self.faults.note(exc, self._labels[i])
                voice.halt(f0, tail=False)
                sounds = False
                dirty[i] = True  # (its row holds whatever it wrote before it failed)
                faulted |= 1 << i
            if sounds:
                dirty[i] = True
                sounding = True
                rows_sounding |= 1 << i
            elif dirty[i]:
                views[i].fill(0.0)
                dirty[i] = False
        if steady and copy_steady(self._rows, n, self.pads, steady, self._steady_table, steady_at) != steadies:
            for i in range(self.pads):  # (not reached: the voices' runs lie within their buffers)
                if (steady >> i) & 1:
                    j = int(steady_at[i])
                    np.copyto(views[i], voices[i].buffer[:, j : j + n])  # type: ignore[index]
        if fx_on:  # every busy chain in one call (a silent pad's delay rings on into its row)
            try:
                ringing = self.fx_bank.process(self._rows, n, rows_sounding, beat, reverb.bus, self._gain_now)
            except Exception as exc:  # the pads' effects are switched off; they play on dry
                self.faults.note(exc, "pads' effects")
                for chain in fx:
                    chain.reset()
                ringing = 0
            if ringing:
                sounding = True
                for i in range(self.pads):
                    if (ringing >> i) & 1:
                        dirty[i] = True
                rows_sounding |= ringing
        held = rows_sounding | faulted  # the rows that hold sound (the others are silent: zeros)
        # (a pad that plays, waits to launch or rings out writes its row: it sounds)
        self._pads_quiet = not sounding and True not in dirty
        cue = self._cue
        try:
            cue_sounds = self.cue_voice.render(cue, f0, n, clock)
        except Exception as exc:
            self.faults.note(exc, "cue")
            self.cue_voice.halt(f0, tail=False)
            cue_sounds = False
            self._cue_dirty = True
        if cue_sounds:
            self._cue_dirty = True
        elif self._cue_dirty:
            cue.fill(0.0)
            self._cue_dirty = False
        mix = self._mix
        meters = self.meters
        meters.blocks += 1
        self.frame = self._block_end = f0 + n
        if self.cue_to_master and self._cue_dirty:
            sounding = True
        pads_sounding = sounding or self._gains_moving
        song = self.song
        song_on = song.active or (song.fx_rows != 0 and song.ringing)  # (a stopped song's echoes ring on)
        if song_on:
            sounding = True
        if fx_on and reverb.ringing > 0.0:
            sounding = True
        metronome = self.metronome
        clicks = metronome.busy(song.playing)
        if clicks and metronome.to_master:
            sounding = True
        if not sounding and not self._gains_moving and self._master_now == self._master_to:
            # Nothing plays: silence, and the limiter recovers as it would on silence.
            mix.fill(0.0)
            self.limiter.rest(n)
            if clicks:  # the click ports' own block
                self._click(mix, f0, n, skipped)
            return mix
        rows = self._rows
        if pads_sounding and _mixdown is not None and not self._gains_moving:
            _mixdown(rows, n, self.pads, held, self._gain_now, mix)  # (the rows at their gains, summed)
        elif pads_sounding:
            self._apply_pad_gains(rows, n)
            np.add.reduce(rows, axis=0, out=mix)
        else:  # only the song (or the cue) sounds: the pads' rows are silent
            mix.fill(0.0)
        if song_on:
            try:
                song.render(mix, f0, n, clock, reverb.bus)
            except Exception as exc:  # the song stops where it is; the pads play on
                self.faults.note(exc, "song")
                song.stop(clock, f0)
        if clicks or metronome.busy(song.playing):  # the song may have started in this block
            self._click(mix, f0, n, skipped)
        if self.cue_to_master and self._cue_dirty:
            mix += cue
        if fx_on:
            self._master_effects(mix, n, beat)
        self._apply_master_gain(mix, n)
        hi = self._master_hi
        peak = self._peaks(mix, hi)
        if not peak < _NOT_A_SIGNAL:  # NaN or a sum far past any audio: never let it out, nor into the limiter
            self._bad_master(mix, f0, pads_sounding)
            peak = 0.0
        gain = self.limiter.process(mix, peak)
        if gain < 1.0:
            if gain < meters.min_gain[0]:
                meters.min_gain[0] = gain
            self._peaks(mix, hi)  # the meters show what leaves the limiter
        np.maximum(meters.master_peak, hi, out=meters.master_peak)
        if pads_sounding and _hold is not None:  # the pads' peak hold, frame by frame (reduced when read)
            _hold(rows, n, self.pads, held, self._pad_hold)
        elif pads_sounding:
            magnitudes = self._rows_abs
            np.abs(self._rows_2d, out=magnitudes)
            np.maximum(self._pad_hold, magnitudes, out=self._pad_hold)
        return mix

    def _master_effects(self, mix: np.ndarray, n: int, beat: float) -> None:
        """The reverb's return into the master, then the master's own chain; whether any is left busy."""
        reverb = self.reverb
        try:
            if reverb.busy:
                mix += reverb.process(n)
                reverb.emptied()
            if self.master_fx.active:
                self.master_fx.process(mix, n, beat)
        except Exception as exc:  # the master's effects are switched off; the music plays on dry
            self.faults.note(exc, "master effects")
            self.master_fx.reset()
            reverb.clear()
        # (a pad's chain is busy while its entry in the bank's peaks is not -1)
        self.fx_on = reverb.busy or self.master_fx.active or bool(self.fx_bank.peaks.max() >= 0.0)

    def _peaks(self, mix: np.ndarray, hi: np.ndarray) -> float:
        """Each channel's peak magnitude of ``mix`` into ``hi``; the larger (NaN when a sample is NaN)."""
        magnitudes = self._mix_abs
        np.abs(mix, out=magnitudes)
        np.maximum.reduce(magnitudes, axis=1, out=hi)
        left, right = float(hi[0]), float(hi[1])
        return left if left >= right or left != left else right

    def _bad_master(self, mix: np.ndarray, f0: int, pads_sounding: bool) -> None:
        """The master went to NaN or past any audio: this block is silent, and the pads whose own rows did so
        fall silent (or the song, when none did). A fault path: it may allocate."""
        self.faults.note(_BAD_MIX, "master")
        mix.fill(0.0)
        culprits = 0
        if pads_sounding:
            rows = self._rows_2d
            for i in range(self.pads):
                peak = float(np.max(np.abs(rows[i])))
                if not peak < _NOT_A_SIGNAL:
                    self.faults.note(_BAD_MIX, self._labels[i])
                    self.voices[i].halt(f0, tail=False)
                    rows[i].fill(0.0)
                    culprits += 1
        if not culprits and self.song.active:
            self.faults.note(_BAD_MIX, "song")
            self.song.stop(self.clock, f0)

    def _click(self, mix: np.ndarray, f0: int, n: int, skipped: int) -> None:
        try:
            self.metronome.render(mix, f0, n, self.clock, self.song, skipped)
        except Exception as exc:
            self.faults.note(exc, "metronome")
            self.metronome.out.fill(0.0)

    def cue(self) -> np.ndarray:
        """The cue voice's output of the last block: (2, n)."""
        return self._cue

    def silence(self, n: int) -> np.ndarray:
        """A silent (2, n) master block, for a driver whose engine call failed."""
        if n != self._views_n:
            self._set_block_size(min(n, self.max_block))
        self._mix.fill(0.0)
        return self._mix

    def stems(self) -> np.ndarray:
        """Per-pad output of the last block, after gain and pan: (pads, 2, n)."""
        return self._rows

    def _set_block_size(self, n: int) -> None:
        """New views for a new block size (happens when the driver changes it, not per block)."""
        size = self.pads * 2 * n
        self._rows = self._rows_flat[:size].reshape(self.pads, 2, n)
        self._rows_2d = self._rows_flat[:size].reshape(self.pads, 2 * n)
        self._mix = self._mix_flat[: 2 * n].reshape(2, n)
        self._cue = self._cue_flat[: 2 * n].reshape(2, n)
        self._cue_dirty = True
        self._rows_2d_planar = self._rows_flat[:size].reshape(self.pads * 2, n)
        self._rows_abs = self._gcols_flat[:size].reshape(self.pads, 2 * n)  # (scratch shared: used after the gains)
        self._mix_abs = self._mix_abs_flat[: 2 * n].reshape(2, n)
        self._pad_hold = self.meters.hold_view(n)
        self._gmat = self._gmat_flat[:size].reshape(self.pads * 2, n)
        self._gcols = self._gcols_flat[:size].reshape(self.pads * 2, n)
        self._gmat_steady = False
        self._row_views = [self._rows[i] for i in range(self.pads)]
        self.reverb.set_block(n)
        self._dirty = [True] * self.pads
        self._views_n = n

    def _apply_pad_gains(self, rows: np.ndarray, n: int) -> None:
        # Same-shape multiplies only: numpy buffers (allocates) when an in-place
        # multiply broadcasts, so gains live expanded in a (pads·2, n) matrix.
        rows2 = self._rows_2d_planar
        gmat = self._gmat
        if not self._gains_moving:
            if not self._gmat_steady:
                np.copyto(gmat, self._gain_now.reshape(-1, 1))
                self._gmat_steady = True
            rows2 *= gmat
            return
        # Ramp every pad's gain across this block, so mute, solo and faders never click.
        cols = self._gcols
        np.copyto(gmat, self._ramp[:n])
        gmat *= 1.0 / n
        np.subtract(self._gain_to, self._gain_now, out=self._gain_delta)
        np.copyto(cols, self._gain_delta.reshape(-1, 1))
        gmat *= cols
        np.copyto(cols, self._gain_now.reshape(-1, 1))
        gmat += cols
        rows2 *= gmat
        self._gain_now[:] = self._gain_to
        self._gains_moving = False
        self._gmat_steady = False

    def _apply_master_gain(self, mix: np.ndarray, n: int) -> None:
        if self._master_now == self._master_to:
            if self._master_now != 1.0:
                mix *= self._master_now
            return
        ramp = self._master_ramp[:n]
        np.multiply(self._ramp[:n], (self._master_to - self._master_now) / n, out=ramp)
        ramp += self._master_now
        mix[0] *= ramp
        mix[1] *= ramp
        self._master_now = self._master_to

    def _chokes(self, f0: int, n: int) -> None:
        """A pad starting in this block stops the others of its choke group on that frame."""
        end = f0 + n
        for voice in self.voices:
            if voice.choke == 0 or not voice.launch_pending:
                continue
            lf = voice.next_launch_frame(self.clock)
            if lf >= end:
                continue
            lf = max(lf, f0)
            for other in self.voices:
                if other is not voice and other.choke == voice.choke and other.playing:
                    if other.stop_frame > lf:
                        other.stop_beat = None
                        other.stop_frame = lf

    # -- presses from the audio thread's own MIDI input ----------------------------------------
    def press(self, pad: int, offset: int, velocity: int, scale: bool = False) -> bool:
        """Audio thread, before `process`: a pad press (velocity 0: release) ``offset`` frames into the block.

        With ``scale`` the velocity sets a one-shot's level. False for a live pad's press: the control side's.
        """
        if self.voices[pad].mode == cmd.LIVE:
            return False
        i = self._press_count
        if i < len(self._presses):
            row = self._presses[i]
            row[0] = pad
            row[1] = offset
            row[2] = velocity
            row[3] = scale
            self._press_count = i + 1
        return True

    def _apply_presses(self, f0: int, n: int) -> None:
        for i in range(self._press_count):
            pad, offset, velocity, scale = (int(v) for v in self._presses[i])
            now = f0 + min(max(offset, 0), n - 1)
            voice = self.voices[pad]
            if velocity:
                pad_commands.trigger(self, voice, self.pad_quanta[pad], now, velocity / 127.0 if scale else 1.0)
            else:
                pad_commands.release(self, voice, now)
        self._press_count = 0

    # -- command handlers (audio thread) ----------------------------------------------

    def _on_set_pad_gains(self, c: cmd.SetPadGains, f0: int) -> None:
        self._gain_to[:] = c.gains
        self._gains_moving = True

    def _on_set_master_gain(self, c: cmd.SetMasterGain, f0: int) -> None:
        self._master_to = float(c.gain)

    def _on_set_limiter(self, c: cmd.SetLimiter, f0: int) -> None:
        self.limiter.enabled = c.enabled
        self.limiter.set_ceiling(c.ceiling_db)

    # -- helpers for drivers and tests -----------------------------------------------
    def frames_per_bar(self) -> float:
        return self.clock.frames_per_bar()
