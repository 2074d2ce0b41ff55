"""``qlik-tui demo``: a sandbox tenant on 127.0.0.1 and the wizard pointed at it.

Demo profiles and keys are kept apart from real ones: their own profiles file, their own
keyring service name and their own encrypted file, so a demo never touches a real profile.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from qlik_tui.commands import exits
from qlik_tui.commands.parsers import Call, Subcommands, add_command
from qlik_tui.commands.wizard import NEEDS_TERMINAL, refuse_without_terminal

if TYPE_CHECKING:
    from qlik_tui.services.context import Services

DEMO_KEYRING_SERVICE = "qlik-tui-demo"
DEMO_SEED = 2026  # the same sandbox keys every run, so a stored demo key stays checkable
DEMO_PORT = 47470  # the same origin every run too (any free port when it is taken)


def demo_services() -> Services:
    from platformdirs import user_config_path, user_data_path

    from qlik_tui.services.context import Services
    from qlik_tui.store.key_stores import KeyStores
    from qlik_tui.store.profiles import ProfileStore
    from qlik_tui.store.secrets import SecretStore

    secrets = SecretStore(service=DEMO_KEYRING_SERVICE)
    return Services(
        secrets=secrets,
        profiles=ProfileStore(user_config_path("qlik-tui") / "demo" / "profiles.json"),
        # Its own encrypted file too: a passphrase chosen while practising guards no real key.
        key_stores=KeyStores(
            keyring=secrets, encrypted_path=user_data_path("qlik-tui") / "demo" / "keys.encrypted"
        ),
    )


def add_arguments(commands: Subcommands) -> None:
    demo = add_command(
        commands,
        "demo",
        "try everything against a built-in sandbox tenant (no Qlik account needed)",
        "Start a fake Qlik Cloud tenant on 127.0.0.1 and run the wizard against it. Demo "
        f"profiles are kept apart from real ones. {NEEDS_TERMINAL}",
    )
    demo.add_argument(
        "--port", type=int, help="sandbox port (default: 47470, or any free one if taken)"
    )


def run(args: argparse.Namespace, call: Call) -> int:
    refused = refuse_without_terminal(args.command, call)
    if refused is not None:
        return refused
    from qlik_tui.commands.output import error
    from qlik_tui.sandbox import SandboxTenant

    stderr = call.stderr

    ports = [args.port] if args.port is not None else [DEMO_PORT, 0]
    for port in ports:
        try:
            sandbox = SandboxTenant(host="127.0.0.1", port=port, seed=DEMO_SEED).start()
            break
        except OSError as exc:
            problem = f"cannot start the sandbox tenant on 127.0.0.1:{port}: {exc.strerror}"
    else:
        error(stderr, problem)
        return exits.USAGE
    from qlik_tui.tui.launch import StartWith, launch

    try:
        return launch(demo_services(), start=StartWith.SETUP, sandbox=sandbox)
    finally:
        sandbox.stop()
