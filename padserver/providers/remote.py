"""Cloud providers in a process of their own, so their SDKs never hold the daemon's interpreter.

The audio callback is Python and needs the interpreter every period; parsing
a provider's answer (JSON, base64, pydantic models) can hold it for
milliseconds at a time. So the daemon runs the cloud SDKs in one child
process with its own event loop, speaking JSON lines over its stdin/stdout:

    → {"op": "settings", "settings": {...}}            (once; keys travel here, never in a log)
    → {"op": "warm", "names": [...]}                     (import SDKs, make clients)
    → {"op": "generate", "id": 7, "name": "...", "request": {...}, "scratch": "folder"}
    → {"op": "cancel", "id": 7}
    → {"op": "voices", "id": 8, "name": "..."}               (a speech provider's voices)
    ← {"id": 7, "progress": 0.4, "message": "..."}
    ← {"id": 7, "result": {"takes": [...], "provenance": {...}}}   (audio in files under scratch)
    ← {"id": 8, "result": [{"id": ..., "name": ..., "category": ...}, ...]}
    ← {"id": 7, "error": "...", "permanent": false, "retry_after": 2.0, "suggestion": null}

Live pads' sessions run there too (`remote_live`: their ops and the stream's raw audio on the same pipe).
The child ends when its stdin closes (the daemon went away).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import uuid
from types import SimpleNamespace

from padserver.providers.base import Provider, Request, Result, Take
from padserver.providers.jobs import ProviderError
from padserver.providers.remote_live import LiveStreams, RemoteLive

log = logging.getLogger("padserver.providers")


def _namespace(value):
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _namespace(v) for k, v in value.items()})
    return value


def _plain(value):
    if isinstance(value, SimpleNamespace):
        return {k: _plain(v) for k, v in vars(value).items()}
    return value


# -- the daemon's side ---------------------------------------------------------------------------------


class NetworkProcess:
    """The child process and the requests in flight to it."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.proc: asyncio.subprocess.Process | None = None
        self._pending: dict[int, tuple[asyncio.Future, object]] = {}
        self._next = 1
        self._reader: asyncio.Task | None = None
        self.lives: dict[int, RemoteLive] = {}  # live pads' sessions held there, by their number
        self._next_live = 1

    async def _ensure(self) -> asyncio.subprocess.Process:
        if self.proc is not None and self.proc.returncode is None:
            return self.proc
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "padserver.providers.remote",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 24,
        )  # fmt: skip
        self._reader = asyncio.get_running_loop().create_task(self._read(self.proc))
        await self._send({"op": "settings", "settings": _plain(self.settings)})
        return self.proc

    async def _send(self, message: dict) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(message, default=str) + "\n").encode())
        await self.proc.stdin.drain()

    async def _read(self, proc) -> None:
        while True:
            line = await proc.stdout.readline()
            if not line:
                break
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if "live" in message:  # a live pad's stream: its audio follows the line, as raw bytes
                payload = await proc.stdout.readexactly(int(message["bytes"])) if "bytes" in message else b""
                live = self.lives.get(message["live"])
                if live is not None:
                    live.arrived(message, payload)
                continue
            entry = self._pending.get(message.get("id"))
            if entry is None:
                continue
            future, progress = entry
            if "progress" in message:
                progress(message["progress"], message.get("message", ""))  # type: ignore[operator]
            elif not future.done():
                future.set_result(message)
        gone = "the network process ended; trying again starts a new one"
        for future, _ in self._pending.values():  # the child is gone: what was asked fails, and may be asked again
            if not future.done():
                future.set_exception(ProviderError(gone))
        for live in list(self.lives.values()):  # (a live pad opens a new session, in a new one)
            live.end(ProviderError(gone))

    async def open_live(self, provider: str, on_filtered) -> RemoteLive:
        """A live pad's session, to be opened there (`RemoteLive.open`)."""
        await self._ensure()
        live = RemoteLive(self, self._next_live, provider, on_filtered)
        self._next_live += 1
        self.lives[live.lid] = live
        return live

    async def send_live(self, message: dict) -> None:
        if self.proc is None or self.proc.returncode is not None:
            raise ProviderError("the network process ended; trying again starts a new one")
        await self._send(message)

    async def warm(self, names: list[str]) -> None:
        await self._ensure()
        await self._send({"op": "warm", "names": names})

    async def _ask(self, message: dict, progress=None):
        """Send ``message`` with a new id; its answer's result (or its error, raised)."""
        await self._ensure()
        rid = self._next
        self._next += 1
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[rid] = (future, progress)
        try:
            await self._send({**message, "id": rid})
            answer = await future
        except asyncio.CancelledError:  # cancelled or timed out: the child stops too
            if self.proc is not None and self.proc.returncode is None:
                await self._send({"op": "cancel", "id": rid})
            raise
        finally:
            self._pending.pop(rid, None)
        if "error" in answer:
            raise ProviderError(
                answer["error"],
                permanent=bool(answer.get("permanent")),
                retry_after=answer.get("retry_after"),
                suggestion=answer.get("suggestion"),
            )
        return answer["result"]

    async def generate(self, name: str, request: Request, progress, scratch: str) -> Result:
        message = {"op": "generate", "name": name, "request": request.as_sent(), "scratch": scratch}
        result = await self._ask(message, progress)
        takes = [Take(audio=None, **t) for t in result["takes"]]
        return Result(takes=takes, provenance=result["provenance"])

    async def voices(self, name: str) -> list[dict]:
        return await self._ask({"op": "voices", "name": name})

    def close(self) -> None:
        if self.proc is not None and self.proc.returncode is None and self.proc.stdin is not None:
            self.proc.stdin.close()


