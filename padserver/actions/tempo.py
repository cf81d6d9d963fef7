"""The project's clock: tempo (set, tapped, followed), metre, quantize, the sync source, the master gain."""

from __future__ import annotations

import logging

from padserver.actions import checks
from padserver.actions.checks import ActionError
from padserver.actions.loading import PadLoading
from padserver.engine import commands as cmd
from padserver.engine.clock import MAX_TEMPO, MIN_TEMPO
from padserver.state import fields
from padserver.values import Invalid

log = logging.getLogger("padserver.actions")

TAP_RESET_S = 2.0  # a tap after this long starts a new series
TAP_KEEP = 8  # the taps a tempo is read from


class ProjectClock(PadLoading):
    """The actions on the project-wide clock and master (a part of `Actions`)."""

    refused_tempo = False  # the last external tempo was out of range (said once)

    def set_tempo(self, bpm: object) -> float:
        tempo = checks.value(fields.TEMPO, bpm, "tempo")
        if self.sync_source == "midi":
            raise ActionError("the tempo follows the midi clock (sync.source); change it there")
        self._undoable_global("tempo", self.project.tempo, tempo, self.set_tempo, continuous=True)
        self.project.tempo = tempo
        self.engine.set(cmd.SetTempo(tempo))
        if self.refitter is not None:
            self.refitter.tempo_changed()
        self.changed(0, "tempo", tempo)
        return tempo

    def set_sync_source(self, name: object) -> str:
        """Where the tempo and the bar grid come from: internal, link (Ableton Link) or midi (an external clock)."""
        source = str(name)
        if source not in ("internal", "midi", "link"):
            raise ActionError(f"the sync source is internal, link or midi (got {source!r})")
        if source == "midi" and self.clock_in is None:
            raise ActionError(
                "following MIDI clock needs padserver:clock_in (JACK audio), or sync.clock_in naming an input "
                "rtmidi can open (MIDI on)"
            )
        if source == "link" and self.link is None:
            if self.make_link is None:
                raise ActionError("Ableton Link is not available here")
            try:
                self.link = self.make_link()
            except ImportError:
                raise ActionError("Ableton Link is not installed (pip install LinkPython-extern)") from None
        self.sync_source = source
        self.engine.send(cmd.SetFreeGrid(source == "internal"))  # another clock's bars are not ours to move
        if self.clock_in is not None:
            self.clock_in.follow = source == "midi"
        if self.link is not None:
            self.link.enable(source == "link")
        self.changed(0, "sync_source", source)
        return source

    def follow_tempo(self, tempo: float, frame: float, beat: float) -> None:
        """An external clock's tempo, and where its beat ``beat`` lies (``frame``); loops follow as for /tempo.
        A tempo outside padserver's range (a Link peer may say anything) is not followed, and said once."""
        try:
            fields.TEMPO.parse(tempo)  # (checked as a tempo from anywhere else is; followed unrounded)
        except Invalid as exc:
            if not self.refused_tempo:
                log.warning("an external tempo %s: not followed", exc)
            self.refused_tempo = True
            return
        self.refused_tempo = False
        changed = abs(tempo - self.project.tempo) >= 0.005
        self.project.tempo = tempo
        self.engine.send(cmd.FollowClock(frame, beat, tempo))
        if changed:
            if self.refitter is not None:
                self.refitter.tempo_changed()
            self.changed(0, "tempo", round(tempo, 2))

    def set_prompt(self, words: object) -> str:
        text = checks.text(words, "prompt", 2000).strip()
        self.project.prompt = text
        self.changed(0, "prompt", text)
        return text

    def tap_tempo(self, now: float | None = None) -> float | None:
        """A tap: the tempo becomes the average of the recent taps (reset after a 2 s pause)."""
        now = self.now() if now is None else now
        if self._taps and now - self._taps[-1] > TAP_RESET_S:
            self._taps.clear()
        self._taps.append(now)
        del self._taps[:-TAP_KEEP]
        if len(self._taps) < 2:
            return None
        interval = (self._taps[-1] - self._taps[0]) / (len(self._taps) - 1)
        return self.set_tempo(min(MAX_TEMPO, max(MIN_TEMPO, 60.0 / interval)))

    def set_timesig(self, beats: object) -> int:
        value = checks.value(fields.BEATS_PER_BAR, beats, "beats per bar")
        self._undoable_global("time signature", self.project.beats_per_bar, value, self.set_timesig)
        self.project.beats_per_bar = value
        self.engine.send(cmd.SetBeatsPerBar(value))
        self.changed(0, "timesig", value)
        return value

    def set_key(self, key: object) -> str:
        """The project's key ("Am", "F#"; "none"): what live pads and generation use when not told another."""
        value = checks.value(fields.KEY, key, "key")
        self._undoable_global("key", self.project.key, value, self.set_key)
        changed, self.project.key = value != self.project.key, value
        self.changed(0, "key", value or "none")
        if changed and self.live is not None:
            self.live.key_changed()
        return value

    def set_quantize(self, quantum: object) -> str:
        name = checks.value(fields.QUANTUM, quantum, "quantum")
        self._undoable_global("quantize", self.project.quantize, name, self.set_quantize)
        self.project.quantize = name
        self.send_quanta()
        self.changed(0, "quantize", name)
        return name

    def master_gain(self, gain: object) -> float:
        value = checks.value(fields.GAIN, gain, "master gain")
        self._undoable_global("master gain", self.project.master_gain, value, self.master_gain, continuous=True)
        self.project.master_gain = value
        self.engine.set(cmd.SetMasterGain(value))
        self.changed(0, "master_gain", value)
        return value
