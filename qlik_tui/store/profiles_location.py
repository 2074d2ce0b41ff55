"""Where profiles.json lives by default (apart from its module, so that the TUI can decide its
first screen with one stat before the first frame, without loading the profile store)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "qlik-tui"
FILE_NAME = "profiles.json"


def default_profiles_path() -> Path:
    """``<platform config dir>/qlik-tui/profiles.json``; XDG_CONFIG_HOME is read now."""
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / FILE_NAME
