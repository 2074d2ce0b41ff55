"""The key a profile's store holds, checked against the key id the profile recorded.

A store can hold another key than the profile's: an older copy of the encrypted file put back,
a keyring restored from a backup, an entry another tool changed. Handing that key out (``token``,
``exec``) or checking it (a generic 401 for a deleted key) would hide what happened, so every
read of a profile's key for use goes through ``load_profile_key``.

CONTRACT:
    load_profile_key(services, profile, store=None) -> ApiKey
        # raises StoreError; StoredKeyMismatch when the ids differ (a profile that recorded no
        # key id, or a key without one, is not compared)
    load_profile_secrets(services, profiles) -> dict[str, ApiKey | ClientSecret | StoreError]
        # many profiles' keys (and OAuth client secrets) read together, per store; each as
        # load_profile_key / load_client_secret gives it; a profile alone in its store is left
        # out (its own read costs the same)
    mismatch_outcome(services, profile, found_key_id, tenant) -> Outcome
    key_store_words(services, profile) -> KeyStoreWords   # the outcome words naming its store
    login_command(profile_name) -> str                    # quoted for a POSIX shell
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from qlik_tui.core.hidden import ClientSecret
from qlik_tui.core.tenant import Tenant
from qlik_tui.services.context import Services
from qlik_tui.store.key_stores import KeyStoreKind, kind_of
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import SecretStore, StoreError

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.core.outcomes import KeyStoreWords, Outcome


class StoredKeyMismatch(StoreError):
    """The store holds a key whose id is not the one the profile recorded."""

    def __init__(self, outcome: Outcome, found_key_id: str) -> None:
        super().__init__(problem=outcome.cause, fix=outcome.next_step)
        self.found_key_id = found_key_id


def load_profile_key(
    services: Services, profile: Profile, store: SecretStore | None = None
) -> ApiKey:
    """``profile``'s key from ``store`` (by default its own store), if it is the key the
    profile recorded."""
    key = (store or services.secrets_for(profile)).load(profile.name)
    mismatch = _mismatch(services, profile, key)
    if mismatch is not None:
        raise mismatch
    return key


def load_profile_secrets(
    services: Services, profiles: Sequence[Profile]
) -> dict[str, ApiKey | ClientSecret | StoreError]:
    """The stored secret of each profile, read together per store (one keyring call for the
    Secret Service and the encrypted file, rather than one per profile): the key, checked as
    ``load_profile_key`` checks it, or an OAuth client's secret; or the ``StoreError`` reading
    it alone raises. A profile that is the only one of its kind in its store is left out."""
    groups: dict[tuple[int, bool], tuple[SecretStore, list[Profile]]] = {}
    for profile in profiles:
        store = services.secrets_for(profile)
        groups.setdefault((id(store), profile.is_oauth_client), (store, []))[1].append(profile)
    found: dict[str, ApiKey | ClientSecret | StoreError] = {}
    for (_, oauth), (store, members) in groups.items():
        if len(members) < 2:
            continue
        names = [member.name for member in members]
        if oauth:
            found.update(store.load_client_secrets(names))
            continue
        keys = store.load_many(names)
        for member in members:
            key = keys[member.name]
            mismatch = None if isinstance(key, StoreError) else _mismatch(services, member, key)
            found[member.name] = key if mismatch is None else mismatch
    return found


def _mismatch(services: Services, profile: Profile, key: ApiKey) -> StoredKeyMismatch | None:
    found, recorded = key.key_id, profile.key_id
    if found and recorded and found != recorded:
        return StoredKeyMismatch(mismatch_outcome(services, profile, found, None), found)
    return None


def mismatch_outcome(
    services: Services, profile: Profile, found_key_id: str, tenant: Tenant | None
) -> Outcome:
    from qlik_tui.core.outcomes import OutcomeKind, make_outcome  # the table: not for `exec`

    return make_outcome(
        OutcomeKind.STORED_KEY_MISMATCH,
        tenant=tenant,
        key_id=profile.key_id or "",
        found_key_id=found_key_id,
        login_command=login_command(profile.name),
        **key_store_words(services, profile),
    )


def key_store_words(services: Services, profile: Profile) -> KeyStoreWords:
    """The outcome placeholders naming the store of ``profile``'s key."""
    from qlik_tui.core.outcomes import key_store_context  # the table: not for `exec`

    if kind_of(profile) is KeyStoreKind.ENCRYPTED_FILE:
        return key_store_context(encrypted_file=True)
    try:
        backend = services.secrets_for(profile).backend_name
    except StoreError:
        backend = "the OS keyring"
    return key_store_context(encrypted_file=False, backend=backend)


def login_command(profile_name: str) -> str:
    """The command that stores a key for ``profile_name`` again, quoted for a POSIX shell."""
    import shlex  # only for this rare line: not on every check's start-up

    return f"qlik-tui login --name {shlex.quote(profile_name)}"
