"""The profiles file's default place: platformdirs' answer, without importing it on Linux."""

from __future__ import annotations

import sys

import platformdirs
import pytest

from qlik_tui.store.profiles_location import (
    APP_NAME,
    FILE_NAME,
    default_profiles_path,
    linux_config_home,
)

ON_LINUX = sys.platform == "linux"


@pytest.mark.parametrize(
    ("xdg_config_home", "home", "decided_here"),
    [
        ("/srv/config", "/home/ada", True),
        ("/srv//config/", "/home/ada/", True),
        (None, "/home/ada", True),
        ("", "/home/ada/", True),
        ("relative/config", "/home/ada", False),  # platformdirs versions differ: ask it
        ("   ", "/home/ada", False),
        (None, "relative-home", False),
    ],
)
def test_the_default_path_is_platformdirs_answer(
    monkeypatch: pytest.MonkeyPatch, xdg_config_home: str | None, home: str, decided_here: bool
) -> None:
    monkeypatch.delenv("ANDROID_DATA", raising=False)
    monkeypatch.delenv("ANDROID_ROOT", raising=False)
    if xdg_config_home is None:
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg_config_home)
    monkeypatch.setenv("HOME", home)
    assert (linux_config_home() is not None) == (decided_here and ON_LINUX)
    try:
        expected = platformdirs.user_config_path(APP_NAME, appauthor=False) / FILE_NAME
    except RuntimeError:  # a platformdirs that cannot place a relative HOME: so do we
        with pytest.raises(RuntimeError):
            default_profiles_path()
    else:
        assert default_profiles_path() == expected


def test_android_is_left_to_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "/srv/config")
    monkeypatch.setenv("ANDROID_ROOT", "/system")
    assert linux_config_home() is None
