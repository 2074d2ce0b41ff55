"""``forget NAME --revoke``: delete the stored key on its tenant before forgetting it."""

from __future__ import annotations

import asyncio
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import error, explain_outcome
from qlik_tui.commands.stored_key import StoredKey, load_stored_key
from qlik_tui.core.client import QlikClient
from qlik_tui.core.errors import KeyRejected, NotFound, QlikError
from qlik_tui.core.outcomes import Verdict, outcome_from_error
from qlik_tui.services.context import Services
from qlik_tui.store.names import quoted_name


def revoke_stored_key(services: Services, name: str, stdout: TextIO, stderr: TextIO) -> int:
    """OK when the key is gone from the tenant (deleted now, or already unknown or dead there);
    otherwise the exit code after saying why (the profile is then kept)."""
    stored = load_stored_key(name, services, stderr)
    if isinstance(stored, int):
        return stored
    key_id = stored.key.info.key_id
    if not key_id:
        error(stderr, f"the key of {quoted_name(name)} has no id to delete; nothing was removed")
        return exits.USAGE
    failure = asyncio.run(_delete(stored, key_id, services))
    if failure is None:
        print(f"Deleted key {key_id} on {stored.profile.origin}.", file=stdout)
        return exits.OK
    if isinstance(failure, (NotFound, KeyRejected)):
        print(f"Key {key_id} no longer works on {stored.profile.origin}.", file=stdout)
        return exits.OK
    outcome = outcome_from_error(failure, tenant=stored.tenant, key_info=stored.key.info)
    error(stderr, f"key {key_id} could not be deleted on the tenant; {quoted_name(name)} is kept")
    explain_outcome(outcome, stderr, indent="  ")
    return exits.REJECTED if outcome.verdict is Verdict.REJECTED else exits.INCONCLUSIVE


async def _delete(stored: StoredKey, key_id: str, services: Services) -> QlikError | None:
    try:
        async with QlikClient(
            stored.tenant, stored.key, settings=services.client_settings
        ) as client:
            await client.delete_api_key(key_id)
    except QlikError as exc:
        return exc
    return None
