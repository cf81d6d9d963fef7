"""JACK calls JACK-Client does not wrap, through ctypes: port latencies, and frames in microseconds.

JACK's rule: a sample written at frame F to a port whose playback latency is
Lp is heard at F + Lp; a sample read at F from a port whose capture latency is
Lc entered the system at F − Lc. Ports carry these as (min, max) ranges the
server propagates along connections. A client that adds latency of its own (or
stands for hardware, as the test harness does) declares it from a latency
callback, which JACK calls whenever the graph changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util

CAPTURE = 0  # JackCaptureLatency
PLAYBACK = 1  # JackPlaybackLatency


class _Range(ctypes.Structure):
    _fields_ = [("min", ctypes.c_uint32), ("max", ctypes.c_uint32)]


LatencyCallback = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p)
_lib: ctypes.CDLL | None = None


def _libjack() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        lib = ctypes.CDLL(ctypes.util.find_library("jack") or "libjack.so.0")
        lib.jack_port_get_latency_range.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(_Range)]
        lib.jack_port_get_latency_range.restype = None
        lib.jack_port_set_latency_range.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(_Range)]
        lib.jack_port_set_latency_range.restype = None
        lib.jack_set_latency_callback.argtypes = [ctypes.c_void_p, LatencyCallback, ctypes.c_void_p]
        lib.jack_set_latency_callback.restype = ctypes.c_int
        lib.jack_recompute_total_latencies.argtypes = [ctypes.c_void_p]
        lib.jack_recompute_total_latencies.restype = ctypes.c_int
        lib.jack_frames_to_time.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        lib.jack_frames_to_time.restype = ctypes.c_uint64
        _lib = lib
    return _lib


def _pointer(obj) -> ctypes.c_void_p:
    """The C pointer behind a JACK-Client Client or Port."""
    import jack

    return ctypes.c_void_p(int(jack._ffi.cast("uintptr_t", obj._ptr)))


def latency_range(port, mode: int) -> tuple[int, int]:
    """(min, max) frames of ``port``'s capture or playback latency."""
    r = _Range()
    _libjack().jack_port_get_latency_range(_pointer(port), mode, ctypes.byref(r))
    return int(r.min), int(r.max)


def set_latency_range(port, mode: int, low: int, high: int) -> None:
    """Only from a latency callback (JACK's rule)."""
    r = _Range(int(low), int(high))
    _libjack().jack_port_set_latency_range(_pointer(port), mode, ctypes.byref(r))


def on_latency(client, callback) -> object:
    """Have JACK call ``callback(mode)`` when latencies are recomputed (before activating).

    Returns the C callback, which the caller keeps alive as long as the client.
    """

    def call(mode: int, arg) -> None:
        try:
            callback(int(mode))
        except Exception:  # never let an exception cross into libjack
            pass

    c_callback = LatencyCallback(call)
    if _libjack().jack_set_latency_callback(_pointer(client), c_callback, None) != 0:
        raise RuntimeError("JACK refused the latency callback")
    return c_callback


def recompute(client) -> None:
    """Ask the server to recompute the graph's latencies (after a client changed its own)."""
    _libjack().jack_recompute_total_latencies(_pointer(client))


def frames_to_time(client, frame: int) -> int:
    """JACK's estimate of when ``frame`` is (microseconds on JACK's clock: CLOCK_MONOTONIC_RAW on Linux, as Link's)."""
    return int(_libjack().jack_frames_to_time(_pointer(client), int(frame) & 0xFFFFFFFF))


def declare_latency(client, ports: list, mode: int, frames: int):
    """Have ``ports`` declare ``frames`` of latency in ``mode`` whenever JACK recomputes (the C callback)."""

    def declare(asked: int) -> None:
        if asked == mode:
            for port in ports:
                set_latency_range(port, mode, frames, frames)

    return on_latency(client, declare)
