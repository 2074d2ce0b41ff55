"""One key, several profiles: who else holds a key (same key id on the same tenant).

The same key can be logged in under two names, or once in the OS keyring and once in the
encrypted file. Every operation that replaces or deletes a key asks here first:
    holders(profiles, origin=..., key_id=..., besides=name) -> tuple[Profile, ...]
    holders_by_key(profiles, origin=..., besides=name) -> dict[key id, tuple[name, ...]]
    names_of(profiles) -> str                      # '"a", "b"' for sentences
    successor_holder(profiles, profile) -> Profile | None
        the profile whose key a rotation made from ``profile``'s key (``renewed_from``)
Pure functions over profiles already read; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from qlik_tui.store.names import quoted_name
from qlik_tui.store.profiles import Profile


def holders(
    profiles: Iterable[Profile], *, origin: str, key_id: str | None, besides: str | None = None
) -> tuple[Profile, ...]:
    """The profiles (other than ``besides``) that recorded key ``key_id`` on ``origin``."""
    if not key_id:
        return ()
    return tuple(
        p for p in profiles if p.name != besides and p.origin == origin and p.key_id == key_id
    )


def holders_by_key(
    profiles: Iterable[Profile], *, origin: str, besides: str | None = None
) -> dict[str, tuple[str, ...]]:
    """Each key id on ``origin`` and the names of the profiles (but ``besides``) that hold it."""
    held: dict[str, tuple[str, ...]] = {}
    for p in profiles:
        if p.name != besides and p.origin == origin and p.key_id:
            held[p.key_id] = (*held.get(p.key_id, ()), p.name)
    return held


def names_of(profiles: Iterable[Profile]) -> str:
    return ", ".join(quoted_name(p.name) for p in profiles)


def successor_holder(profiles: Iterable[Profile], profile: Profile) -> Profile | None:
    """The profile holding the key that renewed ``profile``'s key, if a rotation recorded one."""
    if not profile.key_id:
        return None
    for other in profiles:
        if (
            other.name != profile.name
            and other.origin == profile.origin
            and other.renewed_from == profile.key_id
        ):
            return other
    return None
