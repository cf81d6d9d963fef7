"""The JACK client of a test's `padserver.harness.capture.Capture`, in a process of its own.

A capture that shares the test's interpreter waits for the test's Python whenever the test computes, and a
loaded machine then drops its cycles: frames missing from the recording that padserver played. Here the
client's process callback has an interpreter to itself and writes into a file both processes map:

- a header of int64: [frames captured up to (one past the last), cycles recorded, sample rate, period];
- the ring of audio, float32 (2, size), each frame at JACK's frame time modulo size (silence for frames of
  cycles the client missed);
- the ring of cycles, int64 (CYCLES, 2): each cycle's first frame and its time on the host clock in µs.

``python -m padserver.harness.capture_process SERVER FILE SIZE NAME LATENCY`` prints ``ready`` and its client's name once its ports
are in the graph, then waits for ``close`` or the end of its standard input, after which it leaves JACK and
exits (the test connects its ports through a client of its own).
"""

from __future__ import annotations

import sys
from typing import Literal

import numpy as np

HEADER = 4  # int64s
LAST, CYCLES_DONE, RATE, PERIOD = range(HEADER)


def cycle_slots(size: int) -> int:
    """How many cycles the file keeps: those of the ring's frames at the shortest period, and a margin."""
    return size // 16 + 64


def layout(path: str, size: int, writable: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The header, the audio ring and the cycle ring, mapped from ``path``."""
    mode: Literal["r+", "r"] = "r+" if writable else "r"
    header = np.memmap(path, dtype=np.int64, mode=mode, offset=0, shape=(HEADER,))
    ring = np.memmap(path, dtype=np.float32, mode=mode, offset=8 * HEADER, shape=(2, size))
    cycles = np.memmap(path, dtype=np.int64, mode=mode, offset=8 * HEADER + 8 * size, shape=(cycle_slots(size), 2))
    return header, ring, cycles


def file_size(size: int) -> int:
    return 8 * HEADER + 4 * 2 * size + 16 * cycle_slots(size)


def main(argv: list[str]) -> int:
    import jack

    from padserver.drivers.jack_gate import ProcessGate
    from padserver.drivers.jack_native import PLAYBACK, declare_latency, frames_to_time

    server, path, size, name, latency = argv[0], argv[1], int(argv[2]), argv[3], int(argv[4])
    header, ring, cycles = layout(path, size, writable=True)
    slots = len(cycles)
    client = jack.Client(name, no_start_server=True, servername=server)
    inputs = [client.inports.register("in_L"), client.inports.register("in_R")]
    header[RATE], header[PERIOD] = client.samplerate, client.blocksize

    def process(frames: int) -> None:
        t = client.last_frame_time
        last = int(header[LAST])
        if 0 < last < t:  # cycles this client did not run: silence there, not what the ring held a lap ago
            gap = min(t - last, size)
            j = (t - gap) % size
            ring[:, j : j + gap] = 0.0
            if j + gap > size:
                ring[:, : j + gap - size] = 0.0
        i = t % size
        k = min(frames, size - i)
        for c, port in enumerate(inputs):
            data = port.get_array()
            ring[c, i : i + k] = data[:k]
            if k < frames:
                ring[c, : frames - k] = data[k:]
        n = int(header[CYCLES_DONE])
        cycles[n % slots, 0] = t
        cycles[n % slots, 1] = frames_to_time(client, t)
        header[CYCLES_DONE] = n + 1
        header[LAST] = t + frames  # (last: what it stands for is written)

    gate = ProcessGate()
    client.set_process_callback(gate.gated(process))
    declared = declare_latency(client, inputs, PLAYBACK, latency) if latency else None
    client.activate()
    print(f"ready {client.name}", flush=True)
    for line in sys.stdin:
        if line.strip() == "close":
            break
    gate.close(client)
    del declared
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
