"""The PortAudio backend (sounddevice): CoreAudio, ALSA/PulseAudio/PipeWire, WASAPI."""

from __future__ import annotations

import atexit
import logging
import threading
from time import perf_counter_ns
from typing import Any

from padserver.drivers.backend import Backend, BackendError, BackendInfo
from padserver.sync.stream_clock import StreamClock, host_seconds

log = logging.getLogger(__name__)


def _sounddevice():
    try:
        import sounddevice as sd
    except OSError as exc:  # the PortAudio library itself is missing
        raise BackendError(f"PortAudio is not installed ({exc}); install libportaudio2") from None
    return sd


def find_output_device(sd, name: str) -> int:
    """The output device whose name contains ``name`` (case-insensitive), or the default."""
    devices = sd.query_devices()
    if not name:
        try:
            default = sd.query_devices(kind="output")
        except Exception:
            raise BackendError("no default audio output device") from None
        return int(default["index"])
    matches = [i for i, d in enumerate(devices) if d["max_output_channels"] >= 2 and name.lower() in d["name"].lower()]
    if not matches:
        names = ", ".join(d["name"] for d in devices if d["max_output_channels"] >= 2) or "none"
        raise BackendError(f"no output device matches {name!r} (outputs: {names})")
    return matches[0]


def find_input_device(sd, name: str, output: int) -> int | None:
    """The input device whose name contains ``name``; "" = the output device if it has inputs, else the default."""
    devices = sd.query_devices()
    if name:
        matches = [
            i for i, d in enumerate(devices) if d["max_input_channels"] >= 1 and name.lower() in d["name"].lower()
        ]
        if not matches:
            names = ", ".join(d["name"] for d in devices if d["max_input_channels"] >= 1) or "none"
            raise BackendError(f"no input device matches {name!r} (inputs: {names})")
        return matches[0]
    if devices[output]["max_input_channels"] >= 1:
        return output
    try:
        return int(sd.query_devices(kind="input")["index"])
    except Exception:
        return None


