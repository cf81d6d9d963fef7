"""The PortAudio backend (sounddevice): CoreAudio, ALSA/PulseAudio/PipeWire, WASAPI."""

from __future__ import annotations

import logging
from typing import Any

from padserver.audio.backend import Backend, BackendError, BackendInfo

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
        self._input: int | None = None
        self.inputs = 0  # input channels recorded from
        if int(audio.inputs):
            self._input = find_input_device(sd, audio.input_device, device)
            if self._input is not None:
                self.inputs = min(int(audio.inputs), int(sd.query_devices(self._input)["max_input_channels"]))
        self._input_views: list = [None] * self.inputs
        self._in_latency = 0

    def start(self) -> None:
        sd = self._sd
        common = {"samplerate": self.info.sample_rate, "blocksize": self.info.block_size, "dtype": "float32"}
        try:
            if self.inputs:  # one duplex stream: input and output on the same clock
                self._stream = sd.Stream(
                    device=(self._input, self._device),
                    channels=(self.inputs, 2),
                    latency=self._latency,
                    callback=self._duplex,
                    **common,
                )
            else:
                self._stream = sd.OutputStream(
                    device=self._device, channels=2, latency=self._latency, callback=self._callback, **common
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

    def input_latency(self) -> int:
        """What PortAudio reports for the way in and the way out."""
        return self._in_latency + self.info.output_latency

    def _duplex(self, indata, outdata, frames, time, status) -> None:
        # Audio thread: the inputs as column views (no copies), then the output as below.
        if status.input_overflow:
            self.engine.meters.xruns += 1
        views = self._input_views
        for i in range(self.inputs):
            views[i] = indata[:, i]
        self.engine.inputs = views
        self._callback(outdata, frames, time, status)

    def _callback(self, outdata, frames, time, status) -> None:
        # Audio thread: no logging, no allocation, no locks.
        if status.output_underflow:
            self.engine.meters.xruns += 1
        mix = self._render(frames)
        outdata[:, 0] = mix[0]  # numpy copies into the stream's buffer (no allocation)
        outdata[:, 1] = mix[1]

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None
