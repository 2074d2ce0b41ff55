"""Shared test set-up. Fixtures live in tests/fixtures/, one module per real component."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.env",
    "tests.fixtures.tls",
    "tests.fixtures.keyring_daemon",
    "tests.fixtures.cli",
    "tests.fixtures.terminals",
    "tests.fixtures.profile_faults",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Screenshot comparisons are pinned to the Textual the main job installs; the job on the
    # declared dependency floors deselects them with `-m "not snapshot"`.
    for item in items:
        if "snap_compare" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.snapshot)
