"""``padserver generate``: ask the running daemon for a loop and watch it being made."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    gen = sub.add_parser("generate", help="make a loop for a pad on the running daemon, with a progress bar")
    gen.add_argument("prompt")
    gen.add_argument("--pad", type=int, required=True, help="the pad it goes on (1..16)")
    for name, kind in (
        ("provider", str),
        ("bars", int),
        ("bpm", float),
        ("key", str),
        ("genre", str),
        ("instrument", str),
        ("mood", str),
        ("takes", int),
        ("seed", int),
    ):
        gen.add_argument(f"--{name}", type=kind)
    gen.add_argument("--port", type=int, default=9000)
    gen.add_argument("--timeout", type=float, default=600.0)


def run(args) -> int:
    import socket
    import time

    from padserver.control.osc import build, messages_in

    options = [
        f"{k}={getattr(args, k)}"
        for k in ("provider", "bars", "bpm", "key", "genre", "instrument", "mood", "takes", "seed")
        if getattr(args, k) is not None
    ]
    target = ("127.0.0.1", args.port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.sendto(
            build(f"/pad/{args.pad}/generate", [args.prompt, *options]), target
        )  # this sender hears the job's feedback
        deadline = time.monotonic() + args.timeout
        job = None
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, min(5.0, deadline - time.monotonic())))
            try:
                arrived = messages_in(sock.recvfrom(65536)[0])
            except TimeoutError:
                if job is None:
                    print(f"no answer from padserver on port {args.port} (is it running?)", file=sys.stderr)
                    return 1
                continue
            for message in arrived:
                address, values = message.address, list(message.params)
                if address == "/error":
                    print(f"\npadserver: {values[1]}", file=sys.stderr)
                    return 1
                if address == "/job/started":
                    job = values[0]
                elif job is not None and address == f"/job/{job}":
                    state, progress, text = values
                    width = 30
                    filled = int(width * float(progress))
                    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {state:9s} {text[:50]:50s}")
                    sys.stderr.flush()
                    if state in ("done", "failed", "cancelled"):
                        sys.stderr.write("\n")
                        print(f"job {job}: {state}" + (f" — {text}" if text and state != "done" else ""))
                        if state == "done":
                            sock.sendto(build("/unregister", []), target)
                        return 0 if state == "done" else 1
        print("timed out waiting for the job", file=sys.stderr)
        return 1
