"""A project as a readable, versioned document: settings and loop references, never audio."""

from __future__ import annotations

from padserver.projects.reader import FieldReader
from padserver.state.project import Project

VERSION = 1
PAD_FIELDS = ("name", "mode", "gain", "pan", "mute", "solo", "quantum", "choke", "group", "keep", "fx")


class DocumentError(ValueError):
    pass


def to_document(project: Project, name: str) -> dict:
    pads = []
    for p in project.pads:
        pad: dict = {"number": p.number, "loop": p.loop_id}
        pad.update({f: getattr(p, f) for f in PAD_FIELDS})
        pad["region"] = [float(p.region[0]), float(p.region[1])]
        if p.mode == "live" or any(t for t, _ in p.live_prompts) or p.live_settings:
            pad["live"] = {"prompts": [[t, float(w)] for t, w in p.live_prompts], "settings": dict(p.live_settings)}
        pads.append(pad)
    return {
        "version": VERSION,
        "name": name,
        "tempo": float(project.tempo),
        "beats_per_bar": int(project.beats_per_bar),
        "quantize": project.quantize,
        "key": project.key,
        "master_gain": float(project.master_gain),
        "master_fx": dict(project.master_fx),
        "pads": pads,
        "song": project.song.to_dict(),
    }


MIGRATIONS: dict[int, object] = {}  # version → function(document) → document of the next version


def migrate(doc: dict) -> dict:
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        raise DocumentError(f"not a padserver project (version {version!r})")
    if version > VERSION:
        raise DocumentError(f"made by a newer padserver (project version {version}, this one reads up to {VERSION})")
    while doc["version"] < VERSION:
        doc = MIGRATIONS[doc["version"]](doc)  # type: ignore[operator]
    return doc


def from_document(doc: dict, problems: list[str] | None = None) -> Project:
    """A Project from a document (pads' states are set when their loops load). A value of the wrong kind or
    out of range takes its default, and ``problems`` hears which, naming the key."""
    if not isinstance(doc, dict):
        raise DocumentError("a project is a mapping")
    doc = migrate(doc)
    reader = FieldReader()
    project = reader.project(doc)
    if problems is not None:
        problems.extend(reader.problems)
    return project
