"""Recording audio input into a pad: from the next bar line (after a count-in), a fixed number of bars, into the
library and the pad."""

from __future__ import annotations

import logging
import math

import numpy as np

from padserver.actions import checks
from padserver.actions.checks import ActionError
from padserver.engine import commands as cmd

log = logging.getLogger("padserver.record")

OPEN_BARS = 32  # the longest open-ended take


class Recording:
    def __init__(self, actions, latency=lambda: 0, inputs: int = 0) -> None:
        self.actions = actions
        self.latency = latency  # frames from what the player heard to our inputs (the backend says)
        self.inputs = inputs  # how many input channels the backend has
        self.pending: dict[int, tuple[int, float, str]] = {}  # pad → (bars, tempo, state before)

    def record(self, number: object, bars: object = 4, options: list | tuple = ()) -> int:
        a = self.actions
        pad = a.pad_of(number)
        if self.inputs == 0:
            raise ActionError(
                "no audio inputs here: recording needs JACK input ports (audio.jack.inputs) or a PortAudio device "
                "with inputs (audio.inputs, audio.input_device)"
            )
        if pad.number in self.pending and self.pending[pad.number][0] == 0:
            a.engine.send(cmd.FinishRecord())  # the second press: the take ends on the next bar line
            return 0
        n = checks.whole(bars, "bars", 0, 64)  # 0: until asked again, rounded to whole bars
        opts = checks.key_values(options, {"inputs": str, "count": str}, "record")
        channels = (0, 1)
        if "inputs" in opts:
            picked = [checks.whole(v, "input", 1, self.inputs) - 1 for v in opts["inputs"].split(",") if v.strip()]
            if not 1 <= len(picked) <= 2:
                raise ActionError("inputs are one or two input numbers, e.g. inputs=1 or inputs=1,2")
            channels = (picked[0], picked[-1])
        count_in = checks.whole(opts["count"], "count-in bars", 0, 4) if "count" in opts else None
        if count_in is None:  # with nothing to play along with, the player gets a count-in
            silent = not a.engine.song.active and not any(p.sounding for p in a.project.pads)
            count_in = a.song.count_in_bars if silent else 0
        if a.engine.capture.active or self.pending:
            raise ActionError("a recording is already running; one at a time")
        frames = math.ceil((n or OPEN_BARS) * a.engine.frames_per_bar()) + 1
        buffer = np.zeros((2, frames), dtype=np.float32)
        a.engine.send(cmd.Record(pad.number - 1, buffer, channels, int(self.latency()), count_in=count_in))
        self.pending[pad.number] = (n, a.project.tempo, pad.state)
        a.set_pad_state(pad, "recording")
        return n

    def resample(self, number: object, bars: object = 4) -> int:
        """Record the master output itself into a pad, from the next bar line, as it leaves padserver."""
        a = self.actions
        pad = a.pad_of(number)
        n = checks.whole(bars, "bars", 1, 64)
        if a.engine.capture.active or self.pending:
            raise ActionError("a recording is already running; one at a time")
        buffer = np.zeros((2, math.ceil(n * a.engine.frames_per_bar()) + 1), dtype=np.float32)
        a.engine.send(cmd.Record(pad.number - 1, buffer, master=True))
        self.pending[pad.number] = (n, a.project.tempo, pad.state)
        a.set_pad_state(pad, "recording")
        return n

    async def recorded(self, pad_index: int) -> None:
        """The engine filled the take: keep it in the library (source recorded) and put it on the pad."""
        a = self.actions
        number = pad_index + 1
        take = a.engine.recorded
        take_from_master = a.engine.capture.master
        a.engine.recorded = None
        bars, tempo, before = self.pending.pop(number, (0, a.project.tempo, "empty"))
        pad = a.project.pad(number)
        if take is not None and bars == 0:  # open-ended: as many whole bars as it ran
            bars = round(take.shape[1] / a.engine.frames_per_bar())
        if take is None or bars == 0:
            log.warning(
                "pad %d: %s", number, "the take was lost" if take is None else "the take was shorter than a bar"
            )
            a.set_pad_state(pad, before)
            return
        meta = {
            "name": f"{'resample' if take_from_master else 'recording'} pad {number}",
            "category": "other",
            "bpm": tempo,
            "key": None,
            "bars": bars,
            "source": "recorded",
            "provider": None,
            "model": None,
            "prompt": None,
            "params": None,
            "seed": None,
            "watermark": None,
        }
        recipe = a.take_recipe(tempo, bars, 0.0)  # it starts on the bar line it was recorded from
        try:
            loop = await a.library.add_generated(take, a.engine.sample_rate, meta, recipe)
            a.set_pad_state(pad, before)
            await a.pad_load(number, loop.id)
            log.info("pad %d: recorded %d bar%s as loop %d", number, bars, "" if bars == 1 else "s", loop.id)
        except Exception as exc:  # the pad keeps what it had
            a.set_pad_state(pad, before)
            log.warning("pad %d: the recording could not be kept: %s", number, exc)
