"""Shared by the CLI tests: the encrypted key file driven through ``python -m qlik_tui`` with no
D-Bus session, and qlik-cli contexts files to import from."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

from qlik_tui.sandbox import SandboxTenant
from tests.fixtures.cli import RunCli
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.services import TEST_KDF
from tests.store.helpers import secret_needles

PASSPHRASE = "correct horse battery staple"
STORE_FILE = Path(".local/share/qlik-tui/keys.encrypted")


def key_forms(key: str) -> list[bytes]:
    """The key, its parts (UTF-8, UTF-16) and its base64 forms at every alignment."""
    forms = secret_needles(key)
    raw = key.encode()
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(raw[shift:])
            forms.append(encoded[4:-4])  # the stable middle, whatever the neighbours
    return [form for form in forms if len(form) >= 12]


def passphrase_file(home: Path, text: str = PASSPHRASE, name: str = "passphrase") -> Path:
    path = home / name
    path.write_text(text + "\n")
    path.chmod(0o600)
    return path


def cheap_store_file(home: Path, text: str = PASSPHRASE) -> Path:
    """An empty encrypted key file at its default place under ``home``, made with ``TEST_KDF``:
    the cost is the file's own, so each process that unlocks it later spends microseconds, not
    a second and 128 MiB. For tests about what happens to a file, not how it is first made."""
    from qlik_tui.store.encrypted_file import EncryptedFileKeyring

    made = EncryptedFileKeyring(home / STORE_FILE, lambda: text, kdf=TEST_KDF)
    made.set_password("qlik-tui", "-", "-")  # written, then emptied: the file stays
    made.delete_password("qlik-tui", "-")
    return made.path


def cli(
    home: Path, *args: str, stdin: str = "", passphrase: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``qlik-tui ARGS`` in a fresh interpreter: this test's HOME, no D-Bus session."""
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env.pop("QLIK_TUI_PASSPHRASE_FILE", None)
    if passphrase is not None:
        env["QLIK_TUI_PASSPHRASE_FILE"] = str(passphrase)
    return subprocess.run(
        [sys.executable, "-m", "qlik_tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def login(
    home: Path, sandbox: SandboxTenant, name: str, key: str, passphrase: Path | None
) -> subprocess.CompletedProcess[str]:
    return cli(
        home,
        "login", "--tenant", sandbox.origin, "--name", name, "--with-token",
        "--store", "encrypted-file",
        stdin=key, passphrase=passphrase,
    )  # fmt: skip


# -- qlik-cli contexts files -------------------------------------------------------------


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


def login_client(
    run_cli: RunCli, sandbox: FaultySandbox, name: str = "bot", **client: object
) -> tuple[str, str]:
    client_id, secret = sandbox.create_oauth_client(**client)  # type: ignore[arg-type]
    result = run_cli(
        "login", "--tenant", sandbox.origin, "--name", name,
        "--oauth-client-id", client_id, "--with-secret", stdin=secret + "\n",
    )  # fmt: skip
    assert result.code == 0, result.output
    assert secret not in result.output
    return client_id, secret


def token_posts(sandbox: FaultySandbox) -> int:
    return sum(1 for r in sandbox.requests if r.path == "/oauth/token")
