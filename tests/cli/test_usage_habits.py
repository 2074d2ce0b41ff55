"""Usage errors that name the problem ("did you mean", no usage dump, no echoed key), and the
gh-like habits of login, forget and import."""

from __future__ import annotations

import io
import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from tests.cli.use_helpers import run_qlik_tui
from tests.fixtures.cli import RunCli


def signature(key: str) -> str:
    return key.rsplit(".", 1)[1]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["stauts"], "qlik-tui: error: unknown command 'stauts'; did you mean `qlik-tui status`?"),
        (["check", "--jsn"], "unknown option '--jsn' for `qlik-tui check`; did you mean --json?"),
        (["login", "--tenat", "x"],
         "unknown option '--tenat' for `qlik-tui login`; did you mean --tenant?"),
        (["list", "--jsn=1"], "unknown option '--jsn' for `qlik-tui list`; did you mean --json?"),
        (["login", "--store", "keyrng"],
         "'keyrng' is not one of keyring, encrypted-file; did you mean keyring?"),
        (["frobnicate"], "unknown command 'frobnicate' (`qlik-tui --help` lists the commands)"),
    ],
)  # fmt: skip
def test_a_mistyped_word_gets_a_did_you_mean_and_no_usage_dump(
    argv: list[str], expected: str
) -> None:
    done = run_qlik_tui(*argv)
    assert done.returncode == 2
    assert expected in done.stderr
    assert "usage:" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert done.stdout == ""


def test_a_mistyped_word_that_is_a_key_is_never_echoed(sandbox: SandboxTenant) -> None:
    key = sandbox.issue_key()
    for argv in ([key], ["check", f"--jsn={key}"], ["check", "--json", key, "--x"]):
        done = run_qlik_tui(*argv)
        assert done.returncode == 2
        assert signature(key) not in done.stderr, argv
        assert key.split(".")[1] not in done.stderr, argv


def test_import_without_a_source_names_the_sources() -> None:
    done = run_qlik_tui("import")
    assert done.returncode == 2
    assert done.stderr == (
        "qlik-tui import: error: name where the keys are: qlik-cli "
        "(e.g. `qlik-tui import qlik-cli`)\n"
    )


def test_login_name_again_reuses_the_stored_tenant(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    first = run_cli("login", "--tenant", sandbox.origin, "--name", "work", "--with-token",
                    stdin=sandbox.issue_key())  # fmt: skip
    assert first.code == 0, first.output
    old = services.profiles.get("work")
    again = run_cli("login", "work", "--with-token", stdin=sandbox.issue_key())
    assert again.code == 0, again.output
    new = services.profiles.get("work")
    assert old is not None and new is not None
    assert new.origin == old.origin == sandbox.origin
    assert new.key_id != old.key_id

    unknown = run_cli("login", "other", "--with-token", stdin=sandbox.issue_key())
    assert unknown.code == 2
    assert 'no profile named "other" yet: give its --tenant to create it' in unknown.stderr
    nothing = run_cli("login", "--with-token", stdin=sandbox.issue_key())
    assert nothing.code == 2
    assert "--tenant is needed for a new profile" in nothing.stderr


def test_login_and_forget_speak_json(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    key = sandbox.issue_key()
    stored = run_cli("login", "--tenant", sandbox.origin, "--name", "work", "--with-token",
                     "--json", stdin=key)  # fmt: skip
    assert stored.code == 0, stored.output
    record = json.loads(stored.stdout)
    assert (record["name"], record["tenant"], record["stored"], record["verified"]) == (
        "work", sandbox.origin, True, True,
    )  # fmt: skip
    assert "The key works" in stored.stderr

    rejected = run_cli("login", "work", "--with-token", "--json",
                       stdin=sandbox.issue_key("revoked"))  # fmt: skip
    assert rejected.code == 1
    refusal = json.loads(rejected.stdout)
    assert (refusal["stored"], refusal["verdict"]) == (False, "rejected")

    forgotten = run_cli("forget", "work", "--json")
    assert forgotten.code == 0, forgotten.output
    [entry] = json.loads(forgotten.stdout)
    assert (entry["name"], entry["forgotten"], entry["key_removed"]) == ("work", True, True)
    assert services.profiles.all() == []
    for run in (stored, rejected, forgotten):
        assert signature(key) not in run.output


@settings(max_examples=60, deadline=None)
@given(
    header=st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=20),
    body=st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=20),
    place=st.sampled_from(["command", "option", "value", "extra"]),
)
def test_a_key_like_word_anywhere_in_a_usage_error_is_never_echoed(
    header: str, body: str, place: str
) -> None:
    from qlik_tui.cli import main

    word = f"eyJ{header}.eyJ{body}.sig{header}"
    argv = {
        "command": [word],
        "option": ["check", f"--{word}"],
        "value": ["login", "--store", word],
        "extra": ["list", word],
    }[place]
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, stdout=out, stderr=err) == 2
    assert f"{header}.eyJ{body}" not in out.getvalue() + err.getvalue()
