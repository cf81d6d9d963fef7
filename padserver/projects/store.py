"""Projects on disk: atomic writes that keep the previous version, and a fallback when one is damaged."""

from __future__ import annotations

import json
import logging
import os
import re

from padserver.files import atomic_file
from padserver.projects.document import DocumentError, from_document, to_document
from padserver.state.project import Project

log = logging.getLogger("padserver.projects")

NAME = re.compile(r"^[\w][\w .\-]{0,63}$")
DEFAULT_NAME = "untitled"


class ProjectError(ValueError):
    pass


def check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME.match(name.strip()) or name.strip() in (".", ".."):
        raise ProjectError(f"a project name is 1..64 letters, digits, spaces, '.', '_' or '-' (got {name!r})")
    return name.strip()


def atomic_write(path: str, text: str, keep_previous: bool = True) -> None:
    """Write ``text``; the current file becomes ``<name>.prev`` first, so the last good version survives a bad write."""
    with atomic_file(path, "w", keep_previous=keep_previous) as fh:
        fh.write(text)


class ProjectStore:
    def __init__(self, data_dir: str) -> None:
        self.folder = os.path.join(data_dir, "projects")
        self.session_file = os.path.join(self.folder, "session.json")

    def path(self, name: str) -> str:
        return os.path.join(self.folder, check_name(name) + ".yaml")

    def names(self) -> list[str]:
        if not os.path.isdir(self.folder):
            return []
        return sorted(n[:-5] for n in os.listdir(self.folder) if n.endswith(".yaml"))

    def save(self, project: Project, name: str) -> str:
        import yaml

        path = self.path(name)
        text = "# padserver project (loops are library ids)\n" + yaml.safe_dump(
            to_document(project, name), sort_keys=False
        )
        try:
            os.makedirs(self.folder, exist_ok=True)
            atomic_write(path, text)
        except OSError as exc:
            raise ProjectError(f"cannot save project {name!r}: {exc.strerror} ({self.folder})") from None
        return path

    def load(self, name: str) -> Project:
        """The project ``name``; if its file is damaged, its previous version, with a warning."""
        path = self.path(name)
        if not os.path.exists(path) and not os.path.exists(path + ".prev"):
            raise ProjectError(f"no project named {name!r} (projects: {', '.join(self.names()) or 'none'})")
        problems = []
        for candidate in (path, path + ".prev"):
            replaced: list[str] = []
            try:
                project = self._read(candidate, replaced)
            except (OSError, DocumentError, ValueError) as exc:
                problems.append(f"{os.path.basename(candidate)}: {exc}")
                continue
            for problem in replaced:  # (a damaged value takes its default; the rest of the project loads)
                log.warning("project %s (%s): %s", name, candidate, problem)
            if candidate.endswith(".prev"):
                log.warning("project %s was damaged (%s); loaded its previous version", name, problems[0])
            return project
        raise ProjectError(f"project {name!r} cannot be read: {'; '.join(problems)}")

    @staticmethod
    def _read(path: str, problems: list[str] | None = None) -> Project:
        import yaml

        with open(path, encoding="utf-8") as fh:
            try:
                doc = yaml.safe_load(fh)
            except yaml.YAMLError as exc:
                raise DocumentError(f"not valid YAML ({getattr(exc, 'problem', exc)})") from None
        return from_document(doc, problems)

    def delete(self, name: str) -> None:
        path = self.path(name)
        if not os.path.exists(path):
            raise ProjectError(f"no project named {name!r}")
        for p in (path, path + ".prev"):
            if os.path.exists(p):
                os.remove(p)

    # -- the session: which project was open -----------------------------------------------------
    def last_session(self) -> str | None:
        try:
            with open(self.session_file, encoding="utf-8") as fh:
                name = json.load(fh).get("project")
            return check_name(name) if name else None
        except (OSError, ValueError, ProjectError):
            return None

    def remember(self, name: str) -> None:
        try:
            os.makedirs(self.folder, exist_ok=True)
            atomic_write(self.session_file, json.dumps({"project": name}), keep_previous=False)
        except OSError as exc:
            raise ProjectError(f"cannot note the open project: {exc.strerror} ({self.folder})") from None

    def users_of(self, loop_id: int) -> list[str]:
        """Projects whose pads use the loop."""
        users = []
        for name in self.names():
            try:
                project = self._read(self.path(name))
            except (OSError, DocumentError, ValueError):
                continue
            pads = [p.number for p in project.pads if p.loop_id == loop_id]
            if pads:
                users.append(f"project {name} (pad{'s' if len(pads) > 1 else ''} {', '.join(map(str, pads))})")
        return users
