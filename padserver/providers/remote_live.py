"""Live pads' sessions in the network process: the SDK's socket, its messages and the shaping of the stream to
the bar grid (`stream_shape`: resampling, bar lines, the lock) all run there, away from the daemon's
interpreter. Measured with two live pads while 14 loops play at 128 frames: done in the daemon, they made it
late for JACK 58 times a minute (2 with the pads silent), the SDK's receiving alone 16.

On the network process's pipe (beside the generation requests, `remote`):

    → {"op": "live_open", "live": 3, "provider": "lyria-realtime", "prompts": [[text, weight]…], "config": {…},
       "shape": {rate_in, rate_out, model_bpm, tempo, beats_per_bar, skip_s}}
    → {"op": "live_steer", "live": 3, "prompts": […], "config": {…} or null}
    → {"op": "live_close", "live": 3}
    ← {"live": 3, "opened": true}
    ← {"live": 3, "frames": n, "bytes": k, "downbeat": f or null, "seconds": s}   then k bytes: (2, n) float32
    ← {"live": 3, "filtered": [text, reason]}
    ← {"live": 3, "error": "…", "permanent": false}                                  (the stream has ended)

The audio travels as raw bytes after its line: the daemon reads them without parsing anything.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np

from padserver.providers.jobs import ProviderError

RATE = 48000
ENDED = "the session ended"


# -- the daemon's side ---------------------------------------------------------------------------------


class RemoteLive:
    """A live pad's session as the daemon sees it: open, steer, the shaped stream, close."""

    def __init__(self, network, lid: int, provider: str, on_filtered: Callable[[str, str], None]) -> None:
        self.network = network
        self.lid = lid
        self.provider = provider
        self.on_filtered = on_filtered
        self._queue: asyncio.Queue = asyncio.Queue()
        self._opened: asyncio.Future = asyncio.get_running_loop().create_future()
        self.closed = False

    async def open(self, prompts: list[tuple[str, float]], config: dict, shape) -> None:
        from dataclasses import asdict

        await self.network.send_live(
            {
                "op": "live_open",
                "live": self.lid,
                "provider": self.provider,
                "prompts": prompts,
                "config": config,
                "shape": asdict(shape),
            }  # fmt: skip
        )
        answer = await self._opened
        if "error" in answer:
            await self.close()
            raise ProviderError(answer["error"], permanent=bool(answer.get("permanent")))

    async def steer(self, prompts: list[tuple[str, float]], config: dict | None = None) -> None:
        if not self.closed:
            await self.network.send_live({"op": "live_steer", "live": self.lid, "prompts": prompts, "config": config})

    async def chunks(self) -> AsyncIterator[tuple[np.ndarray, float | None, float]]:
        """(ring-time audio, the bar line found or None, seconds of stream it came from) as they arrive; a
        dropped, stalled or closed session ends it with a `ProviderError`."""
        while True:
            item = await self._queue.get()
            if isinstance(item, ProviderError):
                raise item
            yield item

    def arrived(self, message: dict, payload: bytes) -> None:
        """The network process's word on this session (its reader calls this)."""
        if "opened" in message and not self._opened.done():
            self._opened.set_result(message)
        elif "frames" in message:
            audio = np.frombuffer(payload, dtype=np.float32).reshape(2, int(message["frames"]))
            self._queue.put_nowait((audio, message.get("downbeat"), float(message.get("seconds", 0.0))))
        elif "filtered" in message:
            self.on_filtered(*message["filtered"])
        elif "error" in message:
            if not self._opened.done():
                self._opened.set_result(message)
            self.end(ProviderError(message["error"], permanent=bool(message.get("permanent"))))

    def end(self, error: ProviderError) -> None:
        self.closed = True
        self.network.lives.pop(self.lid, None)
        if not self._opened.done():
            self._opened.set_result({"error": str(error), "permanent": error.permanent})
        self._queue.put_nowait(error)

    async def close(self) -> None:
        if self.closed:
            return
        self.end(ProviderError(f"{self.provider}: {ENDED}"))
        await self.network.send_live({"op": "live_close", "live": self.lid})


