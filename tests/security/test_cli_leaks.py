"""Leak matrix, CLI side: drive login, list, check and forget as real processes with a sentinel
key, collect everything observable, and search it for the key and its signature segment."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from qlik_tui.cli import main
from qlik_tui.services.context import Services
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.keyring_daemon import SecretServiceSession
from tests.fixtures.recording import OffsiteRecorder
from tests.security.leaks import Observed, run


def test_cli_flows_never_show_or_write_the_key(
    sandbox: FaultySandbox,
    offsite_recorder: OffsiteRecorder,
    secret_service_env: SecretServiceSession,
    secret_store: object,
    isolated_home: Path,
) -> None:
    observed = Observed()
    sentinel = sandbox.issue_key()
    tenant = ["--tenant", sandbox.origin]

    assert (
        run(
            observed,
            "login",
            "login",
            *tenant,
            "--name",
            "leak",
            "--with-token",
            stdin=f"Bearer {sentinel}\n",
        )
        == 0
    )
    assert run(observed, "list", "list") == 0
    assert run(observed, "list-json", "list", "--json") == 0
    assert run(observed, "check", "check") == 0
    assert run(observed, "check-json", "check", "--json") == 0

    sandbox.set_fault("offsite_redirect", target=offsite_recorder.origin)
    assert (
        run(
            observed,
            "login-offsite",
            "login",
            *tenant,
            "--name",
            "x",
            "--with-token",
            stdin=sentinel,
        )
        == 3
    )
    assert run(observed, "check-offsite", "check") == 3
    sandbox.clear_faults()

    truncated = sentinel[:-30]
    assert run(observed, "login-mangled", "login", *tenant, "--with-token", stdin=truncated) == 2
    assert run(observed, "login-as-argument", "login", *tenant, sentinel) == 2
    observed.texts.pop("argv:login-as-argument")  # we put it there on purpose; the output counts
    assert run(observed, "forget", "forget", "leak") == 0

    files = observed.add_tree(isolated_home, label="home")
    assert files >= 1  # profiles.json at least: the search covered what the flows wrote
    assert offsite_recorder.requests == []
    assert all(request.authorization is False for request in offsite_recorder.requests)
    assert observed.leaks_of(sentinel) == []
    # The search is meaningful: the same collector finds a planted copy.
    observed.add("planted", f"x{sentinel.rsplit('.', 1)[1]}x")
    assert observed.leaks_of(sentinel) == ["planted"]


class ExplodingProfiles:
    """A profile store that fails with the key in its message, like a careless library would."""

    def __init__(self, key: str) -> None:
        self.key = key

    def all(self) -> list[object]:
        raise RuntimeError(f"boom with {self.key}")


@pytest.mark.parametrize("command", [["list"], ["check"], ["forget", "--all"]])
def test_an_unexpected_crash_is_one_line_without_the_key(
    command: list[str], sandbox: FaultySandbox, services: Services
) -> None:
    sentinel = sandbox.issue_key()
    services.profiles = ExplodingProfiles(sentinel)  # type: ignore[assignment]
    out, err = io.StringIO(), io.StringIO()
    code = main(command, stdin=io.StringIO(), stdout=out, stderr=err, services=services)
    assert code == 70
    assert err.getvalue().count("\n") == 1
    assert "internal error (RuntimeError)" in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert sentinel.rsplit(".", 1)[1] not in out.getvalue() + err.getvalue()