class PortAudioBackend(Backend):
    name = "portaudio"

    @classmethod
    def open(cls, config, reason: str) -> PortAudioBackend:
        sd = _sounddevice()
        audio = config.audio
        device = find_output_device(sd, audio.device)
        return cls(sd, device, config, reason)

    def __init__(self, sd, device: int, config, reason: str) -> None:
        super().__init__()
        audio = config.audio
        self._sd = sd
        self._device = device
        self._latency = audio.latency
        info = sd.query_devices(device)
        rate = int(audio.sample_rate or info["default_samplerate"])
        self.info = BackendInfo("portaudio", reason, rate, int(audio.block_size), device=info["name"])
        self._stream: Any = None
        self._running = False  # started and not stopped: a stream that is not active then stopped on its own
        self._reopen_failed = False
        self._stuck = False  # a stopped stream PortAudio would not close: no reopening in this process
        self._device_name = audio.device
        self.stream_clock = self._stamps = StreamClock(rate)  # when each block is heard (Link, MIDI clock in)
        self._out_s = 0.0  # the stream's output latency in seconds, where a host API gives no DAC times
        self._input: int | None = None
        self.inputs = 0  # input channels recorded from
        if int(audio.inputs):
            self._input = find_input_device(sd, audio.input_device, device)
            if self._input is not None:
                self.inputs = min(int(audio.inputs), int(sd.query_devices(self._input)["max_input_channels"]))
        self._input_views: list = [None] * self.inputs
        self._in_latency = 0
        outputs = int(info["max_output_channels"])
        self._master_ch = int(audio.master_channels) - 1
        self._cue_ch = int(audio.cue_channels) - 1 if audio.cue_channels else -1
        self._pad_ch = int(audio.pad_channels) - 1 if audio.pad_channels else -1
        for what, first in (("master", self._master_ch), ("cue", self._cue_ch), ("pad", self._pad_ch)):
            if first >= 0 and first + 2 > outputs:
                raise BackendError(
                    f"audio.{what}_channels {first + 1}: {info['name']!r} has {outputs} outputs, not {first + 1}/{first + 2}"
                )
        self._pads_out = min(16, (outputs - self._pad_ch) // 2) if self._pad_ch >= 0 else 0
        used = [self._master_ch + 2, self._cue_ch + 2, self._pad_ch + 2 * self._pads_out]
        self._channels = max(2, *used)
        self._spare = self._channels > 2 + (2 if self._cue_ch >= 0 else 0) + 2 * self._pads_out
        self.info.outputs = self._output_names()

    @property
    def connected(self) -> bool:
        return self._stream is not None and bool(self._stream.active)

    def supervise(self) -> str | None:
        """Open the stream again when it stopped on its own (the device went away, the host API aborted it);
        returns what to log. A device that is gone is looked for again every round until it is back."""
        if not self._running or self._stuck or self.connected:
            return None
        said = None
        if self._stream is not None:
            said = f"the audio stream on {self.info.device!r} stopped; padserver keeps running and reopens it"
            if not self._close_stream():
                # (PortAudio's JACK host API after its server died: closing waits for a callback that never
                # comes, and PortAudio cannot be started again in this process)
                self._stuck = True
                return (
                    f"the audio stream on {self.info.device!r} stopped and PortAudio does not let it go; "
                    "restart padserver to get the audio back (the service restarts on its own)"
                )
        try:
            self._sd._terminate()  # PortAudio lists devices once per initialisation: a replugged one is new
            self._sd._initialize()
            self._device = find_output_device(self._sd, self._device_name)
            self._open()
        except Exception as exc:
            if self._reopen_failed:
                return said
            self._reopen_failed = True  # (said once, not every round)
            return f"{said}; not yet: {exc}" if said else f"cannot reopen the audio stream yet: {exc}"
        self._reopen_failed = False
        self._stamps.reset()
        return f"the audio stream on {self.info.device!r} is open again"

    def _close_stream(self) -> bool:
        """Close the stopped stream, on a thread of its own: False when PortAudio did not within 2 s."""
        stream, self._stream = self._stream, None

        def close() -> None:
            try:
                stream.abort()
                stream.close()
            except Exception as exc:
                log.debug("closing the stopped stream: %s", exc)

        closing = threading.Thread(target=close, name="portaudio-close", daemon=True)
        closing.start()
        closing.join(2.0)
        if closing.is_alive():
            # sounddevice stops and terminates PortAudio at exit, which would wait on this stream for good: the
            # process leaves it to the system instead
            atexit.unregister(self._sd._exit_handler)
            return False
        return True

    def start(self) -> None:
        self._open()
        self._running = True

    def _open(self) -> None:
        sd = self._sd
        common = {"samplerate": self.info.sample_rate, "blocksize": self.info.block_size, "dtype": "float32"}
        try:
            if self.inputs:  # one duplex stream: input and output on the same clock
                self._stream = sd.Stream(
                    device=(self._input, self._device),
                    channels=(self.inputs, self._channels),
                    latency=self._latency,
                    callback=self._duplex,
                    **common,
                )
            else:
                self._stream = sd.OutputStream(
                    device=self._device,
                    channels=self._channels,
                    latency=self._latency,
                    callback=self._callback,
                    **common,
                )
            self._stream.start()
        except Exception as exc:
            raise BackendError(f"cannot open {self.info.device!r}: {exc}") from None
        latency = self._stream.latency
        rate = self.info.sample_rate
        if self.inputs:
            self._in_latency = int(round(latency[0] * rate))
            latency = latency[1]
        self.info.output_latency = int(round(latency * rate))
        self._out_s = float(latency)

    def _output_names(self) -> list[str]:
        names = [f"master on outputs {self._master_ch + 1}/{self._master_ch + 2}"]
        if self._cue_ch >= 0:
            names.append(f"cue on outputs {self._cue_ch + 1}/{self._cue_ch + 2}")
        for i in range(self._pads_out):
            first = self._pad_ch + 2 * i + 1
            names.append(f"pad{i + 1:02d} on outputs {first}/{first + 1}")
        return names

    def output_latencies(self) -> dict[str, int]:
        """Every output pair leaves through the same stream: the stream's output latency."""
        names = ["master"] + (["cue"] if self._cue_ch >= 0 else []) + [f"pad{i + 1:02d}" for i in range(self._pads_out)]
        return {name: self.info.output_latency for name in names}

    def input_latency(self) -> int:
        """What PortAudio reports for the way in and the way out."""
        return self._in_latency + self.info.output_latency

    def _duplex(self, indata, outdata, frames, time, status) -> None:
        # Audio thread: the inputs as column views (no copies), then the output as below.
        if status.input_overflow:
            self.engine.meters.xruns += 1
        try:
            views = self._input_views
            for i in range(self.inputs):
                views[i] = indata[:, i]
            self.engine.inputs = views
        except Exception as exc:
            self.engine.faults.note(exc, "PortAudio inputs")
            self.engine.inputs = None
        self._callback(outdata, frames, time, status)

    def _callback(self, outdata, frames, time, status) -> None:
        # Audio thread: no logging, no allocation, no locks. PortAudio aborts a stream whose callback raises.
        began = perf_counter_ns()
        try:
            self._write(outdata, frames, time, status)
        except Exception as exc:
            self.engine.faults.note(exc, "PortAudio stream")
            outdata.fill(0.0)
        self.engine.meters.timed(perf_counter_ns() - began)

    def _write(self, outdata, frames, time, status) -> None:
        if status.output_underflow:
            self.engine.meters.xruns += 1
            self._stamps.reset()
        dac = time.outputBufferDacTime - time.currentTime
        self._stamps.stamp(self.engine.frame, host_seconds() + (dac if dac > 0.0 else self._out_s))
        mix = self._render(frames)
        if self._spare:
            outdata.fill(0.0)  # channels no output uses
        m = self._master_ch
        outdata[:, m] = mix[0]  # numpy copies into the stream's buffer (no allocation)
        outdata[:, m + 1] = mix[1]
        if self._cue_ch >= 0:
            cue = self.engine.cue()
            outdata[:, self._cue_ch] = cue[0]
            outdata[:, self._cue_ch + 1] = cue[1]
        if self._pads_out:
            stems = self.engine.stems()
            p = self._pad_ch
            for i in range(self._pads_out):
                outdata[:, p + 2 * i] = stems[i, 0]
                outdata[:, p + 2 * i + 1] = stems[i, 1]

    def stop(self) -> None:
        self._running = False
        if self._stream is None:
            return
        if self._stream.active:
            self._stream.stop()
            self._stream.close()
            self._stream = None
        elif not self._close_stream():  # (a stream that stopped on its own may never close: do not wait on it)
            log.warning("PortAudio did not close the stopped audio stream")