# -- the child's side ------------------------------------------------------------------------------------


class LiveStreams:
    """The sessions the network process holds for live pads, each shaping its stream as it comes."""

    def __init__(self, provider: Callable, send: Callable[[dict], None], write: Callable[[bytes], None]) -> None:
        self.provider = provider  # name → a provider
        self.send = send
        self.write = write  # raw bytes after a line
        self.tasks: dict[int, asyncio.Task] = {}
        self.sessions: dict[int, object] = {}
        self._steering: dict[int, asyncio.Lock] = {}

    def handle(self, message: dict) -> None:
        lid, op = int(message["live"]), message["op"]
        loop = asyncio.get_running_loop()
        if op == "live_open":
            self.tasks[lid] = loop.create_task(self._run(lid, message))
        elif op == "live_steer":
            loop.create_task(self._steer(lid, message["prompts"], message.get("config")))
        elif op == "live_close" and lid in self.tasks:
            self.tasks[lid].cancel()

    async def _steer(self, lid: int, prompts, config) -> None:
        session = self.sessions.get(lid)
        if session is None:
            return
        async with self._steering.setdefault(lid, asyncio.Lock()):  # (in the order they were sent)
            try:
                await session.steer([(t, w) for t, w in prompts], config)  # type: ignore[attr-defined]
            except ProviderError as exc:
                self.send({"live": lid, "error": str(exc), "permanent": exc.permanent})
                task = self.tasks.get(lid)
                if task is not None:  # (the stream may have ended meanwhile)
                    task.cancel()

    async def _run(self, lid: int, message: dict) -> None:
        from padserver.loops.stream_shape import Shape, StreamShaper
        from padserver.providers.google.live import LyriaLive

        session = None
        try:
            provider = self.provider(message["provider"])

            def filtered(text: str, reason: str) -> None:
                self.send({"live": lid, "filtered": [text, reason]})

            session = LyriaLive(provider, filtered)
            await session.open([(t, w) for t, w in message["prompts"]], message["config"])
            self.sessions[lid] = session
            self.send({"live": lid, "opened": True})
            shaper = StreamShaper(Shape(**message["shape"]))
            async for audio in session.chunks():
                out = np.ascontiguousarray(shaper.add(audio), dtype=np.float32)
                header = {"live": lid, "frames": out.shape[1], "bytes": out.nbytes, "downbeat": shaper.downbeat,
                          "seconds": audio.shape[1] / RATE}  # fmt: skip
                self.write((json.dumps(header) + "\n").encode() + out.tobytes())
        except asyncio.CancelledError:
            pass
        except ProviderError as exc:
            self.send({"live": lid, "error": str(exc), "permanent": exc.permanent})
        except Exception as exc:  # a bug: reported, the process goes on
            self.send({"live": lid, "error": f"{type(exc).__name__}: {exc}", "permanent": True})
        finally:
            self.sessions.pop(lid, None)
            self.tasks.pop(lid, None)
            self._steering.pop(lid, None)
            if session is not None:
                await session.close()


class LocalLive:
    """The same session in the daemon's own process (where there is no network process: the actions alone)."""

    def __init__(self, provider, on_filtered: Callable[[str, str], None]) -> None:
        from padserver.providers.google.live import LyriaLive

        self.session = LyriaLive(provider, on_filtered)
        self.shaper: Any = None  # (a StreamShaper, made when it opens)
        self.closed = False

    async def open(self, prompts: list[tuple[str, float]], config: dict, shape) -> None:
        from padserver.loops.stream_shape import StreamShaper

        self.shaper = StreamShaper(shape)
        await self.session.open(prompts, config)

    async def steer(self, prompts: list[tuple[str, float]], config: dict | None = None) -> None:
        await self.session.steer(prompts, config)

    async def chunks(self) -> AsyncIterator[tuple[np.ndarray, float | None, float]]:
        assert self.shaper is not None
        async for audio in self.session.chunks():
            yield self.shaper.add(audio), self.shaper.downbeat, audio.shape[1] / RATE

    async def close(self) -> None:
        self.closed = True
        await self.session.close()
