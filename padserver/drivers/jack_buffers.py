"""Numpy views of JACK ports' buffers, made again only when JACK hands out another buffer.

JACK-Client's ``get_array`` builds a new buffer object and a new array on every call (~6 µs each in the
audio thread, four or more a cycle). JACK's rule is still that a port's buffer is asked for in every cycle:
so it is asked for (one C call through the binding's own cffi library), and only when the address or the
period size differs from the last cycle's is a new view made. The callback writes into the views.
"""

from __future__ import annotations

import numpy as np


class PortViews:
    def __init__(self, ports) -> None:
        import jack

        self._get = jack._lib.jack_port_get_buffer  # (JACK-Client's cffi library: no Python wrapper a call)
        self._ffi = jack._ffi
        self._ptrs = [port._ptr for port in ports]
        self._buffers: list = [None] * len(self._ptrs)
        self.views: list[np.ndarray] = [np.zeros(0, dtype=np.float32)] * len(self._ptrs)
        self._frames = -1

    def fetch(self, frames: int) -> list[np.ndarray]:
        """Audio thread: this cycle's buffers as float32 arrays of ``frames`` samples."""
        get, buffers, views = self._get, self._buffers, self.views
        fresh = frames != self._frames
        self._frames = frames
        for i, ptr in enumerate(self._ptrs):
            buf = get(ptr, frames)
            if fresh or buf != buffers[i]:
                buffers[i] = buf
                views[i] = np.frombuffer(self._ffi.buffer(buf, frames * 4), dtype=np.float32)
        return views


def connected(*ports):
    """A check for the audio thread: whether any of ``ports`` has a connection now (a C call a port, no wrapper)."""
    import jack

    check = jack._lib.jack_port_connected
    if len(ports) == 1:
        ptr = ports[0]._ptr
        return lambda: check(ptr) > 0
    ptrs = tuple(port._ptr for port in ports)

    def any_connected() -> bool:
        for ptr in ptrs:  # (a loop, not any() over a generator: nothing made a cycle)
            if check(ptr) > 0:
                return True
        return False

    return any_connected


def last_frame_time(client):
    """JACK's frame time at the start of this cycle, for the audio thread: (C function, client pointer)."""
    import jack

    return jack._lib.jack_last_frame_time, client._ptr


def since_cycle_start():
    """For the audio thread: the C function giving the frames gone since this cycle began (of a client pointer)."""
    import jack

    return jack._lib.jack_frames_since_cycle_start
