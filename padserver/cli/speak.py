"""``padserver speak``: speak a line onto a pad of the running daemon, or list the voices."""

from __future__ import annotations

import sys

OPTIONS = (("voice", str), ("model", str), ("stability", float), ("style", float), ("similarity", float),
           ("speed", float), ("fit", int), ("provider", str))  # fmt: skip


def add_parser(sub) -> None:
    speak = sub.add_parser(
        "speak", help="speak a line onto a pad of the running daemon (ElevenLabs with a key, else espeak-ng)"
    )
    speak.add_argument("text", nargs="?", help="the line (the daemon's log shows only its first words)")
    speak.add_argument("--pad", type=int, help="the pad it goes on (1..16)")
    speak.add_argument("--voices", action="store_true", help="list the voices of the speech engine in use")
    for name, kind in OPTIONS:
        speak.add_argument(f"--{name}", type=kind)
    speak.add_argument("--port", type=int, default=9000)
    speak.add_argument("--timeout", type=float, default=120.0)


def run(args) -> int:
    import json
    import socket
    import time

    from padserver.control.osc import build, messages_in

    if args.voices:
        address, values, reply = "/voices", [args.provider or ""], "/voices"
    elif args.text and args.pad:
        options = [f"{k}={getattr(args, k)}" for k, _ in OPTIONS if getattr(args, k) is not None]
        address, values, reply = f"/pad/{args.pad}/speak", [args.text, *options], f"/pad/{args.pad}/speak"
    else:
        print("padserver speak: give the line and --pad N, or --voices", file=sys.stderr)
        return 2
    target = ("127.0.0.1", args.port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.sendto(build("/unregister", []), target)  # this request's answers only
        sock.sendto(build(address, values), target)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                arrived = messages_in(sock.recvfrom(65536)[0])
            except TimeoutError:
                break
            except ConnectionRefusedError:
                continue
            for message in arrived:
                got = list(message.params)
                if message.address == "/error" and got and got[0] == address:
                    print(f"padserver: {got[1]}", file=sys.stderr)
                    return 1
                if message.address == reply and reply == "/voices":
                    for voice in json.loads(got[0]):
                        print(f"{voice['id']:<24} {voice['name']}  {voice.get('category', '')}".rstrip())
                    return 0
                if message.address == reply:
                    loop, engine, voice, bars, cached = got
                    how = "from the cache" if cached else f"spoken by {engine}"
                    print(f"pad {args.pad}: loop {loop}, {bars} bar(s), voice {voice or '?'}, {how}")
                    return 0
    print(f"no answer from padserver on port {args.port} within {args.timeout:g} s (is it running?)", file=sys.stderr)
    return 1
