"""``padserver library …``: the library from the command line, with or without a daemon running."""

from __future__ import annotations

import json
import sys
import time

from padserver.cli.options import DATA_DIR, shared, value
from padserver.library.db import CATEGORIES, SOURCES


def add_parser(sub) -> None:
    common = shared(DATA_DIR)
    lib = sub.add_parser(
        "library", parents=[common], help="the loop library: import, list, search, show, remove, rename, tag"
    )
    lsub = lib.add_subparsers(dest="library_command", metavar="ACTION", required=True)
    imp = lsub.add_parser("import", parents=[common], help="import files and folders (WAV, FLAC, AIFF, OGG, MP3)")
    imp.add_argument("paths", nargs="+")
    imp.add_argument("--json", action="store_true", help="one JSON object per imported loop")
    for name, helptext in (("ls", "list loops"), ("search", "search names, tags and prompts")):
        p = lsub.add_parser(name, parents=[common], help=helptext)
        if name == "search":
            p.add_argument("text", nargs="*")
        p.add_argument("--category", choices=CATEGORIES)
        p.add_argument("--source", choices=SOURCES)
        p.add_argument("--bpm-min", type=float)
        p.add_argument("--bpm-max", type=float)
        p.add_argument("--key")
        p.add_argument("--bars", type=int)
        p.add_argument("--limit", type=int, default=1000)
        p.add_argument("--json", action="store_true", help="one JSON object per loop")
    show = lsub.add_parser("show", parents=[common], help="everything about one loop")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    rm = lsub.add_parser("rm", parents=[common], help="remove a loop and its audio (refused while a project uses it)")
    rm.add_argument("id", type=int)
    rm.add_argument("--force", action="store_true", help="remove it even if a project uses it")
    ren = lsub.add_parser("rename", parents=[common], help="rename a loop")
    ren.add_argument("id", type=int)
    ren.add_argument("name")
    tag = lsub.add_parser("tag", parents=[common], help="add (or --remove) tags")
    tag.add_argument("id", type=int)
    tag.add_argument("tags", nargs="+")
    tag.add_argument("--remove", action="store_true")
    setp = lsub.add_parser(
        "set", parents=[common], help="declare a loop's category, tempo or key (your values win over estimates)"
    )
    setp.add_argument("id", type=int)
    setp.add_argument("--category", choices=CATEGORIES)
    setp.add_argument("--bpm", type=float)
    setp.add_argument("--key")


def _library(args):
    from padserver import paths
    from padserver.config import load_config
    from padserver.library.store import Library

    data_dir = value(args, "data_dir")
    config = load_config(None, {"paths.data_dir": data_dir} if data_dir else {})
    data = paths.data_dir(config.paths.data_dir)
    library = Library(data, int(config.audio.sample_rate))
    from padserver.projects.store import ProjectStore

    library.users = ProjectStore(data).users_of
    return library


def _line(loop) -> str:
    bpm = f"{loop.bpm:6.1f}" if loop.bpm else "     ?"
    return f"{loop.id:6d}  {loop.name[:32]:32s}  {loop.category:7s} {bpm} BPM  {loop.key or '?':4s} {loop.bars or '?':>3} bars  {loop.duration:6.1f} s  {loop.source}"


def _progress(done: int, total: int, path: str) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {path[-40:]:40s}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run(args) -> int:
    from padserver.library.store import LibraryError

    try:
        library = _library(args)
    except LibraryError as exc:
        print(f"padserver: {exc}", file=sys.stderr)
        return 1
    action = args.library_command
    try:
        if action == "import":
            t0 = time.monotonic()
            imported = skipped = failed = 0
            for _path, loop, new, error in library.import_many(args.paths, progress=None if args.json else _progress):
                if error:
                    failed += 1
                    print(f"error: {error}", file=sys.stderr)
                    continue
                imported += new
                skipped += not new
                if args.json:
                    print(json.dumps(loop.summary(library.data_dir) | {"new": new}))
            took = time.monotonic() - t0
            if not args.json:
                print(f"{imported} imported, {skipped} already in the library, {failed} failed, in {took:.1f} s")
            return 1 if failed else 0
        if action in ("ls", "search"):
            loops = library.search(
                text=" ".join(getattr(args, "text", []) or []),
                category=args.category,
                source=args.source,
                bpm_min=args.bpm_min,
                bpm_max=args.bpm_max,
                key=args.key,
                bars=args.bars,
                limit=args.limit,
            )
            for loop in loops:
                print(json.dumps(loop.summary(library.data_dir)) if args.json else _line(loop))
            return 0
        if action == "show":
            loop = library.get(args.id)
            detail = library.detail(loop)
            if args.json:
                print(json.dumps(detail | {"overview": loop.overview}))
            else:
                for key, value in detail.items():
                    print(f"{key:15s} {value}")
            return 0
        if action == "rm":
            loop = library.delete(args.id, force=args.force)
            print(f"removed loop {loop.id} ({loop.name})")
        elif action == "rename":
            print(_line(library.rename(args.id, args.name)))
        elif action == "tag":
            loop = library.tag(args.id, remove=args.tags) if args.remove else library.tag(args.id, add=args.tags)
            print(f"{loop.id}: tags {', '.join(loop.tags) or '(none)'}")
        elif action == "set":
            if args.category:
                library.set_category(args.id, args.category)
            print(_line(library.declare(args.id, bpm=args.bpm, key=args.key)))
        return 0
    except LibraryError as exc:
        print(f"padserver: {exc}", file=sys.stderr)
        return 1
    finally:
        library.close()
