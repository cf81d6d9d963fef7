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
    "offset": int,
}
REPLY_BYTES = 60000  # a result's JSON at most (one UDP datagram carries 65,507 bytes): the rest is a next page


@route(
    "/library/search",
    "[s:text] [*:options]",
    "Search names, tags and prompts; options category= source= bpm_min= bpm_max= key= bars= limit= offset=; "
    "replies `/library/result s:json` (id, name, category, bpm, key, bars, duration, source, tags, path); "
    "when more was found than one datagram holds, also `/library/result/more i:offset` (ask again with it).",
)
def _library_search(ctx, *args):
    words: list[str] = []
    filters = checks.key_values(args, SEARCH_OPTIONS, "search", words)
    text = checks.text(" ".join(words), "search text", MAX_SEARCH_CHARS)
    if len(text.split()) > MAX_SEARCH_WORDS:
        raise ValueError(f"a search takes at most {MAX_SEARCH_WORDS} words (got {len(text.split())})")
    filters["limit"] = max(1, min(filters.get("limit", 50), 500))
    offset = filters["offset"] = checks.whole(filters.get("offset", 0), "offset", 0, 10**9)
    loops = ctx.actions.library.search(text=text, **filters)
    data = ctx.actions.library.data_dir
    found = [json.dumps(loop.summary(data), separators=(",", ":")) for loop in loops]
    fits, size = 0, 2  # (the brackets)
    for entry in found:
        size += len(entry.encode()) + 1  # (and its comma)
        if size > REPLY_BYTES:
            break
        fits += 1
    replies = [("/library/result", ["[" + ",".join(found[:fits]) + "]"])]
    if fits < len(found):  # a page: the client asks for the rest from here
        replies.append(("/library/result/more", [offset + fits]))
    return replies


@route(
    "/library/show",
    "i:loop",
    "Replies `/library/show s:json`: everything known of a loop (as `padserver library show`): its analysis and "
    "where it came from (provider, model, the request as sent, seed, watermark, the loop it was split from).",
)
def _library_show(ctx, loop):
    return [("/library/show", [json.dumps(ctx.actions.library_detail(loop), separators=(",", ":"), default=str)])]
