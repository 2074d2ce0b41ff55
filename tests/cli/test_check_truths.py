"""Small truths of ``check`` and the profiles file: a wrong passphrase is no check of the key, a
key typed into profiles.json by hand is refused on read as on write, and a profile that a
``forget`` removed while it was being checked is gone, not broken."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

from qlik_tui.core.outcomes import OutcomeKind
from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.check import check_profiles
from qlik_tui.services.context import Services
from qlik_tui.services.forgetting import forget_profile
from qlik_tui.store.profiles import ProfileStore
from qlik_tui.store.secrets import SecretStore
from tests.cli.helpers import cheap_store_file, cli, login, passphrase_file
from tests.cli.use_helpers import child_env, qlik_tui_argv, store_in_default_place
from tests.fixtures.cli import store_profile


def signature(key: str) -> str:
    return key.rsplit(".", 1)[1]


def test_a_wrong_passphrase_keeps_the_profiles_last_real_verdict(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None
) -> None:
    secret = passphrase_file(isolated_home)
    cheap_store_file(isolated_home)  # four processes unlock it (or fail to)
    assert login(isolated_home, sandbox, "vault", sandbox.issue_key(), secret).returncode == 0
    assert cli(isolated_home, "check", passphrase=secret).returncode == 0
    checked = ProfileStore().get("vault")
    assert checked is not None and checked.last_outcome == "valid"

    wrong = passphrase_file(isolated_home, "not the passphrase", "wrong")
    refused = cli(isolated_home, "check", "--json", passphrase=wrong)
    assert refused.returncode == 3
    assert json.loads(refused.stdout)[0]["outcome"] == "key_file_unavailable"

    after = ProfileStore().get("vault")
    assert after is not None
    assert after.last_outcome == "valid"
    assert after.last_checked_at == checked.last_checked_at
    listed = json.loads(cli(isolated_home, "list", "--json").stdout)
    assert listed[0]["last_outcome"] == "valid"


def test_a_key_typed_into_the_profiles_file_is_refused_on_read_and_never_shown(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None
) -> None:
    sentinel = sandbox.issue_key()
    path = ProfileStore().path
    path.parent.mkdir(parents=True)
    profile = {"origin": sandbox.origin, "key_id": sentinel, "key_store": "encrypted-file"}
    path.write_text(json.dumps({"version": 1, "profiles": {"p": profile}}))
    before = path.read_bytes()

    outputs = []
    for args in (["list"], ["list", "--json"], ["check"], ["token", "p"], ["forget", "p"]):
        done = cli(isolated_home, *args)
        assert done.returncode not in (0, 70), args
        outputs.append(done.stdout + done.stderr)
    assert all(signature(sentinel) not in output for output in outputs)
    assert "field 'key_id' of profile \"p\" looks like an API key" in outputs[0]
    assert "never in the profiles file" in outputs[0]
    # Nothing was changed, and no copy of the file (a backup would be one more copy of the key).
    assert path.read_bytes() == before
    holding = [f for f in isolated_home.rglob("*") if f.is_file() and sentinel in f.read_text()]
    assert holding == [path]


def test_a_profile_forgotten_while_its_check_reads_the_key_is_reported_gone(
    sandbox: SandboxTenant, services: Services
) -> None:
    store_profile(services, "gone", sandbox.origin, sandbox.issue_key())
    store_profile(services, "stays", sandbox.origin, sandbox.issue_key())
    listed = services.profiles.all()  # what a check read before the forget ran
    forgotten = forget_profile(services, "gone")
    assert forgotten.complete and forgotten.key_removed

    results = asyncio.run(check_profiles(services, listed))
    by_name = {result.profile.name: result.outcome for result in results}
    assert by_name["gone"].kind is OutcomeKind.PROFILE_FORGOTTEN
    assert by_name["gone"].title == "Forgotten meanwhile"
    assert by_name["stays"].kind is OutcomeKind.VALID
    assert services.profiles.get("gone") is None  # the check did not bring it back


def test_concurrent_checks_and_a_forget_never_read_key_missing(
    sandbox: SandboxTenant, secret_store: SecretStore
) -> None:
    for name in ("gone", "stays"):
        store_in_default_place(secret_store, name, sandbox.origin, sandbox.issue_key())
    env = child_env()
    checks = [
        subprocess.Popen(
            qlik_tui_argv("check", "--json"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env,
        )
        for _ in range(6)
    ]  # fmt: skip
    forget = subprocess.run(
        qlik_tui_argv("forget", "gone"), capture_output=True, text=True, env=env, timeout=60
    )
    assert forget.returncode == 0, forget.stderr
    seen: dict[str, set[str]] = {"gone": set(), "stays": set()}
    for process in checks:
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode in (0, 3), stderr
        for answer in json.loads(stdout):
            seen[answer["name"]].add(answer["outcome"])
    assert seen["stays"] == {"valid"}
    assert seen["gone"] <= {"valid", "profile_forgotten"}
    assert ProfileStore().get("gone") is None
