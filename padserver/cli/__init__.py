"""The ``padserver`` command. Heavy modules are imported inside each command, so --help is instant."""

from __future__ import annotations

import argparse
import logging
import sys

from padserver import __version__
from padserver.cli.options import DATA_DIR, port_option, shared

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="padserver", description="A headless, AI-fed loop machine for live performance.")
    p.add_argument("--version", action="version", version=f"padserver {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the daemon")
    run.add_argument("--config", help="YAML config file (default: ~/.config/padserver/config.yaml if present)")
    run.add_argument(
        "--audio", choices=["auto", "jack", "portaudio", "null", "stepped"], help="audio backend (default: auto)"
    )
    run.add_argument("--step-socket", metavar="PATH", help="--audio stepped: the Unix socket a test steps it through")
    run.add_argument("--osc-host", help="address to listen on for OSC (0.0.0.0 for tablets on the LAN)")
    run.add_argument("--osc-port", type=int, help="UDP port for OSC (default 9000)")
    run.add_argument("--record", metavar="FILE", help="also write the master to FILE (.wav or .flac)")
    run.add_argument("--link", action="store_true", help="join an Ableton Link session (sync.source: link)")
    run.add_argument("--data-dir", help="where loops, projects and caches live")
    run.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    run.add_argument(
        "--demo", action="store_true", help="fill the 16 pads with a starter kit from the offline generator"
    )

    export = sub.add_parser("export", help="render the running daemon's song to a file (WAV, FLAC, MP3)")
    export.add_argument("file", help="a name (goes to the data folder's exports/) or a path in an allowed folder")
    export.add_argument("--format", choices=["wav", "flac", "mp3"])
    export.add_argument("--bits", type=int, choices=[16, 24, 32])
    export.add_argument("--rate", type=int, help="sample rate of the file (default: the engine's)")
    export.add_argument("--region", choices=["song", "loop"], default=None)
    export.add_argument("--tail", type=float, help="seconds after the end")
    export.add_argument("--normalize", type=float, metavar="LUFS", help="bring the mix to this loudness")
    export.add_argument("--stems", action="store_true", help="also one file per track")
    export.add_argument("--port", type=int, default=9000)
    export.add_argument(
        "--timeout", type=float, default=10.0, help="seconds without word from padserver before giving up"
    )

    devices = sub.add_parser(
        "devices", help="list audio devices, JACK status, MIDI ports and a running daemon's outputs"
    )
    devices.add_argument("--port", type=int, default=9000, help="the running daemon's OSC port")
    doctor = sub.add_parser("doctor", help="check what is missing or misconfigured, and how to fix it")
    doctor.add_argument("--config")
    cfg = sub.add_parser("config", help="print the effective configuration (secrets masked)")
    cfg.add_argument("--config")

    send = sub.add_parser("send", help="send one OSC message to the running daemon and print the replies")
    send.add_argument("address", help="e.g. /pad/1/trigger")
    send.add_argument("args", nargs="*", help="arguments: whole numbers are sent as int, decimals as float, else text")
    send.add_argument("--host", default="127.0.0.1")
    send.add_argument("--port", type=int, default=9000)
    send.add_argument("--wait", type=float, default=0.5, help="seconds to wait for replies (default 0.5)")

    from padserver.bench import PARTS

    bench = sub.add_parser("bench", help="measure the engine (and, with JACK, the daemon)")
    bench.add_argument(
        "what",
        choices=[*PARTS, "all"],
        nargs="?",
        default="engine",
    )
    bench.add_argument("--smoke", action="store_true", help="a few seconds instead of the full run (for CI)")
    bench.add_argument(
        "--seconds", type=float, help="length of each JACK run (default 60, smoke 3; the soak: 600, smoke 30)"
    )

    sub.add_parser("osc-docs", help="print the OSC request namespace as Markdown")
    from padserver.cli.generate import add_parser as add_generate_parser
    from padserver.cli.library import add_parser as add_library_parser

    add_library_parser(sub)
    add_generate_parser(sub)
    from padserver.cli.speak import add_parser as add_speak_parser

    add_speak_parser(sub)
    common = shared(DATA_DIR, port_option())
    proj = sub.add_parser(
        "project", parents=[common], help="projects: list, show, remove; new/save/load on the running daemon"
    )
    psub = proj.add_subparsers(dest="project_command", metavar="ACTION", required=True)
    psub.add_parser("ls", parents=[common], help="the saved projects")
    for name, helptext in (("show", "a project's settings and pads"), ("rm", "delete a saved project")):
        psub.add_parser(name, parents=[common], help=helptext).add_argument("name")
    psub.add_parser("new", parents=[common], help="start a new project on the running daemon")
    psub.add_parser("save", parents=[common], help="save the running daemon's project").add_argument("name", nargs="?")
    psub.add_parser("load", parents=[common], help="open a project on the running daemon").add_argument("name")
    for name in ("undo", "redo"):
        step = sub.add_parser(name, help=f"{name} the last change on the running daemon")
        step.add_argument("--port", type=int, default=9000)
    clients = sub.add_parser("clients", help="OSC clients waiting to be paired, and those paired (osc.pairing)")
    clients.add_argument("action", nargs="?", choices=["allow"], help="allow: pair a waiting client")
    clients.add_argument("host", nargs="?", help="the client to pair (default: the one that asked last)")
    clients.add_argument("--port", type=int, default=9000, help="the running daemon's OSC port (default 9000)")
    maps = sub.add_parser("mappings", help="check controller mapping files, or print the layout docs")
    maps.add_argument("files", nargs="*", help="mapping files to check (default: the shipped ones and yours)")
    maps.add_argument("--docs", action="store_true", help="print docs/controllers.md")
    return p


