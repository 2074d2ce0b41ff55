"""Where qlik-tui's encrypted key file lives by default (apart from its module, which loads
cryptography: screens ask for the path without paying for that)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "qlik-tui"
FILE_NAME = "keys.encrypted"


def default_store_path() -> Path:
    """``<platform data dir>/qlik-tui/keys.encrypted``; XDG_DATA_HOME is read now, not at import."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False) / FILE_NAME
