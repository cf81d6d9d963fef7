"""MIDI learn: "the next note or CC you touch does X", saved so it survives restarts.

Learned bindings live in ``learned.yaml`` beside the config file, per mapping
name, in the mapping files' own control syntax; at start-up they are added to
(and take precedence over) the mapping they belong to.
"""

from __future__ import annotations

import logging
import os

from padserver.control.mapping_parse import Reader, parse_control
from padserver.control.mappings import (
    FX_ACTIONS,
    LIVE_ACTIONS,
    PAD_ACTIONS,
    PRESS_ACTIONS,
    VALUE_ACTIONS,
    Mapping,
    MappingError,
)
from padserver.files import atomic_file

log = logging.getLogger("padserver.midi")

LEARNABLE = tuple(a for a in PRESS_ACTIONS if a != "shift") + tuple(VALUE_ACTIONS)


class Learn:
    def __init__(self, path: str) -> None:
        self.path = path
        self.pending: tuple[int | None, str, object] | None = None  # (pad, action, who asked)
        self.notify = None  # callable(who, message, args): tells the asker

    def start(self, pad: int | None, action: str, who) -> None:
        if action not in LEARNABLE:
            raise ValueError(f"action must be one of {', '.join(LEARNABLE)} (got {action!r})")
        if action in PAD_ACTIONS and not (isinstance(pad, int) and 1 <= pad <= 16):
            raise ValueError(f"{action} needs a pad 1..16")
        # (a live pad's steering: the pad named, else the live pad last started)
        self.pending = (
            (pad or None) if action in PAD_ACTIONS or action in LIVE_ACTIONS or action in FX_ACTIONS else None,
            action,
            who,
        )
        log.info("MIDI learn: touch a note or control for %s%s", action, f" on pad {pad}" if pad else "")

    def cancel(self) -> None:
        self.pending = None

    # -- called by a controller with the next thing touched ------------------------------------------
    def hook(self, controller, kind: str, channel: int, number: int) -> bool:
        if self.pending is None:
            return False
        pad, action, who = self.pending
        if kind == "note" and action in VALUE_ACTIONS:
            return False  # a fader wants a CC; keep listening
        self.pending = None
        entry: dict = {kind: number, "channel": channel + 1, ("value" if action in VALUE_ACTIONS else "press"): action}
        if pad is not None:
            entry["pad"] = pad
        mapping = controller.mapping
        try:
            apply(mapping, [entry], "(learned)")
        except MappingError as exc:
            log.warning("MIDI learn failed: %s", exc)
            return True
        controller.learned(kind, channel, number)
        self._save(mapping.name, entry)
        log.info(
            "MIDI learn: %s %d (channel %d) on %s → %s%s",
            kind,
            number,
            channel + 1,
            mapping.device,
            action,
            f" pad {pad}" if pad else "",
        )
        if self.notify is not None:
            self.notify(who, "/midi/learned", [mapping.name, kind, number, channel + 1, action, pad or 0])
        return True

    # -- persistence ----------------------------------------------------------------------------------
    def load(self) -> dict[str, list[dict]]:
        if not os.path.isfile(self.path):
            return {}
        import yaml

        try:
            with open(self.path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            log.error("learned MIDI bindings in %s cannot be read: %s", self.path, exc)
            return {}
        if not isinstance(data, dict):
            log.error("%s: must map mapping names to lists of controls", self.path)
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, list)}

    def apply_saved(self, mappings: list[Mapping]) -> None:
        saved = self.load()
        for mapping in mappings:
            entries = saved.get(mapping.name)
            if entries:
                try:
                    apply(mapping, entries, self.path)
                    log.info("%d learned binding(s) added to %s", len(entries), mapping.name)
                except MappingError as exc:
                    log.error("learned bindings for %s are not used:\n  %s", mapping.name, "\n  ".join(exc.problems))

    def _save(self, mapping_name: str, entry: dict) -> None:
        import yaml

        saved = self.load()
        entries = [e for e in saved.get(mapping_name, []) if not _same_address(e, entry)]
        saved[mapping_name] = entries + [entry]
        with atomic_file(self.path, "w") as fh:
            fh.write("# MIDI learn: bindings added with /midi/learn, per mapping (same syntax as mapping controls)\n")
            yaml.safe_dump(saved, fh, sort_keys=True)


def _same_address(a: dict, b: dict) -> bool:
    return a.get("note") == b.get("note") and a.get("cc") == b.get("cc") and a.get("channel") == b.get("channel")


def apply(mapping: Mapping, entries: list[dict], where: str) -> None:
    """Add ``entries`` (control syntax) to ``mapping``; a learned binding replaces the old one on its note/CC."""
    reader = Reader(where)
    controls = []
    for i, entry in enumerate(entries):
        controls += parse_control(reader, entry, i, 0)
    if reader.problems:
        raise MappingError(reader.problems)
    for control in controls:
        old = mapping.add(control)
        if old is not None:
            mapping.controls.remove(old)
        mapping.controls.append(control)
