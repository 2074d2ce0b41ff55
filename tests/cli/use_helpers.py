"""Helpers for the ``token`` / ``exec`` tests: profiles in the default places, and running
``python -m qlik_tui`` as a real child process (with the test's Secret Service and HOME)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from qlik_tui.services.context import Services
from qlik_tui.store.profiles import ProfileStore
from qlik_tui.store.secrets import SecretStore
from tests.fixtures.cli import store_profile
from tests.fixtures.services import TEST_SETTINGS


def default_place_services(secret_store: SecretStore) -> Services:
    """Stores where a fresh ``qlik-tui`` process looks: the default profiles file (under the
    test's XDG_CONFIG_HOME) and the Secret Service the session's D-Bus address points at."""
    return Services(secrets=secret_store, profiles=ProfileStore(), client_settings=TEST_SETTINGS)


def store_in_default_place(secret_store: SecretStore, name: str, origin: str, key: str) -> None:
    store_profile(default_place_services(secret_store), name, origin, key)


def qlik_tui_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "qlik_tui", *args]


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("QLIK_TUI_PROFILE", None)  # the default profile, or an outer exec's
    env.pop("QLIK_TUI_EXEC", None)
    env.update(extra or {})
    return env


def run_qlik_tui(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        qlik_tui_argv(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(env) if env is not None else child_env(),
        stdin=subprocess.DEVNULL,
    )
