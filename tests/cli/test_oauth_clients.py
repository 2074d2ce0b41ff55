"""OAuth M2M clients through the CLI, over the TLS sandbox and the real Secret Service:
``login --oauth-client-id``, ``list``, ``check``, ``token``, ``exec``; each refusal's row; the
access token cache (one token request for two ``token`` calls); the secret never shown."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from qlik_tui.commands import exits
from qlik_tui.services.context import Services
from qlik_tui.store.secrets import ACCESS_TOKEN_SERVICE, CLIENT_SECRET_SERVICE, KeyNotFound
from tests.cli.helpers import login_client, token_posts
from tests.fixtures.cli import RunCli, cli_in_subprocess
from tests.fixtures.faulty_sandbox import FaultySandbox


def test_login_proves_by_minting_and_stores_the_secret_like_a_key(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    client_id, secret = login_client(run_cli, sandbox, token_lifetime=timedelta(minutes=15))
    profile = services.profiles.get("bot")
    assert profile is not None and profile.is_oauth_client and profile.client_id == client_id
    assert profile.user_name == "sandbox automation" and "TenantAdmin" in profile.roles
    assert profile.secret_hint == sandbox.secret_hints(client_id)[0]
    assert profile.token_scope == "user_default" and profile.last_outcome == "valid"
    assert services.secrets.load_client_secret("bot").reveal() == secret
    assert secret not in services.profiles.path.read_text()
    with pytest.raises(KeyNotFound):
        services.secrets.load("bot")  # nothing under the API keys' service
    listed = run_cli("list")
    header, row = listed.stdout.splitlines()
    assert "KIND" in header.split() and "oauth-client" in row.split() and client_id in row
    assert "✓ Client works" in row
    assert secret not in listed.output


def test_login_output_names_the_bot_user_lifetime_and_scope(
    run_cli: RunCli, sandbox: FaultySandbox
) -> None:
    client_id, secret = sandbox.create_oauth_client(token_lifetime=timedelta(minutes=15))
    result = run_cli(
        "login", "--tenant", sandbox.origin, "--name", "bot",
        "--oauth-client-id", client_id, "--with-secret", stdin=secret,
    )  # fmt: skip
    assert result.code == 0, result.output
    assert "bot user sandbox automation" in result.stdout
    assert "access tokens live 15 min, scope user_default" in result.stdout
    assert secret not in result.output


def test_login_json_prints_the_record_and_a_refusal(
    run_cli: RunCli, sandbox: FaultySandbox
) -> None:
    client_id, secret = sandbox.create_oauth_client()
    args = ("login", "--tenant", sandbox.origin, "--name", "bot", "--json")
    stored = run_cli(*args, "--oauth-client-id", client_id, "--with-secret", stdin=secret)
    assert stored.code == 0, stored.output
    record = json.loads(stored.stdout)
    assert (record["kind"], record["client_id"]) == ("oauth-client", client_id)
    assert record["stored"] is True and record["verified"] is True
    assert "bot user sandbox automation" in stored.stderr
    refused = run_cli(*args, "--oauth-client-id", client_id, "--with-secret", stdin="f" * 64)
    assert refused.code == exits.REJECTED
    answer = json.loads(refused.stdout)
    assert answer["stored"] is False and answer["outcome"] == "oauth_secret_rejected"
    assert secret not in stored.output + refused.output


@pytest.mark.parametrize(
    ("change", "title"),
    [
        ("wrong_secret", "Client secret rejected (401)"),
        ("deleted", "OAuth client deleted or disabled"),
        ("disabled", "OAuth client deleted or disabled"),
        ("no_m2m", "Machine-to-machine not enabled on the client"),
        ("consent", 'Client consent is not "Trusted"'),
        ("scope", "Scope not allowed for the client"),
    ],
)
def test_each_refusal_is_explained_and_nothing_is_stored(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services, change: str, title: str
) -> None:
    client_id, secret = sandbox.create_oauth_client()
    client = sandbox.oauth_client(client_id)
    if change == "wrong_secret":
        secret = secret[:-4] + "0000"
    elif change == "deleted":
        client.deleted = True
    elif change == "disabled":
        client.disabled = True
    elif change == "no_m2m":
        client.m2m = False
    elif change == "consent":
        client.consent_method = "required"
    else:
        client.allowed_scopes = ["admin_classic"]
    result = run_cli(
        "login", "--tenant", sandbox.origin, "--name", "bot",
        "--oauth-client-id", client_id, "--with-secret", stdin=secret,
    )  # fmt: skip
    assert result.code == 1, result.output
    assert title in result.stderr and "cause:" in result.stderr and "next:" in result.stderr
    assert secret not in result.output
    assert services.profiles.get("bot") is None
    with pytest.raises(KeyNotFound):
        services.secrets.load_client_secret("bot")


def test_check_of_a_client_profile_provokes_each_row_after_the_fact(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    client_id, _ = login_client(run_cli, sandbox)
    before = token_posts(sandbox)
    ok = run_cli("check", "bot")
    assert ok.code == 0, ok.output
    assert "Client works" in ok.stdout and f"[OAuth client {client_id}]" in ok.stdout
    assert token_posts(sandbox) == before + 1  # check mints and proves, every time
    sandbox.oauth_client(client_id).consent_method = "required"
    refused = run_cli("check", "bot")
    assert refused.code == 1 and 'Client consent is not "Trusted"' in refused.stdout
    profile = services.profiles.get("bot")
    assert profile is not None and profile.last_outcome == "oauth_consent_not_trusted"
    checked = json.loads(run_cli("check", "bot", "--json").stdout)
    assert checked[0]["kind"] == "oauth-client" and checked[0]["client_id"] == client_id


def test_a_secret_pasted_as_the_client_id_is_refused_unseen(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    _, secret = sandbox.create_oauth_client()
    result = run_cli(
        "login", "--tenant", sandbox.origin, "--name", "bot",
        "--oauth-client-id", secret, "--with-secret", stdin=secret,
    )  # fmt: skip
    assert result.code == 2 and "looks like a client secret" in result.stderr
    assert secret not in result.output
    assert token_posts(sandbox) == 0 and services.profiles.get("bot") is None


def test_two_token_calls_within_the_lifetime_make_one_token_request(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    client_id, secret = sandbox.create_oauth_client()
    stored = run_cli(
        "login", "--tenant", sandbox.origin, "--name", "bot", "--no-verify",
        "--oauth-client-id", client_id, "--with-secret", stdin=secret,
    )  # fmt: skip
    assert stored.code == 0 and token_posts(sandbox) == 0
    first, second = run_cli("token", "bot"), run_cli("token", "bot")
    assert first.code == 0 and second.code == 0, first.output + second.output
    assert first.stdout == second.stdout and first.stdout.count("\n") == 1
    assert token_posts(sandbox) == 1
    token = first.stdout.strip()
    assert secret not in first.output and token != secret
    cached = services.secrets.read_text("bot", ACCESS_TOKEN_SERVICE)
    assert cached is not None and token in cached and secret not in cached


def test_a_token_within_60_s_of_its_expiry_is_minted_anew(
    run_cli: RunCli, sandbox: FaultySandbox
) -> None:
    client_id, secret = sandbox.create_oauth_client(token_lifetime=timedelta(seconds=50))
    run_cli(
        "login", "--tenant", sandbox.origin, "--name", "bot", "--no-verify",
        "--oauth-client-id", client_id, "--with-secret", stdin=secret,
    )  # fmt: skip
    first, second = run_cli("token", "bot"), run_cli("token", "bot")
    assert first.code == second.code == 0
    assert first.stdout != second.stdout and token_posts(sandbox) == 2


def test_token_of_a_client_whose_secret_was_deleted_explains_the_row(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    client_id, _ = login_client(run_cli, sandbox)
    services.secrets.delete("bot", service=ACCESS_TOKEN_SERVICE)
    sandbox.oauth_client(client_id).secrets.clear()
    result = run_cli("token", "bot")
    assert result.code == 1 and result.stdout == ""
    assert "Client secret rejected (401)" in result.stderr


def test_exec_hands_command_an_access_token_never_the_secret(
    run_cli: RunCli, sandbox: FaultySandbox, tmp_path: Path
) -> None:
    _, secret = login_client(run_cli, sandbox)
    report = tmp_path / "env.json"
    child = (
        "import hashlib, json, os, sys\n"
        "names = ['QCS_ACCESS_TOKEN', 'QCS_API_KEY', 'QCS_ACCESS_TOKEN_EXPIRES_AT', 'QCS_SERVER']\n"
        "got = {n: os.environ.get(n) for n in names}\n"
        "got['secret_anywhere'] = any(sys.argv[1] in v for v in os.environ.values())\n"
        "json.dump(got, open(sys.argv[2], 'w'))\n"
    )
    digest = hashlib.sha256(secret.encode()).hexdigest()
    # The child looks for the secret by its hash's first half (never given the secret itself).
    finder = child.replace(
        "sys.argv[1] in v", "hashlib.sha256(v.encode()).hexdigest() == sys.argv[1]"
    )
    result = run_cli("exec", "bot", "--", sys.executable, "-c", finder, digest, str(report))
    assert result.code == 0, result.output
    got = json.loads(report.read_text())
    assert got["QCS_ACCESS_TOKEN"] and got["QCS_ACCESS_TOKEN"] == got["QCS_API_KEY"]
    assert got["QCS_ACCESS_TOKEN_EXPIRES_AT"] and got["QCS_SERVER"] == sandbox.origin
    assert got["secret_anywhere"] is False
    assert token_posts(sandbox) == 1  # the token login minted, from the cache
    assert CLIENT_SECRET_SERVICE != ACCESS_TOKEN_SERVICE


def test_exec_with_a_cached_token_loads_no_client_and_no_token_parsers(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    # exec-token's start-up (benchmarks/README.md): the cached path needs none of these
    login_client(run_cli, sandbox)
    heavy = (
        "httpx", "asyncio", "qlik_tui.core.oauth", "qlik_tui.core.apikey",
        "qlik_tui.core.expiry", "qlik_tui.core.outcomes", "platformdirs",
    )  # fmt: skip
    extra = f"'LOADED', sorted(m for m in {heavy!r} if m in sys.modules)"
    done = cli_in_subprocess(services.profiles.path, "exec", "bot", "--", "true", extra=extra)
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stderr
    assert token_posts(sandbox) == 1  # the token login minted, from the cache


def test_import_qlik_cli_proves_stores_and_lists_oauth_contexts_as_plain_text(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services, tmp_path: Path
) -> None:
    from tests.cli.helpers import oauth_context, write_contexts

    good_id, good_secret = sandbox.create_oauth_client("importer")
    gone_id, gone_secret = sandbox.create_oauth_client("gone")
    sandbox.oauth_client(gone_id).deleted = True
    contexts = write_contexts(
        tmp_path / "qlik" / "contexts.yml",
        oauth_context("auto", sandbox.origin, good_secret, good_id),
        oauth_context("old", sandbox.origin, gone_secret, gone_id),
        oauth_context("nosecret", sandbox.origin),
    )
    before = contexts.read_bytes()
    result = run_cli("import", "qlik-cli", "--file", str(contexts), "--all")
    assert result.code == 1, result.output  # the deleted client is rejected
    assert contexts.read_bytes() == before
    assert "stored as profile 'auto'" in result.stdout
    assert "OAuth client deleted or disabled" in result.stdout
    assert "skipped: an OAuth context without a usable client ID and secret" in result.stdout
    assert "Still in plain text" in result.stdout and "`qlik context rm auto`" in result.stdout
    for secret in (good_secret, gone_secret):
        assert secret not in result.output
    profile = services.profiles.get("auto")
    assert profile is not None and profile.is_oauth_client and profile.client_id == good_id
    assert services.secrets.load_client_secret("auto").reveal() == good_secret
    assert services.profiles.get("old") is None
    again = run_cli("import", "qlik-cli", "--file", str(contexts), "--context", "auto")
    assert again.code == 0 and "already stored as profile 'auto'" in again.stdout


def test_forget_removes_the_client_secret_and_the_cached_token(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    login_client(run_cli, sandbox)
    assert services.secrets.read_text("bot", ACCESS_TOKEN_SERVICE) is not None
    result = run_cli("forget", "bot")
    assert result.code == 0, result.output
    assert services.profiles.get("bot") is None
    assert services.secrets.read_text("bot", CLIENT_SECRET_SERVICE) is None
    assert services.secrets.read_text("bot", ACCESS_TOKEN_SERVICE) is None


def test_a_profile_switching_kinds_leaves_no_entry_of_the_other_kind(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    key = sandbox.issue_key()
    as_key = run_cli(
        "login", "--tenant", sandbox.origin, "--name", "bot", "--with-token", stdin=key
    )
    assert as_key.code == 0
    login_client(run_cli, sandbox)
    with pytest.raises(KeyNotFound):
        services.secrets.load("bot")
    again = run_cli("login", "--tenant", sandbox.origin, "--name", "bot", "--with-token", stdin=key)
    assert again.code == 0
    assert services.secrets.read_text("bot", CLIENT_SECRET_SERVICE) is None
    assert services.secrets.read_text("bot", ACCESS_TOKEN_SERVICE) is None
    profile = services.profiles.get("bot")
    assert profile is not None and not profile.is_oauth_client


def test_key_only_commands_refuse_a_client_profile_and_say_which_take_it(
    run_cli: RunCli, sandbox: FaultySandbox
) -> None:
    _, secret = login_client(run_cli, sandbox)
    for command in (["keys", "bot"], ["revoke", "bot", "some-key-id"]):
        result = run_cli(*command)
        assert result.code == 2, result.output
        assert "holds an OAuth client, not an API key" in result.stderr
        assert secret not in result.output
