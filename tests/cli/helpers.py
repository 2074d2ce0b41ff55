"""Shared by the CLI tests: the encrypted key file driven through ``python -m qlik_tui`` with no
D-Bus session, and qlik-cli contexts files to import from."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

from qlik_tui.sandbox import SandboxTenant
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


def oauth_context(name: str, server: str) -> str:
    return (
        f"  {name}:\n"
        f"    oauth-client-id: 0123456789abcdef\n"
        f"    oauth-client-secret: not-a-key-but-secret\n"
        f"    server: {server}\n"
        f"    server-type: cloud\n"
    )


def write_contexts(path: Path, *contexts: str, current: str = "work") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("contexts:\n" + "".join(contexts) + f"current-context: {current}\n")
    return path
