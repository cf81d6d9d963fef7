"""``elevenlabs-stems``: ElevenLabs stem separation (``music.separate_stems``): a loop in, a ZIP of stems out.

Not a source of loops (its ``role`` is "stems"): `actions.stems` asks it for a pad's loop, through the job
manager (progress, retries, cache by the loop's content and the variation, daily limits). The request names
the loop's audio as a WAV file whose name is its content's hash (``extras["source"]``) and the variation
(``two_stems_v1``: vocals and instrumental; ``six_stems_v1``: vocals, drums, bass, guitar, piano, other).
Each stem comes back as a take named for what it holds, read from its file's name in the archive.
"""

from __future__ import annotations

import io
import os
import re
import zipfile

from padserver.providers.base import Capabilities, Request, Result, Take
from padserver.providers.cloud import permanent, provenance
from padserver.providers.elevenlabs import (
    REQUEST_OPTIONS,
    ElevenLabsProvider,
    audio_format,
    bytes_per_second,
    pcm_channels,
)
from padserver.providers.elevenlabs.credentials import credentials

KNOWN = ("vocals", "drums", "bass", "guitar", "piano", "other", "instrumental")
SAME = {"accompaniment": "instrumental", "no_vocals": "instrumental", "music": "instrumental", "vocal": "vocals",
        "voice": "vocals", "drum": "drums", "keys": "piano", "rest": "other", "others": "other"}  # fmt: skip


def stem_name(filename: str) -> str:
    """What a stem file holds, from its name ("song_Drums.mp3" → "drums"); else its name, tidied."""
    base = os.path.splitext(os.path.basename(filename))[0].lower()
    words = [w for w in re.split(r"[^a-z]+", base) if w]
    for word in reversed(words):  # (the last word is the stem's in names like "<song>_<stem>")
        if word in KNOWN:
            return word
        if word in SAME:
            return SAME[word]
    return "_".join(words)[:24] or "stem"


def unpack(data: bytes) -> list[tuple[str, bytes]]:
    """The audio files in a ZIP answer, by name, in the archive's order."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise permanent("elevenlabs-stems: the answer is not a ZIP archive of stems") from None
    files = [i for i in archive.infolist() if not i.is_dir() and not os.path.basename(i.filename).startswith(".")]
    if not files:
        raise permanent("elevenlabs-stems: the archive holds no stems")
    return [(i.filename, archive.read(i)) for i in files]


class ElevenLabsStems(ElevenLabsProvider):
    name = "elevenlabs-stems"
    role = "stems"
    capabilities = Capabilities(
        seconds=(0.5, 600.0), bpm_field=False, key_field=False, instrumental_toggle=False, seed=False, takes_per_call=1
    )

    @property
    def model(self) -> str:  # type: ignore[override]
        return "elevenlabs stem separation"

    def warnings(self, request: Request) -> list[str]:
        return []

    async def generate(self, request: Request, progress) -> Result:
        output = str(self.settings.get("output_format", "mp3_44100_192"))
        fmt, rate, channels = audio_format(output)
        source = str(request.extras.get("source", ""))
        variation = str(request.extras.get("variation", "six_stems_v1"))
        try:
            with open(source, "rb") as fh:
                wav = fh.read()
        except OSError as exc:
            raise permanent(f"{self.name}: the loop to split cannot be read: {exc.strerror}") from None
        sent: dict[str, object] = {"stem_variation_id": variation, "output_format": output}
        if self.settings.get("c2pa", False) and fmt == "mp3":
            sent["sign_with_c_2_pa"] = True
        seconds = float(request.extras.get("seconds") or 8.0)
        expected = seconds * bytes_per_second(output) * (2 if variation == "two_stems_v1" else 6)
        progress(0.02, "uploading the loop")
        try:
            chunks = self.client().music.separate_stems(
                file=("loop.wav", wav, "audio/wav"), **sent, request_options=REQUEST_OPTIONS
            )
            data = await self.collect(chunks, expected, progress)
        except Exception as exc:
            raise self.fail(exc) from None
        files = unpack(data)
        takes = [
            Take(
                audio=None,
                sample_rate=rate,
                data=content,
                format=fmt,
                channels=pcm_channels(self.settings, len(content), rate, seconds) if fmt == "pcm_s16le" else channels,
                name=stem_name(filename),
            )
            for filename, content in files
        ]
        return Result(
            takes, credentials(provenance(self, request, sent, None, "stems", files=[f for f, _ in files]), takes)
        )
