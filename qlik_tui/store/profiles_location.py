"""Where profiles.json lives by default (apart from its module, so that the TUI can decide its
first screen with one stat before the first frame, without loading the profile store)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "qlik-tui"
FILE_NAME = "profiles.json"


def default_profiles_path() -> Path:
    """``<platform config dir>/qlik-tui/profiles.json``; XDG_CONFIG_HOME is read now."""
    config_home = linux_config_home()
    if config_home is not None:
        return config_home / APP_NAME / FILE_NAME
    import platformdirs

    return platformdirs.user_config_path(APP_NAME, appauthor=False) / FILE_NAME


def linux_config_home() -> Path | None:
    """platformdirs' user config folder where every version of it agrees, on Linux (not
    Android): an absolute ``XDG_CONFIG_HOME``, else ``~/.config`` under an absolute ``HOME``;
    None elsewhere (ask platformdirs). Importing platformdirs is ~11 M instructions, nearly 2%
    of an ``exec``."""
    if sys.platform != "linux" or "ANDROID_DATA" in os.environ or "ANDROID_ROOT" in os.environ:
        return None
    configured = os.environ.get("XDG_CONFIG_HOME", "")
    if configured.startswith("/"):
        return Path(configured)
    if not configured and os.environ.get("HOME", "").startswith("/"):
        return Path(os.path.expanduser("~/.config"))
    return None
