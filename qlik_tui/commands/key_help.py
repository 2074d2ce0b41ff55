"""The parsers of ``rotate``, ``keys`` and ``revoke``, and their dispatch."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.parsers import add_command

if TYPE_CHECKING:
    from qlik_tui.services.context import Services

ROTATE_DESCRIPTION = """\
Renew the key of profile NAME before it expires. In this order: create a new key with the
stored one (POST /api/v1/api-keys) -> prove it (its user: same user and tenant) -> store it
where the old key is (the OS keyring or the encrypted file) and in the profile, all or nothing
-> delete the old key using the new one -> update the profile. Nothing is lost at any step: a
failure before the store deletes the new key again and leaves the stored key as it was; a
failed store keeps the old key stored and deletes the new one. A key a failed clean-up leaves
active is named, with the command that removes it. The new key is never printed."""

KEYS_DESCRIPTION = """\
List the API keys of profile NAME's user on its tenant (id, description, status, created,
expiry), newest first; the key stored in the profile is marked with *. --all-users lists every
user's keys (TenantAdmin only), with their owner."""

REVOKE_DESCRIPTION = """\
Delete the keys KEY_ID... on profile NAME's tenant, using its stored key: your own keys, or any
user's as a TenantAdmin (another user's key is then revoked). Each key is shown before it is
deleted. The profile's own stored key is refused: `qlik-tui forget NAME --revoke` deletes it
on the tenant and then forgets it locally."""

KEYS_HELP = """exit codes:
  0    listed (revoke: every key deleted)
  1    the stored key was rejected, or not allowed (403, --all-users without TenantAdmin)
  2    usage error, unknown profile, or (revoke) the profile's own key or an unknown key id
  3    inconclusive: network, TLS, server error, rate limit or key store trouble
  70   internal error (a bug in qlik-tui)
  130  interrupted"""


def add_key_commands(commands: argparse._SubParsersAction[Any]) -> None:
    def command(name: str, help_text: str, description: str, epilog: str) -> Any:
        return add_command(commands, name, help_text, description, epilog)

    rotate = command(
        "rotate", "renew a stored key (create, prove, store, delete the old)",
        ROTATE_DESCRIPTION, exits.ROTATE_HELP,
    )  # fmt: skip
    rotate.add_argument("name", metavar="NAME", help="the profile")
    rotate.add_argument(
        "--expiry", metavar="DURATION",
        help="ISO 8601 duration of the new key, e.g. P30D or PT24H (default: the tenant's maximum)",
    )  # fmt: skip
    rotate.add_argument("--description", metavar="TEXT", help="the new key's description")
    rotate.add_argument(
        "--keep-old", action="store_true", help="keep the old key (it lives until it expires)"
    )  # fmt: skip
    rotate.add_argument("--json", action="store_true", help="machine-readable output")

    keys = command("keys", "list the tenant's API keys of a profile's user",
                   KEYS_DESCRIPTION, KEYS_HELP)  # fmt: skip
    keys.add_argument("name", metavar="NAME", help="the profile")
    keys.add_argument("--all-users", action="store_true", help="every user's keys (TenantAdmin)")
    keys.add_argument("--json", action="store_true", help="machine-readable output")

    revoke = command("revoke", "delete API keys on a profile's tenant",
                     REVOKE_DESCRIPTION, KEYS_HELP)  # fmt: skip
    revoke.add_argument("name", metavar="NAME", help="the profile whose key does the deleting")
    revoke.add_argument("key_ids", nargs="+", metavar="KEY_ID", help="ids of the keys to delete")
    revoke.add_argument("--json", action="store_true", help="machine-readable output")


def run_key_command(
    args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO
) -> int:
    if args.command == "rotate":
        from qlik_tui.commands import rotate

        return rotate.run(args, services, stdout, stderr)
    if args.command == "keys":
        from qlik_tui.commands import keys

        return keys.run(args, services, stdout, stderr)
    from qlik_tui.commands import revoke

    return revoke.run(args, services, stdout, stderr)
