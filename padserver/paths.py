"""Where padserver keeps its data, and which folders a client may name."""

from __future__ import annotations

import os


def data_dir(configured: str) -> str:
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    from platformdirs import user_data_dir

    return user_data_dir("padserver")


def music_dir() -> str:
    from platformdirs import user_music_dir

    return user_music_dir()


def allowed_folders(data: str, extra: list[str]) -> list[str]:
    folders = [data, music_dir(), *(os.path.expanduser(f) for f in extra)]
    return [os.path.realpath(f) for f in folders]


def confine(path: str, folders: list[str]) -> str:
    """The real path of ``path`` if it lies inside one of ``folders``; else ValueError."""
    real = os.path.realpath(os.path.expanduser(path))
    for folder in folders:
        if real == folder or real.startswith(folder.rstrip(os.sep) + os.sep):
            return real
    raise ValueError(
        f"{path} is outside the allowed folders ({', '.join(folders)}); add its folder to paths.allowed_folders"
    )
