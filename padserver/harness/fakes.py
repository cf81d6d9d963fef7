"""Local fake servers that speak the cloud providers' wire protocols (tests and benchmarks).

``FakeHttp`` answers ElevenLabs (``/v1/music``, ``/v1/music/stream``,
``/v1/music/plan``, ``/v1/sound-generation``, ``/v1/music/stem-separation``) and Google generate content
(``/v1beta/models/<model>:generateContent``). ``FakeLyria`` is a Lyria
RealTime WebSocket server over TLS (the SDK always uses wss). Both return
real, decodable audio with a known tempo (read from the request) and a known
first-downbeat offset, record every request as the service would see it, and
take scripted faults.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import re
import subprocess
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import numpy as np

from padserver.harness.scratch import scratch_dir
from padserver.library.testloops import click_song

DOWNBEAT_S = 0.15  # where the fakes' music has its first downbeat


@dataclass
class Fault:
    """What one request gets instead of music."""

    status: int = 500
    body: dict | str | None = None
    headers: dict = field(default_factory=dict)
    delay_s: float = 0.0  # before answering (a timeout)
    garbage: bool = False  # 200 with bytes that are no audio
    truncate: bool = False  # 200 with the audio cut to a tenth
    stall_s: float = 0.0  # a stream that stops sending this long after its first chunk


def tempo_in(text: str, default: float = 120.0) -> float:
    m = re.search(r"(\d+(?:\.\d+)?)\s*BPM", text or "")
    return float(m.group(1)) if m else default


def music(bpm: float, seconds: float, rate: int, offset: float = DOWNBEAT_S, words: str = "") -> np.ndarray:
    """(2, frames) click-track music: ``seconds`` long, first downbeat at ``offset``; other words, other music."""
    bars = int(np.ceil((seconds - offset) * bpm / 240.0)) + 1
    song = click_song(bpm, bars, rate, offset, seed=zlib.crc32(words.encode()) % 997)
    return song[:, : int(round(seconds * rate))]


def encode(audio: np.ndarray, rate: int, fmt: str) -> bytes:
    import soundfile as sf

    if fmt == "pcm_mono":
        return (np.clip(audio.mean(axis=0), -1, 1) * 32767).astype("<i2").tobytes()
    if fmt == "pcm_stereo":
        return (np.clip(audio.T, -1, 1) * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    sf.write(buffer, audio.T, rate, format=fmt.upper())
    return buffer.getvalue()


VOICES = (("21m00Tcm4TlvDq8ikWAM", "Rachel"), ("JBFqnCBsd6RMkjVDRZzb", "George - warm narrator"))
SPEECH_S_PER_CHAR, SPEECH_LEAD_S = 0.06, 0.12  # the fake's speech: its length, and the silence before it
STEMS_TWO = {"vocals": [(300.0, 3000.0)], "instrumental": [(0.0, 300.0), (3000.0, 1e9)]}
STEMS_SIX = {"bass": [(0.0, 150.0)], "drums": [(150.0, 400.0)], "guitar": [(400.0, 1000.0)],
             "piano": [(1000.0, 2500.0)], "vocals": [(2500.0, 6000.0)], "other": [(6000.0, 1e9)]}  # fmt: skip


def multipart(content_type: str, raw: bytes) -> tuple[dict, dict]:
    """A multipart/form-data body: (its text fields, its files' bytes), by field name."""
    from email.parser import BytesParser
    from email.policy import default

    message = BytesParser(policy=default).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            files[name] = payload
        else:
            fields[name] = payload.decode()
    return fields, files


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that hung up (a timeout it gave up on): nothing to report
        super().handle_error(request, client_address)


class FakeHttp:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.busy_s: list[float] = []
        self.faults: dict[str, list[Fault]] = {}
        self.offset = DOWNBEAT_S
        self.chunk_s = 0.0  # pause between streamed chunks
        self.pcm_channels = 1  # how many channels pcm_* answers interleave
        self.stem_lag = 0  # frames the separated stems come late by (a service's padding)
        self.stem_files = "{stem}.{ext}"  # how the stems are named in the ZIP
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def setup(self):
                super().setup()
                import socket

                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle stalls

            def do_POST(self):  # noqa: N802
                fake._handle(self)

            def do_GET(self):  # noqa: N802
                fake._handle(self)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fail(self, route: str, *faults: Fault) -> None:
        """The next requests to ``route`` (e.g. "/v1/music") get these faults, in order."""
        self.faults.setdefault(route, []).extend(faults)

    def seen(self, route: str) -> list[dict]:
        return [r for r in self.requests if r["route"] == route]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- answering ------------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        started = time.perf_counter()
        try:
            self._answer(h)
        finally:
            self.busy_s.append(time.perf_counter() - started)  # the fake's own time, for overhead figures

    def _answer(self, h: BaseHTTPRequestHandler) -> None:
        url = urlparse(h.path)
        length = int(h.headers.get("content-length") or 0)
        raw = h.rfile.read(length) if length else b""
        files: dict[str, bytes] = {}
        if (h.headers.get("content-type") or "").startswith("multipart/form-data"):
            body, files = multipart(h.headers["content-type"], raw)
        else:
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {"raw": raw.decode(errors="replace")}
        route = re.sub(r"/models/[^/:]+:", "/models/{model}:", url.path)
        route = re.sub(r"^/v1/text-to-speech/[^/]+$", "/v1/text-to-speech/{voice}", route)
        self.requests.append(
            {
                "route": route,
                "path": url.path,
                "query": {k: v[0] for k, v in parse_qs(url.query).items()},
                "headers": {k.lower(): v for k, v in h.headers.items()},
                "body": body,
                "files": {name: len(data) for name, data in files.items()},
            }
        )
        fault = self.faults.get(route, [None]).pop(0) if self.faults.get(route) else None
        if fault is not None and fault.delay_s:
            time.sleep(fault.delay_s)
        if fault is not None and fault.status >= 400:
            self._json(
                h, fault.status, fault.body or {"detail": {"status": "error", "message": "fake failure"}}, fault.headers
            )
            return
        if route.endswith(":generateContent"):
            self._generate_content(h, body, fault)
        elif route == "/v1/music/plan":
            self._json(h, 200, self._plan(body))
        elif route in ("/v1/music", "/v1/music/stream", "/v1/sound-generation"):
            self._audio(h, route, body, {k: v[0] for k, v in parse_qs(url.query).items()}, fault)
        elif route == "/v1/voices":
            self._json(h, 200, {"voices": [{"voice_id": i, "name": n, "category": "premade"} for i, n in VOICES]})
        elif route == "/v1/text-to-speech/{voice}":
            self._speech(h, url.path.rsplit("/", 1)[1], body, {k: v[0] for k, v in parse_qs(url.query).items()}, fault)
        elif route == "/v1/music/stem-separation":
            self._stems(h, body, files, {k: v[0] for k, v in parse_qs(url.query).items()}, fault)
        else:
            self._json(h, 404, {"detail": {"status": "not_found", "message": f"no route {url.path}"}})

    def _json(self, h, status: int, body, headers: dict | None = None) -> None:
        data = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, str(v))
        h.end_headers()
        h.wfile.write(data)

    def _plan(self, body: dict) -> dict:
        ms = int(body.get("music_length_ms") or 30000)
        return {
            "positive_global_styles": [body.get("prompt", "")],
            "negative_global_styles": [],
            "sections": [
                {
                    "section_name": "loop",
                    "positive_local_styles": [],
                    "negative_local_styles": [],
                    "duration_ms": ms,
                    "lines": [],
                }
            ],
        }

    def _audio(self, h, route: str, body: dict, query: dict, fault: Fault | None) -> None:
        output = query.get("output_format", "mp3_44100_128")
        kind, _, rest = output.partition("_")
        rate = int(rest.split("_")[0]) if rest[:1].isdigit() else 44100
        if route == "/v1/sound-generation":
            seconds = float(body.get("duration_seconds") or 5.0)
            text = body.get("text", "")
            bpm, offset = tempo_in(text), 0.0  # a seamless loop starts on its downbeat
        else:
            plan = body.get("composition_plan")
            seconds = (
                sum(s["duration_ms"] for s in plan["sections"]) / 1000
                if isinstance(plan, dict)
                else float(body.get("music_length_ms") or 30000) / 1000
            )
            text = body.get("prompt") or " ".join((plan or {}).get("positive_global_styles", []))
            bpm, offset = tempo_in(text), self.offset
        audio = music(bpm, seconds, rate, offset, text)
        data = encode(audio, rate, self._pcm if kind == "pcm" else kind)
        if body.get("sign_with_c2pa") and kind == "mp3":  # (as the service: only MP3 is signed)
            from padserver.harness.content_signing import sign

            data = sign(data)
        self._send_chunked(h, "audio/mpeg" if kind == "mp3" else "application/octet-stream", data, fault)

    @property
    def _pcm(self) -> str:
        return "pcm_stereo" if self.pcm_channels == 2 else "pcm_mono"

    def _stems(self, h, body: dict, files: dict, query: dict, fault: Fault | None) -> None:
        """The uploaded loop split into bands, one stem each, 2 % of it left out (a separator's residual)."""
        import soundfile as sf

        if "file" not in files:
            self._json(h, 422, {"detail": [{"loc": ["body", "file"], "msg": "Field required", "type": "missing"}]})
            return
        audio, rate_in = sf.read(io.BytesIO(files["file"]), dtype="float32", always_2d=True)
        output = query.get("output_format", "mp3_44100_128")
        kind, _, rest = output.partition("_")
        rate = int(rest.split("_")[0]) if rest[:1].isdigit() else 44100
        if rate != rate_in:
            import soxr

            audio = soxr.resample(audio, rate_in, rate, quality="VHQ")
        variation = str(body.get("stem_variation_id") or "six_stems_v1")
        names = STEMS_TWO if variation == "two_stems_v1" else STEMS_SIX
        spectrum = np.fft.rfft(audio.T, axis=1)
        freqs = np.fft.rfftfreq(audio.shape[0], 1 / rate)
        ext = {"mp3": "mp3", "pcm": "pcm", "opus": "opus"}.get(kind, kind)
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as z:
            for name, ranges in names.items():
                band = 0.98 * sum(((freqs >= lo) & (freqs < hi)).astype(float) for lo, hi in ranges)
                stem = np.fft.irfft(spectrum * band, n=audio.shape[0], axis=1).astype(np.float32)
                stem = np.pad(stem, ((0, 0), (self.stem_lag, 0)))
                encoded = encode(stem, rate, self._pcm if kind == "pcm" else kind)
                if str(body.get("sign_with_c2pa")).lower() == "true" and kind == "mp3":
                    from padserver.harness.content_signing import sign

                    encoded = sign(encoded, title=f"{name}.mp3")
                z.writestr(self.stem_files.format(stem=name, ext=ext), encoded)
        data = archive.getvalue()
        self._send_chunked(h, "application/zip", data, fault)

    def _speech(self, h, voice: str, body: dict, query: dict, fault: Fault | None) -> None:
        """A line "spoken": a voiced tone of SPEECH_S_PER_CHAR a character after SPEECH_LEAD_S of silence."""
        if voice not in {i for i, _ in VOICES}:
            self._json(
                h, 404, {"detail": {"status": "voice_not_found", "message": f"A voice with id {voice} was not found."}}
            )
            return
        output = query.get("output_format", "mp3_44100_128")
        kind, _, rest = output.partition("_")
        rate = int(rest.split("_")[0]) if rest[:1].isdigit() else 44100
        seconds = SPEECH_S_PER_CHAR * len(str(body.get("text", "")))
        t = np.arange(int(seconds * rate)) / rate
        pitch = 110.0 if voice == VOICES[1][0] else 220.0
        voiced = 0.3 * np.sin(2 * np.pi * pitch * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
        line = np.concatenate([np.zeros(int(SPEECH_LEAD_S * rate)), voiced])[None, :].astype(np.float32)
        data = encode(line, rate, "pcm_mono" if kind == "pcm" else kind)
        self._send_chunked(h, "audio/mpeg" if kind == "mp3" else "application/octet-stream", data, fault)

    def _send_chunked(self, h, content_type: str, data: bytes, fault: Fault | None) -> None:
        if fault is not None and fault.garbage:
            data = os.urandom(len(data) // 20)
        if fault is not None and fault.truncate:
            data = data[: len(data) // 10]
        h.send_response(200)
        h.send_header("content-type", content_type)
        h.send_header("transfer-encoding", "chunked")
        h.end_headers()
        step = 16384
        for i in range(0, len(data), step):
            piece = data[i : i + step]
            h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            h.wfile.flush()
            if fault is not None and fault.stall_s and i > 0:
                time.sleep(fault.stall_s)
                return
            if self.chunk_s:
                time.sleep(self.chunk_s)
        h.wfile.write(b"0\r\n\r\n")

    def _generate_content(self, h, body: dict, fault: Fault | None) -> None:
        prompt = " ".join(
            p.get("text", "") for c in body.get("contents", []) for p in c.get("parts", []) if isinstance(p, dict)
        )
        if fault is not None and fault.body == "filtered":
            self._json(h, 200, {"candidates": [{"finishReason": "SAFETY", "content": {"parts": []}}]})
            return
        audio = music(tempo_in(prompt), 30.0, 44100, self.offset, prompt)
        data = encode(audio, 44100, "mp3")
        if fault is not None and fault.garbage:
            data = os.urandom(2000)
        parts = [
            {"text": "[Verse] a loop"},
            {"inlineData": {"mimeType": "audio/mpeg", "data": base64.b64encode(data).decode()}},
        ]
        self._json(h, 200, {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}]})


# -- Lyria RealTime -----------------------------------------------------------------------------------


def self_signed(folder: str) -> tuple[str, str]:
    """A certificate and key for 127.0.0.1 and localhost (the client trusts it through SSL_CERT_FILE)."""
    cert, key = os.path.join(folder, "fake.crt"), os.path.join(folder, "fake.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class LyriaScript:
    """How the next session behaves."""

    filtered: str | None = None  # a prompt text to report as filtered
    close_after: int | None = None  # chunks sent before the socket is dropped
    stall_after: int | None = None  # chunks sent before the stream goes quiet


FAST = 20  # how much faster than real time the fake Lyria streams when not in real time


class FakeLyria:
    """A Lyria RealTime server: setup → setupComplete, prompts, config, PLAY → base64 PCM chunks of 2 s."""

    CHUNK_S = 2.0

    def __init__(
        self,
        folder: str | None = None,
        realtime: bool = False,
        warmup_s: float = 1.0,
        speed: float = 1.0,
        song_s=120.0,
        head_start_s: float = 0.0,
    ) -> None:
        import ssl

        self.folder = folder or scratch_dir("padserver-fake-lyria-")
        self.cert, key = self_signed(self.folder)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.cert, key)
        self.realtime = realtime
        self.warmup_s = warmup_s  # noise before the music, like the model settling
        self.speed = speed  # the music's tempo against the bpm asked for (a model plays near it, not at it)
        self.song_s = song_s  # how long each session streams
        self.head_start_s = head_start_s  # real time: this much is sent at once first (the model's head start)
        self.messages: list[dict] = []  # every client message, in order
        self.arrived: list[float] = []  # when each came (time.monotonic())
        self.headers: list[dict] = []
        self.paths: list[str] = []
        self.scripts: list[LyriaScript] = []
        self.sessions = 0
        self.open_now = 0  # sessions connected and not yet closed
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self._ready.wait(10)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def env(self) -> dict:
        return {"SSL_CERT_FILE": self.cert, "GOOGLE_GEMINI_BASE_URL": self.url}

    def _run(self) -> None:
        from websockets.asyncio.server import serve

        async def main():
            async with serve(self._session, "127.0.0.1", 0, ssl=self.context) as server:
                self.port = server.sockets[0].getsockname()[1]
                self._stop = asyncio.get_running_loop().create_future()
                self._ready.set()
                await self._stop

        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(main())

    def close(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(lambda: self._stop.done() or self._stop.set_result(None))
            self.thread.join(5)

    async def _session(self, ws) -> None:
        self.sessions += 1
        self.open_now += 1
        try:
            await self._serve(ws)
        finally:
            self.open_now -= 1

    async def _serve(self, ws) -> None:
        script = self.scripts.pop(0) if self.scripts else LyriaScript()
        self.paths.append(ws.request.path)
        self.headers.append({k.lower(): v for k, v in ws.request.headers.raw_items()})
        setup = json.loads(await ws.recv())
        self.messages.append(setup)
        self.arrived.append(time.monotonic())
        await ws.send(json.dumps({"setupComplete": {}}))
        config: dict = {}
        prompts: list = []
        sender = None
        try:
            async for raw in ws:
                message = json.loads(raw)
                self.messages.append(message)
                self.arrived.append(time.monotonic())
                if "musicGenerationConfig" in message:
                    config = message["musicGenerationConfig"]
                if "clientContent" in message:
                    prompts = message["clientContent"].get("weightedPrompts", [])
                    if script.filtered and any(p.get("text") == script.filtered for p in prompts):
                        await ws.send(
                            json.dumps({"filteredPrompt": {"text": script.filtered, "filteredReason": "fake policy"}})
                        )
                if message.get("playbackControl") == "PLAY" and sender is None:
                    sender = asyncio.get_running_loop().create_task(self._stream(ws, config, script))
                if message.get("playbackControl") == "RESET_CONTEXT" and sender is not None:
                    sender.cancel()  # the model starts over, with the config it has now (bpm, scale)
                    sender = asyncio.get_running_loop().create_task(self._stream(ws, config, script))
        except Exception:
            pass
        finally:
            if sender is not None:
                sender.cancel()

    async def _stream(self, ws, config: dict, script: LyriaScript) -> None:
        rate = 48000
        bpm = float(config.get("bpm") or 120)
        rng = np.random.default_rng(3)
        warm = (0.05 * rng.standard_normal((2, int(self.warmup_s * rate)))).astype(np.float32)
        song = music(bpm * self.speed, self.song_s, rate, DOWNBEAT_S, json.dumps(config, sort_keys=True))
        audio = np.concatenate([warm, song], axis=1)
        pcm = encode(audio, rate, "pcm_stereo")
        step = int(self.CHUNK_S * rate) * 4
        for n, i in enumerate(range(0, len(pcm), step)):
            if script.close_after is not None and n >= script.close_after:
                await ws.close(code=1011, reason="fake server dropped the session")
                return
            if script.stall_after is not None and n >= script.stall_after:
                await asyncio.sleep(3600)
            chunk = {
                "data": base64.b64encode(pcm[i : i + step]).decode(),
                "mimeType": "audio/l16;rate=48000;channels=2",
            }
            await ws.send(json.dumps({"serverContent": {"audioChunks": [chunk]}}))
            ahead = (n + 1) * self.CHUNK_S <= self.head_start_s
            # (else twenty times faster than real time: the stepped driver renders faster still, and a live pad's
            # shaped stream comes to the daemon at 384 kB a second of it)
            await asyncio.sleep(self.CHUNK_S if self.realtime and not ahead else self.CHUNK_S / FAST)
