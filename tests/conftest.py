"""Shared test set-up. Fixtures live in tests/fixtures/, one module per real component."""

pytest_plugins = [
    "tests.fixtures.env",
    "tests.fixtures.tls",
    "tests.fixtures.keyring_daemon",
    "tests.fixtures.cli",
    "tests.store.profile_faults",
]
