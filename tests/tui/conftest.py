"""Fixtures for the TUI tests: stores and services over real parts (see tests/fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.backends import fail

from qlik_tui.services.context import Services
from qlik_tui.store.secrets import SecretStore
from qlik_tui.tui.screens.dashboard import DashboardScreen
from qlik_tui.tui.widgets import store_line
from tests.fixtures.services import make_services
from tests.tui.helpers import FixedProbe

# The Welcome and Generate steps show where the key would go. Their pictures show this fixed
# answer; tests that need the real probe ask for ``real_store_probe``.
USABLE_KEYRING = FixedProbe(True, "SecretService Keyring, unlocked")
_REAL_PROBE = store_line.probe_store


@pytest.fixture(autouse=True)
def fixed_store_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_line, "probe_store", lambda _services: USABLE_KEYRING)


@pytest.fixture
def real_store_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_line, "probe_store", _REAL_PROBE)


@pytest.fixture
def failing_store() -> SecretStore:
    """keyring's own "no backend" keyring: every store attempt fails with NoBackend."""
    return SecretStore(backend=fail.Keyring())


@pytest.fixture
def offline_services(tmp_path: Path, failing_store: SecretStore) -> Services:
    """For screens that never store: nothing here can reach a keyring."""
    return make_services(tmp_path, failing_store)


@pytest.fixture
def no_recheck_on_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard opens with the stored results only: for tests of what the table shows
    and of the re-checks a user starts (opening it re-checks otherwise, tested below)."""
    monkeypatch.setattr(DashboardScreen, "RECHECK_ON_OPEN", False)
