"""Tenant strings and key claims never reach the terminal as control sequences through the CLI;
user input is echoed neutralised, and a key typed where a name belongs is never echoed.

The CLI writes no colour codes of its own, so its output may hold no control character but the
line break. Runs against the hostile sandbox (attack strings in every tenant field, the 401 body
and the key's claims) over TLS, with the real Secret Service.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qlik_tui.core.untrusted import neutralise
from qlik_tui.services.context import Services
from tests.fixtures.cli import RunCli
from tests.fixtures.hostile import (
    BIDI_ISOLATE,
    BIDI_OVERRIDE,
    HOSTILE_EMAIL,
    HOSTILE_KEY_ID,
    HOSTILE_KEY_STATUS,
    HOSTILE_NAME,
    MARKUP_CLICK,
    HostileSandbox,
)

BIDI_AND_MARKS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
BIDI_AND_MARKS |= {"\u200e", "\u200f", "\u061c"}


def terminal_controls(text: str) -> list[str]:
    """Every character in ``text`` a terminal would act on or that reorders text: controls
    (C0 but the line break, DEL, C1) and bidi overrides, isolates and marks."""
    found = []
    for char in text:
        code = ord(char)
        if (code < 0x20 and char != "\n") or 0x7F <= code <= 0x9F or char in BIDI_AND_MARKS:
            found.append(repr(char))
    return found


def assert_clean(text: str) -> None:
    assert terminal_controls(text) == [], text
    assert BIDI_OVERRIDE not in text and BIDI_ISOLATE not in text


def login(run_cli: RunCli, sandbox: HostileSandbox, name: str, key: str) -> str:
    result = run_cli(
        "login", "--tenant", sandbox.origin, "--name", name, "--with-token", stdin=key + "\n"
    )
    return result.output


def test_login_list_and_check_over_a_hostile_tenant_write_no_control_character(
    run_cli: RunCli, hostile_sandbox: HostileSandbox, services: Services
) -> None:
    hostile_sandbox.hostile_claims = True
    outputs = [login(run_cli, hostile_sandbox, "work", hostile_sandbox.issue_key())]
    hostile_sandbox.hostile_claims = False
    outputs.append(login(run_cli, hostile_sandbox, "plain", hostile_sandbox.issue_key()))
    assert [p.name for p in services.profiles.all()] == ["plain", "work"]
    for argv in (("list",), ("list", "--json"), ("check",), ("check", "--json")):
        result = run_cli(*argv)
        outputs.append(result.output)
        if "--json" in argv:
            json.loads(result.stdout)  # still valid JSON
    for output in outputs:
        assert_clean(output)
    everything = "\n".join(outputs)
    # The data is there, in its visible form, markup shown literally.
    assert neutralise(HOSTILE_NAME) in everything
    assert neutralise(HOSTILE_EMAIL) in everything
    assert neutralise(HOSTILE_KEY_ID) in everything
    assert MARKUP_CLICK in everything


def test_check_json_carries_no_control_character_even_once_decoded(
    run_cli: RunCli, hostile_sandbox: HostileSandbox, services: Services
) -> None:
    hostile_sandbox.hostile_claims = True
    login(run_cli, hostile_sandbox, "claims", hostile_sandbox.issue_key())
    hostile_sandbox.hostile_claims = False
    login(run_cli, hostile_sandbox, "revoked", hostile_sandbox.issue_key())
    revoked = services.profiles.get("revoked")
    assert revoked is not None and revoked.key_id is not None
    hostile_sandbox.revoke_key(revoked.key_id)  # its check gets the hostile 401 body
    for argv in (("check", "--json"), ("list", "--json")):
        result = run_cli(*argv)
        decoded = json.loads(result.stdout)
        assert_clean(result.stdout)
        assert_clean(json.dumps(decoded, ensure_ascii=False))  # no \u escape of one either
    check = json.loads(run_cli("check", "--json").stdout)
    assert {entry["name"]: entry["http_status"] for entry in check}["revoked"] == 401


def test_a_401_body_from_a_hostile_tenant_is_shown_neutralised(
    run_cli: RunCli, hostile_sandbox: HostileSandbox
) -> None:
    key = hostile_sandbox.issue_key("revoked")
    result = run_cli(
        "login", "--tenant", hostile_sandbox.origin, "--name", "w", "--with-token", stdin=key
    )
    assert result.code == 1, result.output
    assert "Key rejected (401)" in result.output
    assert_clean(result.output)


def test_hostile_key_status_is_stored_neutralised(
    run_cli: RunCli, hostile_sandbox: HostileSandbox, services: Services
) -> None:
    login(run_cli, hostile_sandbox, "work", hostile_sandbox.issue_key())
    profile = services.profiles.get("work")
    assert profile is not None
    assert profile.key_status == neutralise(HOSTILE_KEY_STATUS)
    assert profile.user_name == neutralise(HOSTILE_NAME)
    raw = Path(services.profiles.path).read_text(encoding="utf-8")
    assert_clean(json.dumps(json.loads(raw), ensure_ascii=False))


# -- user input echoed in messages --------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "forget"])
def test_a_key_typed_as_a_profile_name_is_never_echoed(
    command: str, run_cli: RunCli, hostile_sandbox: HostileSandbox
) -> None:
    login(run_cli, hostile_sandbox, "work", hostile_sandbox.issue_key())
    key = hostile_sandbox.issue_key()
    result = run_cli(command, key)
    assert result.code == 2, result.output
    assert "argument NAME" in result.stderr  # refused as it was read, before any lookup
    for part in key.split("."):
        assert part[:16] not in result.output
    assert "looks like an API key" in result.stderr


@pytest.mark.parametrize("command", ["check", "forget"])
def test_an_unknown_name_is_echoed_neutralised(
    command: str, run_cli: RunCli, hostile_sandbox: HostileSandbox
) -> None:
    login(run_cli, hostile_sandbox, "work", hostile_sandbox.issue_key())
    result = run_cli(command, "no\x1b]52;c;aGk=\x07pe\u202e")
    assert result.code == 2, result.output
    assert_clean(result.output)
    assert 'no profile named "no\\x1b]52;c;aGk=\\x07pe\\u202e"' in result.stderr


# -- a profiles file written by an older version ---------------------------------------------


def write_old_profiles_file(path: Path, origin: str, names: tuple[str, ...]) -> None:
    """A profiles file as a version that saved the tenant's answers as they came wrote it."""
    profile = {
        "origin": origin,
        "key_id": HOSTILE_KEY_ID,
        "key_tenant_id": HOSTILE_KEY_ID,
        "user_id": HOSTILE_NAME,
        "user_name": HOSTILE_NAME,
        "user_email": HOSTILE_EMAIL,
        "roles": [HOSTILE_NAME, "TenantAdmin"],
        "last_outcome": HOSTILE_NAME,
        "expiry": HOSTILE_NAME,
        "key_status": HOSTILE_KEY_STATUS,
        "backend": HOSTILE_NAME,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"version": 1, "profiles": {name: profile for name in names}}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def test_an_old_profiles_file_with_hostile_fields_is_neutralised_on_load(
    services: Services,
) -> None:
    write_old_profiles_file(services.profiles.path, "https://t.example", ("work", "x[/]"))
    loaded = services.profiles.get("work")
    assert loaded is not None
    for value in (
        loaded.key_id,
        loaded.key_tenant_id,
        loaded.user_id,
        loaded.user_name,
        loaded.user_email,
        loaded.last_outcome,
        loaded.expiry,
        loaded.key_status,
        loaded.backend,
        *loaded.roles,
    ):
        assert value is not None
        assert_clean(value)
    assert loaded.user_name == neutralise(HOSTILE_NAME)
    assert loaded.roles == (neutralise(HOSTILE_NAME), "TenantAdmin")
    assert [p.name for p in services.profiles.all()] == ["work", "x[/]"]  # names kept as they are


def test_list_and_check_over_an_old_hostile_profiles_file_write_no_control_character(
    run_cli: RunCli, services: Services, hostile_sandbox: HostileSandbox
) -> None:
    write_old_profiles_file(services.profiles.path, hostile_sandbox.origin, ("work",))
    outputs = [run_cli(*argv).output for argv in (("list",), ("check",), ("check", "--json"))]
    for output in outputs:
        assert_clean(output)
    assert neutralise(HOSTILE_NAME) in outputs[0]
