"""OSC routes for generating loops (generate, regenerate, vary, take, cancel), splitting them and speaking lines."""

from __future__ import annotations

from padserver.control.route import RouteGroup

group = RouteGroup()
route = group.route


@route(
    "/pad/{n}/generate",
    "[s:prompt] [*:options]",
    "Make a loop for the pad: options provider= bars= bpm= key= genre= instrument= mood= takes= seed= instrumental=, "
    "and for one provider or another density= brightness= guidance= temperature= top_k= mute_bass= mute_drums= "
    "only_bass_and_drums= mode= (lyria-realtime), plan=1 (elevenlabs-music: a composition plan first), "
    "oneshot=1 (elevenlabs-sfx: a one-shot instead of a seamless loop); "
    "with no words (or a button's 1) it uses the prompt field (`/prompt`), a button's 0 does nothing; "
    "asynchronous, replies `/job/started i:job i:pad`; progress on `/job/{id}`, `/pad/{n}/generating`, `/pad/{n}/progress`.",
)
def _generate(ctx, n, prompt=None, *options):
    if prompt is None or isinstance(prompt, (int, float)):
        if prompt is not None and not prompt:
            return None  # a tablet button's release
        prompt = ctx.actions.project.prompt
        if not prompt.strip():
            raise ValueError("no words to generate from: type a prompt (/prompt) or send one")
    job = ctx.actions.generation.generate(n, prompt, list(options), who=ctx.sender)
    return [("/job/started", [job.id, job.pad])]


@route(
    "/prompt",
    "[s:words]",
    "The prompt field: pads generate from these words when given none (tablets' generate buttons); "
    "with no argument replies `/prompt s`.",
)
def _prompt(ctx, words=None):
    if words is None:
        return [("/prompt", [ctx.actions.project.prompt])]
    ctx.actions.set_prompt(words)
    return None


@route("/pad/{n}/regenerate", "", "The pad's last request again, with a new seed; replies `/job/started i:job i:pad`.")
def _regenerate(ctx, n):
    job = ctx.actions.generation.regenerate(n, who=ctx.sender)
    return [("/job/started", [job.id, job.pad])]


@route(
    "/pad/{n}/vary",
    "s:variation",
    "A new take from the pad's loop, same tempo, key and bars: more_complex, simpler, different_instrument, "
    "different_rhythm, different_melody, or words of your own; replies `/job/started i:job i:pad`.",
)
def _vary(ctx, n, variation):
    job = ctx.actions.generation.vary(n, variation, who=ctx.sender)
    return [("/job/started", [job.id, job.pad])]


@route(
    "/pad/{n}/take",
    "i:index",
    "Put take `index` (from 1) of the pad's last generation on the pad, at its next loop boundary.",
)
async def _take(ctx, n, index):
    loop = await ctx.actions.generation.take(n, index)
    return [(f"/pad/{n}/loaded", [ctx.actions.project.pad(int(n)).bars, loop])]


@route("/pad/{n}/cancel", "", "Cancel the pad's running generation (the pad keeps what it had).")
def _cancel(ctx, n):
    ctx.actions.generation.cancel(n)


@route(
    "/pad/{n}/split",
    "[*:options]",
    "Split the pad's loop into stems on other pads (`onto=5,6`, else the next empty ones): bar-exact and in phase, "
    "starting together on its next quantum as it stops there (one /undo brings it back), at its gain and pan, "
    "adding up to it exactly. `stems=2|4|6` (ElevenLabs: vocals and instrumental; drums, bass, vocals, other; "
    "with guitar and piano), `stems=2` offline (drums, other); `provider=offline|elevenlabs` (else "
    "`providers.stems`: ElevenLabs with a key). What a separator leaves out goes into other or instrumental. "
    "Replies `/pad/n/split i:pad …` (drums first, other last).",
)
async def _split(ctx, n, *options):
    from padserver.actions.stems import split

    if len(options) == 1 and isinstance(options[0], (int, float)):  # a button
        if not options[0]:
            return None
        options = ()
    pads = await split(ctx.actions, n, list(options))
    return [(f"/pad/{int(n)}/split", pads)]


@route(
    "/pad/{n}/speak",
    "s:text [*:options]",
    "Speak a line onto the pad: a one-shot from its first word (whole bars long), or with `fit=N` stretched to N "
    "bars at the project tempo, looping. Options voice= (an id or a name: see /voices), model= (ElevenLabs: "
    "eleven_multilingual_v2), stability= style= similarity= (0..1), speed= (0.7..1.2), provider=elevenlabs|espeak "
    "(else ElevenLabs with a key, else espeak-ng when installed). A line said before with the same voice and "
    "settings comes from the cache. Replies `/pad/n/speak i:loop s:engine s:voice i:bars i:cached`.",
)
async def _speak(ctx, n, text, *options):
    from padserver.actions.speech import speak

    done = await speak(ctx.actions, n, text, list(options))
    values = [done["loop"], done["engine"], str(done["voice"] or ""), done["bars"], int(done["cached"])]
    return [(f"/pad/{int(n)}/speak", values)]


@route(
    "/voices",
    "[s:provider]",
    "The voices of the speech engine in use (or `elevenlabs`, `espeak`): replies `/voices s:json` "
    '(a list of {"id", "name", "category"}).',
)
async def _voices(ctx, provider=""):
    import json

    from padserver.actions.speech import voices

    return [("/voices", [json.dumps(await voices(ctx.actions, str(provider)))])]
