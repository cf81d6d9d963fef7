"""Mapping files on disk: the ones padserver ships and the user's, loaded (a broken one logged and skipped),
and the controller layouts' documentation drawn from their headers."""

from __future__ import annotations

import os
import sys

from padserver.control.mapping_parse import parse
from padserver.control.mappings import Mapping, MappingError


def parse_mapping(text: str, path: str) -> Mapping:
    """Parse one mapping file's text; raises MappingError with every problem found."""
    return parse(text, path)


def load_mapping(path: str) -> Mapping:
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MappingError([f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"]) from None
    return parse_mapping(text, path)


def shipped_dir() -> str:
    """The mappings that come with padserver: beside the source, or installed under share/."""
    source = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "mappings")
    if os.path.isdir(source):
        return source
    return os.path.join(sys.prefix, "share", "padserver", "mappings")


def load_all(folders: list[str], log) -> list[Mapping]:
    """Every ``*.yaml`` mapping in ``folders``; later folders override earlier ones by file name.

    A broken file is logged with its problems and skipped; the others load.
    """
    found: dict[str, str] = {}
    for folder in folders:
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.endswith((".yaml", ".yml")):
                found[os.path.splitext(name)[0]] = os.path.join(folder, name)
    mappings = []
    for _, path in sorted(found.items()):
        try:
            mappings.append(load_mapping(path))
        except MappingError as exc:
            log.error("mapping %s is not used:\n  %s", path, "\n  ".join(exc.problems))
        except OSError as exc:
            log.error("mapping %s cannot be read: %s", path, exc.strerror)
    return mappings


def layout_docs(folder: str | None = None) -> str:
    """docs/controllers.md: each shipped mapping's device and the layout picture from its header."""
    folder = folder or shipped_dir()
    lines = [
        "# Controller layouts",
        "",
        "Generated from the comments at the top of each file in `mappings/` by `padserver mappings --docs`;",
        "do not edit by hand. Pads are numbered 1..16 from the top left, as on the tablet.",
        "",
    ]
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            text = fh.read()
        header = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            header.append(line[2:] if line.startswith("# ") else line[1:])
        mapping = parse_mapping(text, name)
        lines += [f"## {mapping.device} (`{name}`)", "", "```", *header, "```", ""]
    return "\n".join(lines)
