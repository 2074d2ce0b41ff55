"""Run the CLI in-process against the sandbox (TLS) and the real Secret Service."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from qlik_tui.cli import main
from qlik_tui.core.client import ClientSettings
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import ProfileStore
from qlik_tui.store.secrets import SecretStore


class TerminalInput(io.StringIO):
    """Standard input that claims to be a terminal (for the interactive store-failure choice)."""

    def isatty(self) -> bool:
        return True


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


RunCli = Callable[..., CliRun]


def make_services(secrets: SecretStore, config_dir: Path) -> Services:
    return Services(
        secrets=secrets,
        profiles=ProfileStore(config_dir / "profiles.json"),
        client_settings=ClientSettings(connect_timeout=2.0, read_timeout=2.0, max_retry_wait=2.0),
    )


@pytest.fixture
def services(secret_store: SecretStore, tmp_path: Path) -> Services:
    return make_services(secret_store, tmp_path / "config")


@pytest.fixture
def run_cli(services: Services) -> RunCli:
    def run(*argv: str, stdin: str | io.StringIO = "", using: Services | None = None) -> CliRun:
        stream = stdin if isinstance(stdin, io.StringIO) else io.StringIO(stdin)
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), stdin=stream, stdout=out, stderr=err, services=using or services)
        return CliRun(code, out.getvalue(), err.getvalue())

    return run