class RemoteProvider(Provider):
    """A cloud provider whose generations run in the network process; everything else is asked of it here."""

    def __init__(self, inner: Provider, network: NetworkProcess, scratch: str) -> None:
        self.inner = inner
        self.network = network
        self.scratch = scratch
        self.name = inner.name
        self.role = inner.role
        self.capabilities = inner.capabilities
        self.extras = inner.extras

    @property
    def model(self) -> str:  # type: ignore[override]
        return self.inner.model

    def warnings(self, request: Request) -> list[str]:
        return self.inner.warnings(request)

    def unavailable(self) -> str | None:
        return self.inner.unavailable()

    async def generate(self, request: Request, progress) -> Result:
        return await self.network.generate(self.name, request, progress, self.scratch)

    async def voices(self) -> list[dict]:
        return await self.network.voices(self.name)


# -- the child's side ------------------------------------------------------------------------------------


async def _serve() -> None:
    from padserver.providers import registry

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout.buffer
    settings = None
    providers: dict[str, Provider] = {}
    tasks: dict[int, asyncio.Task] = {}

    def send(message: dict) -> None:
        write((json.dumps(message, default=str) + "\n").encode())

    def write(data: bytes) -> None:
        out.write(data)
        out.flush()

    def provider(name: str) -> Provider:
        if name not in providers:
            providers[name] = registry.create(name, SimpleNamespace(settings=settings, pool=None))
        return providers[name]

    async def run(rid: int, name: str, raw: dict, scratch: str) -> None:
        try:
            if raw.get("op") == "voices":
                send({"id": rid, "result": await provider(name).voices()})  # type: ignore[attr-defined]
                return
            request = Request(**raw)

            def progress(fraction: float, message: str = "") -> None:
                send({"id": rid, "progress": fraction, "message": message})

            result = await provider(name).generate(request, progress)
            os.makedirs(scratch, exist_ok=True)
            takes = []
            for take in result.takes:
                fmt = take.format if take.data is not None else "npy"
                path = os.path.join(scratch, f"take-{uuid.uuid4().hex}.{'npy' if fmt == 'npy' else 'bin'}")
                with open(path, "wb") as fh:
                    if take.data is not None:
                        fh.write(take.data)
                    else:
                        import numpy as np

                        np.save(fh, np.asarray(take.audio))
                takes.append(
                    {
                        "sample_rate": take.sample_rate,
                        "path": path,
                        "format": fmt,
                        "channels": take.channels,
                        "downbeat_s": take.downbeat_s,
                        "name": take.name,
                    }
                )
            send({"id": rid, "result": {"takes": takes, "provenance": result.provenance}})
        except asyncio.CancelledError:
            pass
        except ProviderError as exc:
            send(
                {
                    "id": rid,
                    "error": str(exc),
                    "permanent": exc.permanent,
                    "retry_after": exc.retry_after,
                    "suggestion": exc.suggestion,
                }
            )
        except Exception as exc:  # a provider bug: reported, the process goes on
            send({"id": rid, "error": f"{type(exc).__name__}: {exc}", "permanent": True})
        finally:
            tasks.pop(rid, None)

    lives = LiveStreams(provider, send, write)
    while True:
        line = await reader.readline()
        if not line:
            break
        message = json.loads(line)
        op = message.get("op")
        if op == "settings":
            settings = _namespace(message["settings"])
        elif op == "warm":
            for name in message["names"]:
                try:
                    provider(name).warm()
                except Exception as exc:
                    log.warning("%s could not be readied: %s", name, exc)
        elif op == "generate":
            rid = message["id"]
            tasks[rid] = loop.create_task(run(rid, message["name"], message["request"], message["scratch"]))
        elif op == "voices":
            rid = message["id"]
            tasks[rid] = loop.create_task(run(rid, message["name"], {"op": "voices"}, ""))
        elif op == "cancel" and message.get("id") in tasks:
            tasks[message["id"]].cancel()
        elif op in ("live_open", "live_steer", "live_close"):
            lives.handle(message)
    for task in [*tasks.values(), *lives.tasks.values()]:
        task.cancel()


def main() -> None:
    logging.basicConfig(level="WARNING", stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("httpx", "httpx2", "google_genai", "websockets"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        os.nice(5)  # below the daemon; the network waits, it does not compute much
    except OSError:
        pass
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
