"""Leaving JACK safely from a client whose process callback is Python.

JACK 2 stops a client's process thread with ``pthread_cancel`` when the client is
deactivated. If that thread is in the Python callback then (running it, or
waiting for the interpreter lock to enter it) it dies holding the lock, and
every thread of the process waits for good: a daemon that never exits, a test
run that hangs. So the callback parks first: once told to, on its next cycle it
blocks in a wait that has let go of the interpreter lock, where cancelling the
thread is harmless; then the client is deactivated and closed.
"""

from __future__ import annotations

import threading


class ProcessGate:
    """Checked first thing in a process callback: ``if gate.closing: gate.park(); return``."""

    def __init__(self) -> None:
        self.closing = False  # (a plain flag: the audio thread only reads it)
        self._parked = threading.Event()
        self._forever = threading.Event()  # never set: the parked thread waits here until JACK cancels it

    def gated(self, process):
        """``process(frames)`` behind this gate: the callback to give JACK (the daemon's own callback checks the
        gate inline instead, to spare the audio thread a call)."""

        def cycle(frames: int) -> None:
            if self.closing:
                self.park()
                return
            process(frames)

        return cycle

    def park(self) -> None:
        """The process thread stays here, outside the interpreter lock, until JACK cancels it."""
        self._parked.set()
        self._forever.wait()

    def close(self, client, wait: float = 1.0) -> None:
        """Park the process thread, then deactivate and close ``client`` (its errors are ignored: the server
        may be gone). A server that runs no cycle within ``wait`` does not call the callback meanwhile, so
        its thread is not in it then either."""
        self.closing = True
        self._parked.wait(wait)
        try:
            client.deactivate()
        except Exception:
            pass
        try:
            client.close()
        except Exception:
            pass
