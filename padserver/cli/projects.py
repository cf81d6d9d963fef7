"""``padserver project …``: saved projects offline, and new/save/load on the running daemon."""

from __future__ import annotations

import sys

from padserver.cli.options import value


def _store(args):
    from padserver import paths
    from padserver.config import load_config
    from padserver.projects.store import ProjectStore

    data_dir = value(args, "data_dir")
    config = load_config(None, {"paths.data_dir": data_dir} if data_dir else {})
    return ProjectStore(paths.data_dir(config.paths.data_dir))


def _daemon(args, address: str, *values) -> int:
    from padserver.cli.client import request

    return request("127.0.0.1", value(args, "port", 9000), address, list(values), 5.0)


def run(args) -> int:
    from padserver.projects.store import ProjectError

    action = args.project_command
    if action == "new":
        return _daemon(args, "/project/new")
    if action == "save":
        return _daemon(args, "/project/save", *([args.name] if args.name else []))
    if action == "load":
        return _daemon(args, "/project/load", args.name)
    store = _store(args)
    try:
        if action == "ls":
            current = store.last_session()
            for name in store.names():
                print(("* " if name == current else "  ") + name)
        elif action == "show":
            project = store.load(args.name)
            print(
                f"tempo {project.tempo:g} BPM, {project.beats_per_bar}/4, quantize {project.quantize}, master {project.master_gain:g}"
            )
            for pad in project.pads:
                if pad.loop_id is not None:
                    print(
                        f"  pad {pad.number:2d}: loop {pad.loop_id} {pad.name!r} {pad.mode} gain {pad.gain:g} pan {pad.pan:g}"
                    )
        elif action == "rm":
            store.delete(args.name)
            print(f"deleted project {args.name}")
        return 0
    except ProjectError as exc:
        print(f"padserver: {exc}", file=sys.stderr)
        return 1
