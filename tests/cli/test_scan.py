"""``qlik-tui scan``: planted credentials found once each, decoys never, the secrets nowhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from qlik_tui.core.apikey import make_fake_key, parse_key
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import ProfileStore
from qlik_tui.store.secrets import SecretStore
from tests.cli.terminal import Terminal, shown_text
from tests.fixtures.cli import CliRun, RunCli, store_profile
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import OffsiteRecorder

CLIENT_SECRET = "cs_SENTINEL_client_secret_0123456789"
CONTEXTS_SECRET = "cs_SENTINEL_contexts_secret_98765"
SPARSE_BYTES = 1024 * 1024 * 1024


@dataclass
class Tree:
    root: Path  # the working directory scanned
    planted: dict[str, str] = field(default_factory=dict)  # secret -> "where:line"
    decoy_keys: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # name -> key text

    @property
    def secrets(self) -> list[str]:
        return [*self.planted, *self.decoy_keys]


def key_id(key: str) -> str:
    found = parse_key(key).key_id
    assert found is not None
    return found


def other_jwt() -> str:
    import base64

    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return ".".join(
        (part(b'{"alg":"HS256","typ":"JWT"}'), part(b'{"sub":"1","name":"Jo"}'), part(b"s" * 32))
    )


@pytest.fixture
def tree(tmp_path: Path, sandbox: FaultySandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tree]:
    work = tmp_path / "work"
    (work / "notebooks").mkdir(parents=True)
    (work / "src").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    keys = {name: sandbox.issue_key() for name in ("env", "notebook", "contexts", "history")}
    keys["outside"] = sandbox.issue_key()
    keys["binary"] = sandbox.issue_key()
    keys["sparse"] = sandbox.issue_key()
    tree = Tree(work, keys=keys)

    (work / ".env").write_text(
        f"QLIK_API_KEY={keys['env']}\nQLIK_CLIENT_ID=0f1e2d3c\nQLIK_CLIENT_SECRET={CLIENT_SECRET}\n"
    )
    tree.planted[keys["env"]] = ".env:1"
    tree.planted[CLIENT_SECRET] = ".env:3"
    notebook = {"cells": [{"outputs": [{"text": [f"Authorization: Bearer {keys['notebook']}"]}]}]}
    (work / "notebooks" / "n.ipynb").write_text(json.dumps(notebook, indent=1))
    line = (
        json.dumps(notebook, indent=1)
        .split("\n")
        .index(next(x for x in json.dumps(notebook, indent=1).split("\n") if "Bearer" in x))
    )
    tree.planted[keys["notebook"]] = f"notebooks/n.ipynb:{line + 1}"

    contexts = tmp_path / "qlik" / "contexts.yml"
    contexts.parent.mkdir()
    contexts.write_text(
        "contexts:\n"
        f"  work:\n    headers:\n      Authorization: Bearer {keys['contexts']}\n"
        f"    server: {sandbox.origin}\n"
        f"  bot:\n    oauth-client-id: 0123456789abcdef\n"
        f"    oauth-client-secret: {CONTEXTS_SECRET}\n    server: {sandbox.origin}\n"
        "current-context: work\n"
    )
    monkeypatch.setenv("QLIK_CLI_USER_HOME_DIR", str(contexts))
    tree.planted[keys["contexts"]] = f"{contexts}:4"
    tree.planted[CONTEXTS_SECRET] = f"{contexts}:8"

    # Decoys: other JWTs, cut-off keys, a key in a binary file, a FIFO, a link out of the
    # tree, a 1 GB sparse file, a client secret with no client id.
    truncated = keys["env"][:-30]
    (work / "src" / "app.py").write_text(
        f"TOKEN = '{other_jwt()}'\nCUT = '{truncated}'\nQCS_CLIENT_SECRET='{'z' * 30}'\n"
    )
    (work / "blob.bin").write_bytes(b"\x7fELF\0\0\0" + keys["binary"].encode())
    os.mkfifo(work / "pipe")
    (outside / "secret.txt").write_text(keys["outside"])
    (work / "link").symlink_to(outside / "secret.txt")
    (work / "linked-dir").symlink_to(outside)
    with open(work / "huge.img", "wb") as sparse:
        sparse.write(keys["sparse"].encode())
        sparse.truncate(SPARSE_BYTES)
    tree.decoy_keys = [truncated, keys["outside"], keys["binary"], keys["sparse"], "z" * 30]

    history = Path(os.environ["HOME"]) / ".bash_history"
    history.write_text(f"ls\ncurl -H 'Authorization: Bearer {keys['history']}' x\n")
    monkeypatch.chdir(work)
    yield tree


def findings_of(run: CliRun) -> list[tuple[str, str]]:
    rows = json.loads(run.stdout)["findings"]
    return sorted((f"{row['where']}:{row['line']}", row["fingerprint"]) for row in rows)


def expected(tree: Tree, *names: str) -> list[tuple[str, str]]:
    rows = []
    for secret, where in tree.planted.items():
        if secret in (CLIENT_SECRET, CONTEXTS_SECRET):
            rows.append((where, f"{secret[:4]}…{secret[-4:]}"))
        else:
            rows.append((where, key_id(secret)))
    return sorted(rows)


def assert_secrets_nowhere(tree: Tree, *texts: str) -> None:
    """No secret (nor an API key's signature) in the output or in any file not planted."""
    planted_files = {".env", "notebooks/n.ipynb", "src/app.py", "blob.bin", "huge.img"}
    written = []
    for path in tree.root.parent.rglob("*"):
        relative = path.relative_to(tree.root.parent).as_posix()
        if path.is_symlink() or not path.is_file() or relative.startswith(("work/", "outside/")):
            continue
        if relative in ("qlik/contexts.yml", "home/.bash_history"):
            continue
        written.append(path.read_bytes().decode("utf-8", "replace"))
    assert {p for p in planted_files if (tree.root / p).exists()} == planted_files
    for secret in (*tree.secrets, *tree.keys.values()):
        needles = [secret, secret.rsplit(".", 1)[-1]]
        for text in (*texts, *written):
            assert not any(needle in text for needle in needles)


def test_every_planted_credential_once_and_no_decoy(run_cli: RunCli, tree: Tree) -> None:
    run = run_cli("scan", "--json")
    assert run.code == 1, run.stderr
    assert findings_of(run) == expected(tree)
    skipped = {row["where"]: row["why"] for row in json.loads(run.stdout)["skipped"]}
    assert skipped == {"blob.bin": "binary", "pipe": "not_regular", "huge.img": "too_large"}
    assert_secrets_nowhere(tree, run.stdout, run.stderr)


def test_text_output_names_place_key_and_tenant(
    run_cli: RunCli, tree: Tree, sandbox: FaultySandbox
) -> None:
    run = run_cli("scan")
    assert run.code == 1
    env_key = key_id(tree.keys["env"])
    assert f".env:1: Qlik API key {env_key} (tenant {sandbox.tenant_id}, user " in run.stdout
    assert f".env:3: OAuth client secret {CLIENT_SECRET[:4]}…{CLIENT_SECRET[-4:]}" in run.stdout
    assert "5 credentials found" in run.stderr
    assert_secrets_nowhere(tree, run.stdout, run.stderr)


def test_history_is_scanned_when_asked(run_cli: RunCli, tree: Tree) -> None:
    run = run_cli("scan", "--json", "--history")
    history = Path(os.environ["HOME"]) / ".bash_history"
    assert (f"{history}:2", key_id(tree.keys["history"])) in findings_of(run)
    assert len(findings_of(run)) == len(tree.planted) + 1
    assert_secrets_nowhere(tree, run.stdout, run.stderr)


def test_a_stored_key_is_named_without_reading_the_key_store(
    run_cli: RunCli, tree: Tree, services: Services, sandbox: FaultySandbox
) -> None:
    store_profile(services, "work", sandbox.origin, tree.keys["env"])
    run = run_cli("scan", "--json", ".env")
    [row] = [r for r in json.loads(run.stdout)["findings"] if r["kind"] == "api-key"]
    assert row["stored_as"] == ["work"]
    text = run_cli("scan", ".env")
    assert 'a plain-text copy of the key stored as profile "work"' in text.stdout


def test_exit_codes(run_cli: RunCli, tree: Tree, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "a.txt").write_text(f"nothing here but {other_jwt()}\n")
    assert run_cli("scan", str(clean)).code == 0
    assert run_cli("scan", "src").code == 0  # decoys only
    assert run_cli("scan", ".env").code == 1
    missing = run_cli("scan", str(tmp_path / "nope"))
    assert missing.code == 2
    assert "no such file or folder" in missing.stderr


def test_a_fifo_or_device_named_on_the_command_line_is_skipped_at_once(
    run_cli: RunCli, tmp_path: Path
) -> None:
    fifo = tmp_path / "named-pipe"
    os.mkfifo(fifo)  # nobody writes to it: a blocking open would wait for ever
    run = run_cli("scan", "--json", str(fifo), "/dev/zero")
    assert run.code == 0
    skipped = {row["where"]: row["why"] for row in json.loads(run.stdout)["skipped"]}
    assert skipped == {str(fifo): "not_regular", "/dev/zero": "not_regular"}


def test_a_key_in_a_file_name_is_not_echoed(run_cli: RunCli, tree: Tree) -> None:
    key = tree.keys["env"]
    run = run_cli("scan", key)
    assert run.code == 2
    assert key not in run.output
    assert key.rsplit(".", 1)[1] not in run.output


def test_file_names_from_the_tree_are_neutralised(run_cli: RunCli, tmp_path: Path) -> None:
    hostile = tmp_path / "h"
    hostile.mkdir()
    key = make_fake_key(key_id="6d0c2f5e-3b1a-4c8e-9f2d-7a6b5c4d3e21", tenant_id="T", sub="U")
    (hostile / "evil\x1b[2Jname\u202e.env").write_text(f"K={key}\n")
    run = run_cli("scan", str(hostile))
    assert run.code == 1
    assert "\x1b" not in run.output and "\u202e" not in run.output
    assert "\\x1b[2Jname\\u202e.env:1" in run.stdout


def test_scan_loads_nothing_for_other_commands() -> None:
    code = (
        "import sys\n"
        "from qlik_tui.cli import build_parser\n"
        "build_parser().parse_args(['list'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('qlik_tui') and 'scan' in m))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['qlik_tui.commands.scan']"


# -- git history and the index ------------------------------------------------------------------

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        check=False,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    assert git(repo, "init", "-q", "-b", "main").returncode == 0
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(repo)
    return repo


def commit_all(repo: Path, message: str) -> None:
    assert git(repo, "add", "-A").returncode == 0
    done = git(repo, "commit", "-q", "--no-verify", "-m", message)
    assert done.returncode == 0, done.stderr


def test_git_finds_a_key_removed_two_commits_ago(
    run_cli: RunCli, repo: Path, sandbox: FaultySandbox
) -> None:
    key = sandbox.issue_key()
    (repo / "README").write_text("hello\n")
    (repo / "config.env").write_text(f"# config\nQCS_API_KEY={key}\n")
    commit_all(repo, "add config")
    first = git(repo, "rev-parse", "HEAD").stdout.strip()
    (repo / "config.env").write_text("# config\nQCS_API_KEY=\n")
    commit_all(repo, "remove the key")
    (repo / "README").write_text("hello again\n")
    commit_all(repo, "another change")

    assert run_cli("scan").code == 0  # the working tree is clean
    run = run_cli("scan", "--git", "--json")
    assert run.code == 1
    rows = json.loads(run.stdout)["findings"]
    assert [(r["source"], r["where"], r["line"], r["key_id"]) for r in rows] == [
        ("git", f"{first[:12]}:config.env", 2, key_id(key))
    ]
    text = run_cli("scan", "--git")
    assert "never rewrites history" in text.stderr
    for output in (run.output, text.output):
        assert key not in output and key.rsplit(".", 1)[1] not in output


def test_git_outside_a_repository_is_a_usage_error(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    monkeypatch.chdir(alone)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    run = run_cli("scan", "--git")
    assert run.code == 2
    assert "not inside a git repository" in run.stderr


def test_staged_blocks_a_commit_in_a_pre_commit_hook(repo: Path, sandbox: FaultySandbox) -> None:
    key = sandbox.issue_key()
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nexec {sys.executable} -m qlik_tui scan --staged\n")
    hook.chmod(0o755)
    (repo / "clean.txt").write_text("nothing secret\n")
    assert git(repo, "add", "clean.txt").returncode == 0
    first = git(repo, "commit", "-q", "-m", "first (no HEAD yet)")
    assert first.returncode == 0, first.stderr

    (repo / "app.env").write_text(f"QLIK_API_KEY={key}\n")
    (repo / "unstaged.env").write_text(f"QLIK_API_KEY={sandbox.issue_key()}\n")
    assert git(repo, "add", "app.env").returncode == 0
    blocked = git(repo, "commit", "-q", "-m", "leak")
    assert blocked.returncode != 0
    # git shows a hook's output on its standard error
    assert f"(staged):app.env:1: Qlik API key {key_id(key)}" in blocked.stderr
    assert "The next commit would carry" in blocked.stderr
    assert "unstaged.env" not in blocked.stderr  # only what the commit would carry
    assert key not in blocked.stdout + blocked.stderr
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "1"

    (repo / "app.env").write_text("QLIK_API_KEY=\n")
    assert git(repo, "add", "app.env").returncode == 0
    allowed = git(repo, "commit", "-q", "-m", "no key")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "2"


# -- --verify --------------------------------------------------------------------------------------


def test_verify_asks_only_the_profiles_tenant(
    run_cli: RunCli,
    services: Services,
    sandbox: FaultySandbox,
    offsite_recorder: OffsiteRecorder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store_profile(
        services,
        "work",
        sandbox.origin,
        sandbox.issue_key(),
        tenant_id=sandbox.tenant_id,
        user_id=sandbox.admin.id,
    )
    keys = {
        "active": sandbox.issue_key(),
        "expired": sandbox.issue_key("expired"),
        "revoked": sandbox.issue_key("revoked"),
        "deleted": sandbox.issue_key(),
        "other-tenant": sandbox.issue_key("other-tenant"),
    }
    leaks = tmp_path / "leaks"
    leaks.mkdir()
    for name, key in keys.items():
        (leaks / f"{name}.env").write_text(f"QLIK_API_KEY={key}\n")
    # A file that names another host as the key's server: never contacted.
    (leaks / "contexts.yml").write_text(
        f"contexts:\n  x:\n    server: {offsite_recorder.origin}\n"
        f"    headers:\n      Authorization: Bearer {keys['other-tenant']}\n"
    )
    _delete_as_owner(sandbox, keys["deleted"])
    sandbox.clear_requests()
    monkeypatch.chdir(leaks)

    run = run_cli("scan", "--verify", "--json")
    assert run.code == 1, run.stderr
    rows = json.loads(run.stdout)["findings"]
    statuses = {row["where"]: (row["verified"] or {}).get("status") for row in rows}
    assert statuses == {
        "active.env": "active",
        "expired.env": "expired",
        "revoked.env": "revoked",
        "deleted.env": "revoked",
        "other-tenant.env": "not-checked",
        "contexts.yml": "not-checked",
    }
    assert offsite_recorder.requests == []
    asked = {request.path for request in sandbox.requests}
    other_id = key_id(keys["other-tenant"])
    assert all(path.startswith("/api/v1/api-keys/") for path in asked)
    assert f"/api/v1/api-keys/{other_id}" not in asked
    text = run_cli("scan", "--verify")
    assert "ACTIVE until" in text.stdout and 'asked of profile "work"' in text.stdout
    for key in keys.values():
        assert key not in run.output + text.output
        assert key.rsplit(".", 1)[1] not in run.output + text.output


def _delete_as_owner(sandbox: FaultySandbox, key: str) -> None:
    """The owner deletes the key on the tenant (afterwards GET is 404, using it 401)."""
    import httpx

    done = httpx.delete(
        f"{sandbox.origin}/api/v1/api-keys/{key_id(key)}",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert done.status_code == 204


# -- --fix ---------------------------------------------------------------------------------------


@dataclass
class Leaks:
    folder: Path
    leaked: str  # a key of the profile's user, stored nowhere
    stored: str  # the key profile "work" stores
    foreign: str  # a key of a tenant without a profile


def plant_leaks(services: Services, sandbox: FaultySandbox, folder: Path) -> Leaks:
    stored = sandbox.issue_key()
    store_profile(
        services, "work", sandbox.origin, stored, tenant_id=sandbox.tenant_id,
        user_id=sandbox.admin.id,
    )  # fmt: skip
    leaks = Leaks(folder, sandbox.issue_key(), stored, sandbox.issue_key("other-tenant"))
    folder.mkdir(exist_ok=True)
    env = folder / ".env"
    env.write_text(f"A=1\nQLIK_API_KEY={leaks.leaked}\nB=2\nSTORED={leaks.stored}\n")
    env.chmod(0o640)
    (folder / "notes.txt").write_text(f"old key {leaks.leaked}\n")
    (folder / ".env.other").write_text(f"QCS_API_KEY={leaks.foreign}\n")
    return leaks


def test_fix_refuses_without_a_terminal_or_yes(
    run_cli: RunCli, services: Services, sandbox: FaultySandbox, tmp_path: Path
) -> None:
    leaks = plant_leaks(services, sandbox, tmp_path / "leaks")
    before = (leaks.folder / ".env").read_text()
    run = run_cli("scan", "--fix", str(leaks.folder))
    assert run.code == 2
    assert "needs a terminal" in run.stderr
    assert (leaks.folder / ".env").read_text() == before
    assert sandbox.key_ids(status="active").count(key_id(leaks.leaked)) == 1


def test_fix_yes_revokes_the_leak_and_removes_the_lines(
    run_cli: RunCli,
    services: Services,
    sandbox: FaultySandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    leaks = plant_leaks(services, sandbox, tmp_path / "leaks")
    monkeypatch.chdir(leaks.folder)
    run = run_cli("scan", "--fix", "--yes")
    assert run.code == 1
    assert not sandbox.has_key(key_id(leaks.leaked))  # deleted by its owner: itself
    assert sandbox.has_key(key_id(leaks.stored))  # a stored key is never revoked here
    assert key_id(leaks.stored) in sandbox.key_ids(status="active")
    env = leaks.folder / ".env"
    assert env.read_text() == "A=1\nB=2\n"
    assert oct(env.stat().st_mode & 0o777) == oct(0o640)
    # Not rewritten: a file other than .env, and the key qlik-tui cannot reach
    assert leaks.leaked in (leaks.folder / "notes.txt").read_text()
    assert leaks.foreign in (leaks.folder / ".env.other").read_text()
    assert "notes.txt:1: qlik-tui rewrites only .env files" in run.stderr
    assert "which no profile is for" in run.stderr
    assert services.secrets.load("work") == parse_key(leaks.stored)
    for key in (leaks.leaked, leaks.stored, leaks.foreign):
        assert key.rsplit(".", 1)[1] not in run.output
    assert [p.name for p in tmp_path.joinpath("leaks").iterdir() if p.name.startswith(".env.")] == [
        ".env.other"
    ]  # no temporary file left beside it


def test_fix_asks_on_a_terminal_and_stores_instead_of_revoking(
    secret_store: SecretStore,
    sandbox: FaultySandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    isolated_home: Path,
) -> None:
    services = Services(secrets=secret_store, profiles=ProfileStore())  # the child's own
    leaks = plant_leaks(services, sandbox, tmp_path / "leaks")
    (leaks.folder / ".env.other").unlink()
    (leaks.folder / "notes.txt").unlink()
    monkeypatch.chdir(leaks.folder)
    leaked_id = key_id(leaks.leaked)
    with Terminal(["scan", "--fix"], isolated_home) as terminal:
        assert terminal.wait_for(f"Revoke key {leaked_id} on".encode())
        terminal.send(b"n\r")
        assert terminal.wait_for(b"Store key " + leaked_id.encode() + b" in qlik-tui as profile")
        terminal.send(b"y\r")
        assert terminal.wait_for(b"Remove the plain-text line .env:2?")
        terminal.send(b"y\r")
        assert terminal.wait_for(b"Key " + key_id(leaks.stored).encode() + b" is stored")
        assert terminal.wait_for(b"Remove the plain-text line .env:4?")
        terminal.send(b"n\r")
        code = terminal.finish()
        shown = shown_text(terminal.output).decode("utf-8", "replace")
    assert code == 1
    assert sandbox.has_key(leaked_id)  # not revoked: the answer was no
    [imported] = [p for p in services.profiles.all() if p.key_id == leaked_id]
    assert imported.name == f"work-{leaked_id[:8]}"
    assert secret_store.load(imported.name) == parse_key(leaks.leaked)
    assert (leaks.folder / ".env").read_text() == f"A=1\nB=2\nSTORED={leaks.stored}\n"
    for key in (leaks.leaked, leaks.stored):
        assert key.rsplit(".", 1)[1] not in shown


def test_fix_removes_a_stored_keys_copy_from_the_contexts_file(
    run_cli: RunCli,
    services: Services,
    sandbox: FaultySandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from qlik_tui.core.qlik_cli_contexts import read_contexts_file

    stored = sandbox.issue_key()
    store_profile(services, "work", sandbox.origin, stored, tenant_id=sandbox.tenant_id)
    contexts = tmp_path / "qlik" / "contexts.yml"
    contexts.parent.mkdir()
    contexts.write_text(
        "contexts:\n"
        f"  work:\n    headers:\n      Authorization: Bearer {stored}\n"
        f"    server: {sandbox.origin}\n    server-type: cloud\n"
        f"  other:\n    server: {sandbox.origin}\n    comment: kept\n"
        "current-context: work\n"
    )
    contexts.chmod(0o600)
    monkeypatch.setenv("QLIK_CLI_USER_HOME_DIR", str(contexts))
    run = run_cli("scan", "--fix", "--yes", str(contexts))
    assert run.code == 1
    assert f"Removed 1 line(s) from {contexts}" in run.stderr
    assert stored not in contexts.read_text()
    assert [c.name for c in read_contexts_file(contexts).contexts] == ["work", "other"]
    assert oct(contexts.stat().st_mode & 0o777) == oct(0o600)
    assert sandbox.has_key(key_id(stored))  # stored by a profile: never revoked here
    assert stored.rsplit(".", 1)[1] not in run.output


def test_fix_revokes_with_the_same_users_stored_key_when_the_leak_cannot(
    run_cli: RunCli,
    services: Services,
    sandbox: FaultySandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store_profile(
        services, "work", sandbox.origin, sandbox.issue_key(), tenant_id=sandbox.tenant_id,
        user_id=sandbox.admin.id,
    )  # fmt: skip
    dead = sandbox.issue_key("revoked")  # the tenant refuses it (401), even to delete itself
    folder = tmp_path / "leak"
    folder.mkdir()
    (folder / ".env").write_text(f"QLIK_API_KEY={dead}\n")
    monkeypatch.chdir(folder)
    run = run_cli("scan", "--fix", "--yes")
    assert f'Revoked key {key_id(dead)} with the stored key of profile "work".' in run.stderr
    assert not sandbox.has_key(key_id(dead))
    assert (folder / ".env").read_text() == ""
    assert dead.rsplit(".", 1)[1] not in run.output
