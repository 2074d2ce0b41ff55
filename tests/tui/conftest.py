"""Fixtures for the TUI tests: stores and services over real parts (see tests/fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.backends import fail

from qlik_tui.services.context import Services
from qlik_tui.store.secrets import SecretStore
from tests.fixtures.services import make_services


@pytest.fixture
def failing_store() -> SecretStore:
    """keyring's own "no backend" keyring: every store attempt fails with NoBackend."""
    return SecretStore(backend=fail.Keyring())


@pytest.fixture
def offline_services(tmp_path: Path, failing_store: SecretStore) -> Services:
    """For screens that never store: nothing here can reach a keyring."""
    return make_services(tmp_path, failing_store)
