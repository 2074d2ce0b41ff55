"""Where qlik-cli keeps its contexts file. Standard library only: cheap enough for the wizard's
first screen to ask."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

HOME_DIR_VARIABLE = "QLIK_CLI_USER_HOME_DIR"
FILE_NAME = "contexts.yml"


class ContextsFileNotFound(Exception):
    """``QLIK_CLI_USER_HOME_DIR`` names nothing usable. ``str(err)`` says what to do."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def locate_contexts_file(
    environ: Mapping[str, str] | None = None, home: Path | None = None
) -> Path:
    """``QLIK_CLI_USER_HOME_DIR`` is documented as the file's path, yet named like a folder: it
    is accepted as the file itself, or a folder holding ``contexts.yml`` or
    ``.qlik/contexts.yml``. Otherwise ``~/.qlik/contexts.yml`` (which may not exist)."""
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    configured = environ.get(HOME_DIR_VARIABLE, "").strip()
    if not configured:
        return home / ".qlik" / FILE_NAME
    given = Path(configured).expanduser()
    if given.is_dir():
        for candidate in (given / FILE_NAME, given / ".qlik" / FILE_NAME):
            if candidate.exists():  # a FIFO too: the reader refuses it and says why
                return candidate
        raise ContextsFileNotFound(
            given,
            f"{HOME_DIR_VARIABLE} names this folder, but it holds neither {FILE_NAME} nor "
            f".qlik/{FILE_NAME}; pass the file with --file",
        )
    if given.exists() or given.suffix in (".yml", ".yaml"):
        return given
    raise ContextsFileNotFound(
        given, f"{HOME_DIR_VARIABLE} names this path, but nothing is there; pass --file"
    )


def existing_contexts_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The contexts file when there is one, else None. Never raises."""
    try:
        path = locate_contexts_file(environ)
        return path if path.is_file() else None
    except (ContextsFileNotFound, OSError, RuntimeError):  # RuntimeError: no home directory
        return None
