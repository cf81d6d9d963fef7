"""``espeak-ng``: speech without a key or a network, from the eSpeak NG synthesiser (a Debian package) when it
is installed. Its ``role`` is "speech"; a line is spoken with ``espeak-ng --stdin --stdout`` (the words on its
input, never on a command line), a WAV at 22.05 kHz.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile

from padserver.providers.base import Capabilities, Provider, Request, Result, Take
from padserver.providers.cloud import permanent

WPM = 175  # espeak-ng's own speed, at speed=1


def _program() -> str | None:
    return shutil.which("espeak-ng")


class Espeak(Provider):
    name = "espeak-ng"
    model = "espeak-ng"
    role = "speech"
    capabilities = Capabilities(
        seconds=(0.1, 300.0), bpm_field=False, key_field=False, instrumental_toggle=False, seed=False, takes_per_call=1
    )

    def __init__(self, config=None) -> None:
        settings = getattr(getattr(config, "settings", None), "espeak-ng", None)
        self.voice = str(getattr(settings, "voice", "") or "en")

    def unavailable(self) -> str | None:
        if _program() is None:
            return "espeak-ng is not installed (apt-get install espeak-ng)"
        return None

    def warnings(self, request: Request) -> list[str]:
        left = [k for k in ("stability", "style", "similarity", "model") if request.extras.get(k) is not None]
        return [f"espeak-ng has no {k} setting: it is left out" for k in left]

    async def _run(self, *args: str, text: str | None = None) -> bytes:
        program = _program()
        if program is None:
            raise permanent(self.unavailable() or "espeak-ng is missing")
        # (its audio library leaves a runtime folder in the temporary folder even when it writes to stdout:
        # one of its own, gone after)
        with tempfile.TemporaryDirectory(prefix="padserver-espeak-") as scratch:
            proc = await asyncio.create_subprocess_exec(
                program, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env={**os.environ, "TMPDIR": scratch, "XDG_RUNTIME_DIR": scratch},
            )  # fmt: skip
            out, err = await proc.communicate(text.encode() if text is not None else None)
        if proc.returncode != 0:
            raise permanent(f"espeak-ng failed: {err.decode(errors='replace').strip()[:200]}")
        return out

    async def voices(self) -> list[dict]:
        listing = (await self._run("--voices")).decode(errors="replace").splitlines()[1:]
        out = []
        for line in listing:  # Pty Language Age/Gender VoiceName File Other Languages
            parts = line.split()
            if len(parts) >= 4:
                out.append({"id": parts[1], "name": parts[3], "category": "espeak-ng"})
        return out

    async def generate(self, request: Request, progress) -> Result:
        voice = str(request.extras.get("voice") or self.voice)
        speed = float(request.extras.get("speed") or 1.0)
        sent = {"voice": voice, "wpm": round(WPM * speed)}
        progress(0.1, f"speaking as {voice}")
        data = await self._run("--stdin", "--stdout", "-v", voice, "-s", str(sent["wpm"]), text=request.prompt)
        if not data:
            raise permanent(f"espeak-ng said nothing (is {voice!r} one of its voices? see /voices espeak-ng)")
        take = Take(audio=None, sample_rate=22050, data=data, format="wav", channels=1, downbeat_s=0.0)
        provenance = {
            "provider": self.name,
            "model": self.model,
            "seed": None,
            "request": {**request.as_sent(), "sent": sent},
            "watermark": None,
            "voice": {"id": voice, "name": voice},
        }
        return Result([take], provenance)
