"""A project as a readable, versioned document: settings and loop references, never audio."""

from __future__ import annotations

from padserver.state.project import PAD_COUNT, Project
from padserver.state.song import Song

VERSION = 1
PAD_FIELDS = ("name", "mode", "gain", "pan", "mute", "solo", "quantum", "choke")


class DocumentError(ValueError):
    pass


def to_document(project: Project, name: str) -> dict:
    pads = []
    for p in project.pads:
        pad: dict = {"number": p.number, "loop": p.loop_id}
        pad.update({f: getattr(p, f) for f in PAD_FIELDS})
        pad["region"] = [float(p.region[0]), float(p.region[1])]
        pads.append(pad)
    return {
        "version": VERSION,
        "name": name,
        "tempo": float(project.tempo),
        "beats_per_bar": int(project.beats_per_bar),
        "quantize": project.quantize,
        "master_gain": float(project.master_gain),
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


def from_document(doc: dict) -> Project:
    """A Project from a document (pads' states are set when their loops load)."""
    if not isinstance(doc, dict):
        raise DocumentError("a project is a mapping")
    doc = migrate(doc)
    try:
        project = Project(
            tempo=float(doc["tempo"]),
            beats_per_bar=int(doc["beats_per_bar"]),
            quantize=str(doc["quantize"]),
            master_gain=float(doc["master_gain"]),
        )
        for raw in doc.get("pads", [])[:PAD_COUNT]:
            pad = project.pad(int(raw["number"]))
            for f in PAD_FIELDS:
                if f in raw:
                    setattr(pad, f, type(getattr(pad, f))(raw[f]))
            region = raw.get("region", [0.0, 1.0])
            pad.region = (float(region[0]), float(region[1]))
            pad.loop_id = int(raw["loop"]) if raw.get("loop") is not None else None
        project.song = Song.from_dict(doc.get("song"))
    except (KeyError, TypeError, ValueError) as exc:
        raise DocumentError(f"a project field is missing or wrong: {exc}") from None
    return project
