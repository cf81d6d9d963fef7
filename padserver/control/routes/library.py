"""OSC routes for the loop library: import, search, preview."""

from __future__ import annotations

import json

from padserver.actions import checks
from padserver.control.route import RouteGroup

group = RouteGroup()
route = group.route


@route(
    "/library/import",
    "s:path",
    "Import a file, or a folder's audio files, from an allowed folder; replies `/library/imported i:loop s:name i:new` for each.",
)
async def _library_import(ctx, path):
    imported = await ctx.actions.import_many(path)
    return [("/library/imported", [loop.id, loop.name, int(new)]) for loop, new in imported]


@route(
    "/library/preview",
    "s:loop",
    "Play a library loop (its id) on the cue output, looping; `stop` ends it. The pads are not touched.",
)
async def _library_preview(ctx, loop):
    return [("/library/preview", [await ctx.actions.preview(loop)])]


MAX_SEARCH_WORDS = 32  # (each word is a term of the index's query: SQLite limits them)
MAX_SEARCH_CHARS = 1000
SEARCH_OPTIONS = {
    "category": str,
    "source": str,
    "bpm_min": float,
    "bpm_max": float,
    "key": str,
    "bars": int,
    "limit": int,
}


@route(
    "/library/search",
    "[s:text] [*:options]",
    "Search names, tags and prompts; options category= source= bpm_min= bpm_max= key= bars= limit=; "
    "replies `/library/result s:json` (id, name, category, bpm, key, bars, duration, source, tags, path).",
)
def _library_search(ctx, *args):
    words: list[str] = []
    filters = checks.key_values(args, SEARCH_OPTIONS, "search", words)
    text = checks.text(" ".join(words), "search text", MAX_SEARCH_CHARS)
    if len(text.split()) > MAX_SEARCH_WORDS:
        raise ValueError(f"a search takes at most {MAX_SEARCH_WORDS} words (got {len(text.split())})")
    filters["limit"] = max(1, min(filters.get("limit", 50), 500))
    loops = ctx.actions.library.search(text=text, **filters)
    data = ctx.actions.library.data_dir
    return [("/library/result", [json.dumps([loop.summary(data) for loop in loops], separators=(",", ":"))])]
