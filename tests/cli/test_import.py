"""``qlik-tui import qlik-cli``: prove qlik-cli's keys, store the good ones, leave the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qlik_tui.core.qlik_cli_location import locate_contexts_file
from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from tests.fixtures.cli import RunCli, closed_port_origin, store_profile
from tests.security.leaks import Observed


def signature(key: str) -> str:
    return key.rsplit(".", 1)[1]


def key_context(name: str, server: str, key: str, server_type: str = "cloud") -> str:
    return (
        f"  {name}:\n"
        f"    comment: made by a test\n"
        f"    headers:\n"
        f"      Authorization: Bearer {key}\n"
        f"    server: {server}\n"
        f"    server-type: {server_type}\n"
    )


def oauth_context(name: str, server: str, secret: str | None = None, client_id: str = "") -> str:
    """An OAuth context; without ``secret`` one qlik-tui cannot import (no secret to move)."""
    return (
        f"  {name}:\n"
        f"    oauth-client-id: {client_id or '0123456789abcdef'}\n"
        + (f"    oauth-client-secret: {secret}\n" if secret else "")
        + f"    server: {server}\n"
        f"    server-type: cloud\n"
    )


def write_contexts(path: Path, *contexts: str, current: str = "work") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("contexts:\n" + "".join(contexts) + f"current-context: {current}\n")
    return path


@pytest.fixture
def contexts_path(tmp_path: Path) -> Path:
    return tmp_path / "qlik" / "contexts.yml"


def test_a_mixed_file_imports_the_working_key_only_and_leaves_the_file_unchanged(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services, contexts_path: Path
) -> None:
    working, revoked = sandbox.issue_key(), sandbox.issue_key("revoked")
    write_contexts(
        contexts_path,
        key_context("work", sandbox.origin, working),
        key_context("old", sandbox.origin, revoked),
        oauth_context("sso", sandbox.origin),
        key_context("broken", sandbox.origin, working[:-30]),
        key_context("onprem", "https://sense.example.com/jwt", working, server_type="Windows"),
    )
    before = contexts_path.read_bytes()
    result = run_cli("import", "qlik-cli", "--file", str(contexts_path))
    assert result.code == 1, result.output  # one key was rejected
    assert contexts_path.read_bytes() == before
    assert services.secrets.load("work").reveal() == working
    assert [p.name for p in services.profiles.all()] == ["work"]
    assert "stored as profile 'work'" in result.stdout
    assert "Key rejected (401)" in result.stdout and "cause:" in result.stdout
    assert "skipped: an OAuth context" in result.stdout
    assert "skipped: its Authorization header does not hold a Qlik API key" in result.stdout
    assert "skipped: not a Qlik Cloud context (server-type Windows)" in result.stdout
    assert "`qlik context rm work`" in result.stdout
    assert "`qlik context rm old`" in result.stdout
    assert "qlik context rm sso" not in result.stdout  # it holds no key
    for key in (working, revoked):
        assert signature(key) not in result.output
    assert "not-a-key-but-secret" not in result.output


def test_every_key_working_exits_0(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services, contexts_path: Path
) -> None:
    write_contexts(
        contexts_path,
        key_context("a", sandbox.origin, sandbox.issue_key()),
        key_context("b", sandbox.origin, sandbox.issue_key()),
        oauth_context("sso", sandbox.origin),
    )
    result = run_cli("import", "qlik-cli", "--file", str(contexts_path), "--all")
    assert result.code == 0, result.output
    assert [p.name for p in services.profiles.all()] == ["a", "b"]
    profile = services.profiles.get("a")
    assert profile is not None and profile.last_outcome == "valid"
    assert profile.user_name == "Ada Sandbox"


def test_dry_run_proves_every_key_and_stores_nothing(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services, contexts_path: Path
) -> None:
    key = sandbox.issue_key()
    write_contexts(contexts_path, key_context("work", sandbox.origin, key))
    result = run_cli("import", "qlik-cli", "--file", str(contexts_path), "--dry-run")
    assert result.code == 0, result.output
    assert "Key works; not stored (dry run)" in result.stdout
    assert services.profiles.all() == []
    assert sum(r.path == "/api/v1/users/me" for r in sandbox.requests) >= 1
    assert signature(key) not in result.output


def test_dry_run_of_a_revoked_key_exits_1(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services, contexts_path: Path
) -> None:
    write_contexts(contexts_path, key_context("old", sandbox.origin, sandbox.issue_key("revoked")))
    result = run_cli("import", "qlik-cli", "--file", str(contexts_path), "--dry-run")
    assert result.code == 1
    assert services.profiles.all() == []


def test_an_unreachable_server_is_inconclusive_and_not_stored(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services, contexts_path: Path
) -> None:
    write_contexts(contexts_path, key_context("down", closed_port_origin(), sandbox.issue_key()))
    result = run_cli("import", "qlik-cli", "--file", str(contexts_path))
    assert result.code == 3
    assert "Connection refused" in result.stdout
    assert services.profiles.all() == []


def test_an_existing_profile_name_is_never_replaced(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services, contexts_path: Path
) -> None:
    mine, theirs = sandbox.issue_key(), sandbox.issue_key()
    store_profile(services, "work", sandbox.origin, mine)
    write_contexts(contexts_path, key_context("work", sandbox.origin, theirs))
    result = run_cli("import", "qlik-cli", "--file", str(contexts_path))
    assert result.code == 4
    assert services.secrets.load("work").reveal() == mine
    assert "A profile named 'work' already exists with another key" in result.stdout
    assert "qlik-tui forget 'work'" in result.stdout
    assert signature(theirs) not in result.output and signature(mine) not in result.output


def test_importing_the_same_key_again_is_a_success(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services, contexts_path: Path
) -> None:
    key = sandbox.issue_key()
    write_contexts(contexts_path, key_context("work", sandbox.origin, key))
    assert run_cli("import", "qlik-cli", "--file", str(contexts_path)).code == 0
    again = run_cli("import", "qlik-cli", "--file", str(contexts_path))
    assert again.code == 0, again.output
    assert "already stored as profile 'work'" in again.stdout


def test_only_the_named_contexts_are_imported(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services, contexts_path: Path
) -> None:
    write_contexts(
        contexts_path,
        key_context("a", sandbox.origin, sandbox.issue_key()),
        key_context("b", sandbox.origin, sandbox.issue_key("revoked")),
    )
    result = run_cli("import", "qlik-cli", "--file", str(contexts_path), "--context", "a")
    assert result.code == 0, result.output
    assert [p.name for p in services.profiles.all()] == ["a"]
    unknown = run_cli("import", "qlik-cli", "--file", str(contexts_path), "--context", "zz")
    assert unknown.code == 2
    assert 'no context named "zz"' in unknown.stderr and "contexts there: a, b" in unknown.stderr


def test_json_output(run_cli: RunCli, sandbox: SandboxTenant, contexts_path: Path) -> None:
    key = sandbox.issue_key()
    write_contexts(contexts_path, key_context("work", sandbox.origin, key), oauth_context("s", "x"))
    result = run_cli("import", "qlik-cli", "--file", str(contexts_path), "--json")
    assert result.code == 0, result.output
    document = json.loads(result.stdout)
    assert document["file"] == str(contexts_path)
    work, sso = document["contexts"]
    assert work["status"] == "imported" and work["outcome"] == "valid"
    assert work["remove_with"] == "qlik context rm work"
    assert sso["status"] == "skipped" and sso["context_kind"] == "oauth"
    assert signature(key) not in result.output


def test_malformed_yaml_names_the_path_and_line_and_never_the_key(
    run_cli: RunCli, sandbox: SandboxTenant, contexts_path: Path
) -> None:
    key = sandbox.issue_key()
    contexts_path.parent.mkdir(parents=True)
    contexts_path.write_text(
        "contexts:\n  work:\n    server: x\n    headers: {Authorization: Bearer " + key + "\n"
        "current-context: work\n"
    )
    result = run_cli("import", "qlik-cli", "--file", str(contexts_path))
    assert result.code == 2
    assert f"{contexts_path}, line 5: not valid YAML" in result.stderr
    assert signature(key) not in result.output


def test_an_alias_bomb_is_refused_unparsed(run_cli: RunCli, contexts_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        below = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([below] * 9)}]")
    lines.append("contexts: {bomb: {server: *a9}}")
    contexts_path.parent.mkdir(parents=True)
    contexts_path.write_text("\n".join(lines) + "\n")
    result = run_cli("import", "qlik-cli", "--file", str(contexts_path))
    assert result.code == 2
    assert "more than 16 YAML aliases" in result.stderr
    assert f"{contexts_path}, line 3" in result.stderr


def test_a_file_of_10_mb_is_refused_unread(run_cli: RunCli, contexts_path: Path) -> None:
    contexts_path.parent.mkdir(parents=True)
    with contexts_path.open("wb") as stream:
        stream.truncate(10 * 1024 * 1024)
    result = run_cli("import", "qlik-cli", "--file", str(contexts_path))
    assert result.code == 2
    assert "10.0 MB" in result.stderr and "not read" in result.stderr


def test_a_missing_file_exits_2(run_cli: RunCli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yml"
    result = run_cli("import", "qlik-cli", "--file", str(missing))
    assert result.code == 2
    assert f"{missing}: no such file" in result.stderr


def test_default_file_is_under_home(tmp_path: Path) -> None:
    assert locate_contexts_file({}, tmp_path) == tmp_path / ".qlik" / "contexts.yml"


@pytest.mark.parametrize("layout", ["file", "folder", "home-folder"])
def test_qlik_cli_user_home_dir_may_name_the_file_or_a_folder(tmp_path: Path, layout: str) -> None:
    where = {
        "file": tmp_path / "custom.yml",
        "folder": tmp_path / "contexts.yml",
        "home-folder": tmp_path / ".qlik" / "contexts.yml",
    }[layout]
    write_contexts(where)
    given = where if layout == "file" else tmp_path
    found = locate_contexts_file({"QLIK_CLI_USER_HOME_DIR": str(given)}, tmp_path / "elsewhere")
    assert found == where


def test_qlik_cli_user_home_dir_naming_an_empty_folder_is_explained(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QLIK_CLI_USER_HOME_DIR", str(tmp_path))
    result = run_cli("import", "qlik-cli")
    assert result.code == 2
    assert "holds neither contexts.yml nor .qlik/contexts.yml" in result.stderr


def test_import_run_as_a_process_leaks_the_keys_nowhere(
    sandbox: SandboxTenant, secret_store: object, isolated_home: Path
) -> None:
    working, revoked = sandbox.issue_key(), sandbox.issue_key("revoked")
    contexts = write_contexts(
        isolated_home / ".qlik" / "contexts.yml",
        key_context("work", sandbox.origin, working),
        key_context("old", sandbox.origin, revoked),
    )
    before = contexts.read_bytes()
    observed = Observed()
    codes = []
    for label, extra in (("dry", ["--dry-run"]), ("import", []), ("json", ["--json"])):
        argv = [sys.executable, "-m", "qlik_tui", "import", "qlik-cli", *extra]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        codes.append(done.returncode)
        observed.add_argv(label, argv)
        observed.add(f"stdout:{label}", done.stdout)
        observed.add(f"stderr:{label}", done.stderr)
    assert codes == [1, 1, 1]  # the revoked key each time
    files = observed.add_tree(isolated_home / ".config", label="config")
    assert files >= 1  # the profiles file was written
    observed.add_tree(isolated_home / ".cache", label="cache")
    observed.add_tree(isolated_home / ".local", label="data")
    assert observed.leaks_of(working) == []
    assert observed.leaks_of(revoked) == []
    assert contexts.read_bytes() == before