def _overrides(args) -> dict:
    out = {}
    for key, attr in (
        ("audio.backend", "audio"),
        ("osc.host", "osc_host"),
        ("osc.port", "osc_port"),
        ("audio.record", "record"),
        ("paths.data_dir", "data_dir"),
        ("log.level", "log_level"),
        ("audio.stepped.socket", "step_socket"),
    ):
        value = getattr(args, attr, None)
        if value is not None:
            out[key] = value
    if getattr(args, "link", False):
        out["sync.source"] = "link"
    return out


def _load_config(args):
    from padserver.config import ConfigError, load_config

    try:
        return load_config(getattr(args, "config", None), _overrides(args))
    except ConfigError as exc:
        print(f"padserver: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_run(args) -> int:
    import asyncio
    import faulthandler

    faulthandler.enable()  # a crash in native code leaves a Python traceback in the log

    config = _load_config(args)
    logging.basicConfig(level=config.log.level.upper(), format=LOG_FORMAT)
    for chatty in ("httpx", "httpx2", "google_genai", "websockets"):  # the SDKs' per-request lines
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
    from padserver.daemon import Daemon, StartupError

    config.demo = bool(getattr(args, "demo", False))
    try:
        return asyncio.run(Daemon(config).run())
    except StartupError as exc:
        logging.getLogger("padserver").error("%s", exc)
        return 1


def cmd_config(args) -> int:
    from padserver.config import render

    config = _load_config(args)
    print(f"# effective configuration (from {config.source})")
    print(render(config))
    return 0


def cmd_send(args) -> int:
    from padserver.cli.client import request

    return request(args.host, args.port, args.address, args.args, args.wait)


def cmd_devices(args) -> int:
    from padserver.doctor import devices, running_outputs

    print(devices())
    print(running_outputs(args.port))
    return 0


def cmd_doctor(args) -> int:
    from padserver.doctor import doctor

    report, ok = doctor(_load_config(args))
    print(report)
    return 0 if ok else 1


def cmd_bench(args) -> int:
    import signal

    if hasattr(signal, "SIGPIPE"):  # (the fake providers' clients hang up on purpose: an error, not the end)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    logging.basicConfig(level="WARNING", format=LOG_FORMAT)
    from padserver.bench import run_bench

    return run_bench(args.what, smoke=args.smoke, seconds=args.seconds)


def cmd_export(args) -> int:
    from padserver.cli.client import follow

    options = [
        f"{k}={getattr(args, k)}"
        for k in ("format", "bits", "rate", "region", "tail", "normalize")
        if getattr(args, k) is not None
    ] + (["stems=1"] if args.stems else [])

    def bar(values: list) -> None:
        fraction = float(values[0])
        filled = int(30 * fraction)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {100 * fraction:5.1f} % {args.file}")
        sys.stderr.flush()

    code, values = follow(
        "127.0.0.1",
        args.port,
        "/song/export",
        [args.file, *options],
        "/song/exported",
        "/song/export/progress",
        bar,
        quiet_s=args.timeout,
    )
    if code == 0:
        sys.stderr.write("\n")
        print(values[0])
    return code


def cmd_osc_docs(args) -> int:
    from padserver.control.osc_routes import markdown

    sys.stdout.write(markdown())
    return 0


def cmd_mappings(args) -> int:
    import os

    from padserver.config import user_config_path
    from padserver.control.mapping_files import layout_docs, load_mapping, shipped_dir
    from padserver.control.mappings import MappingError

    if args.docs:
        sys.stdout.write(layout_docs())
        return 0
    files = args.files
    if not files:
        folders = [shipped_dir(), os.path.join(os.path.dirname(user_config_path()), "mappings")]
        files = [
            os.path.join(f, n)
            for f in folders
            if os.path.isdir(f)
            for n in sorted(os.listdir(f))
            if n.endswith((".yaml", ".yml"))
        ]
    bad = 0
    for path in files:
        try:
            m = load_mapping(path)
            print(f"ok    {path}: {m.device}, {len(m.controls)} controls, ports {', '.join(m.ports)}")
        except MappingError as exc:
            bad += 1
            print("\n".join(f"error {p}" for p in exc.problems))
        except OSError as exc:
            bad += 1
            print(f"error {path}: {exc.strerror}")
    return 1 if bad else 0


def cmd_step(args) -> int:
    from padserver.cli.client import request

    return request("127.0.0.1", args.port, f"/{args.command}", [], 5.0)


def cmd_clients(args) -> int:
    from padserver.cli.client import request

    if args.action == "allow":
        return request("127.0.0.1", args.port, "/clients/allow", [args.host] if args.host else [], 5.0)
    if args.host:
        print("padserver clients: a host goes after `allow`", file=sys.stderr)
        return 2
    return request("127.0.0.1", args.port, "/clients", [], 5.0)


def cmd_generate(args) -> int:
    from padserver.cli.generate import run

    return run(args)


def cmd_speak(args) -> int:
    from padserver.cli.speak import run

    return run(args)


def cmd_library(args) -> int:
    from padserver.cli.library import run

    return run(args)


def cmd_project(args) -> int:
    from padserver.cli.projects import run

    return run(args)


COMMANDS = {
    "run": cmd_run,
    "config": cmd_config,
    "send": cmd_send,
    "devices": cmd_devices,
    "doctor": cmd_doctor,
    "bench": cmd_bench,
    "osc-docs": cmd_osc_docs,
    "export": cmd_export,
    "mappings": cmd_mappings,
    "library": cmd_library,
    "generate": cmd_generate,
    "speak": cmd_speak,
    "undo": cmd_step,
    "redo": cmd_step,
    "project": cmd_project,
    "clients": cmd_clients,
}


def main(argv: list[str] | None = None) -> int:
    import signal

    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `padserver … | head` ends quietly
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return COMMANDS[args.command](args)
