"""``lyria-clip``: Lyria 3 clips (30 s MP3) or whole songs, through generate content; the loop is cut from it."""

from __future__ import annotations

from padserver.providers.base import Capabilities, Request, Result, Take
from padserver.providers.cloud import permanent, provenance, words
from padserver.providers.google import GoogleProvider

CLIP_SECONDS = 30.0


class LyriaClip(GoogleProvider):
    name = "lyria-clip"
    capabilities = Capabilities(
        seconds=(CLIP_SECONDS, CLIP_SECONDS),
        bpm_field=False,
        key_field=False,
        instrumental_toggle=False,
        seed=False,
        takes_per_call=1,
    )

    @property
    def model(self) -> str:  # type: ignore[override]
        return str(self.settings.get("model", "lyria-3-clip-preview"))

    def warnings(self, request: Request) -> list[str]:
        out = super().warnings(request)
        if not request.instrumental:
            out = [w for w in out if "vocals" not in w]
        elif any("vocals" in w for w in out):
            out = [w for w in out if "vocals" not in w]
            out.append(f"{self.name} has no instrumental setting: 'instrumental' goes into the prompt's words")
        bars_seconds = request.bars * 4 * 60.0 / float(request.bpm or 120.0)
        if bars_seconds > CLIP_SECONDS and "clip" in self.model:
            out.append(f"{self.model} makes {CLIP_SECONDS:g} s: {request.bars} bars at {request.bpm:g} BPM do not fit")
        return out

    async def generate(self, request: Request, progress) -> Result:
        prompt = words(request)
        client = self.client()
        takes = []
        try:
            for i in range(max(1, request.takes)):
                progress(i / max(1, request.takes), "composing")
                answer = await client.aio.models.generate_content(model=self.model, contents=prompt)
                audio, mime, text = None, "", []
                for candidate in answer.candidates or []:
                    for part in (candidate.content.parts if candidate.content else None) or []:
                        if part.inline_data is not None and part.inline_data.data:
                            audio, mime = part.inline_data.data, part.inline_data.mime_type or ""
                        elif part.text:
                            text.append(part.text)
                if audio is None:
                    raise permanent(f"{self.name}: no audio in the answer: the prompt was filtered ({_why(answer)})")
                fmt = "wav" if "wav" in mime else "mp3"
                takes.append(Take(audio=None, sample_rate=44100, data=audio, format=fmt))
        except Exception as exc:
            raise self.fail(exc) from None
        sent = {"model": self.model, "contents": prompt}
        return Result(takes, provenance(self, request, sent, "SynthID", "lyria clip"))


def _why(answer) -> str:
    feedback = getattr(answer, "prompt_feedback", None)
    if feedback is not None and getattr(feedback, "block_reason", None):
        return f"block reason {feedback.block_reason}"
    for candidate in getattr(answer, "candidates", None) or []:
        if getattr(candidate, "finish_reason", None):
            return f"finish reason {candidate.finish_reason}"
    return "no reason given"
