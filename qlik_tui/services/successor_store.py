"""Rotation's store step for a key that several profiles hold: the successor goes to every
holder, or to none.

    stored = store_for_holders(services, holders, tenant=..., key=new, report=..., old_key=old,
                               put_back_too=(profile_before,))
Each holder gets the new key in its own store (``store_key``, all or nothing per profile). When
one fails, the holders already done -- and the profiles in ``put_back_too`` (the rotated
profile itself, stored just before) -- get the old key and their old profile back, and
``HoldersStored.failure`` says why. ``put_back_problem`` names what could not be put back.
Blocking (key stores and files): the rotation calls it in a thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from qlik_tui.core.apikey import ApiKey
from qlik_tui.core.tenant import Tenant
from qlik_tui.services.check_results import VerifyReport
from qlik_tui.services.context import Services
from qlik_tui.services.results import KeyNotStored
from qlik_tui.services.storing import store_key
from qlik_tui.store.errors import StoreError
from qlik_tui.store.names import quoted_name
from qlik_tui.store.profiles import Profile, ProfilesFileError


@dataclass(frozen=True)
class HoldersStored:
    names: tuple[str, ...]  # the holders that now hold the new key
    failure: KeyNotStored | None = None  # why a holder could not take it (then: none did)
    failed_holder: str | None = None
    put_back_problem: str | None = None  # a profile left holding the new key after a failure


def store_for_holders(
    services: Services,
    holders: Sequence[Profile],
    *,
    tenant: Tenant,
    key: ApiKey,
    report: VerifyReport,
    old_key: ApiKey,
    put_back_too: Sequence[Profile] = (),
) -> HoldersStored:
    done: list[Profile] = []
    for holder in holders:
        try:
            store_key(
                services.for_profile(holder),
                name=holder.name,
                tenant=tenant,
                key=key,
                report=report,
                replace=True,
            )
        except KeyNotStored as exc:
            problem = put_back([*put_back_too, *done], services, old_key)
            return HoldersStored((), exc, holder.name, problem)
        done.append(holder)
        _note_renewal(services, holder, old_key.info.key_id)
    return HoldersStored(tuple(p.name for p in done))


def _note_renewal(services: Services, holder: Profile, old_key_id: str | None) -> None:
    """Record which key the holder's new key renewed (and keep its creation time): only
    details, so a profiles file that refuses them now is left for the next check."""
    with contextlib.suppress(ProfilesFileError, LookupError):
        services.profiles.update(holder.name, renewed_from=old_key_id, created_at=holder.created_at)


def put_back(profiles: Sequence[Profile], services: Services, old_key: ApiKey) -> str | None:
    """Give each profile its old key and its old record again; None when all went back."""
    left: list[str] = []
    for profile in profiles:
        try:
            services.secrets_for(profile).save(profile.name, old_key)
            services.profiles.put(profile)
        except (StoreError, ProfilesFileError):
            left.append(quoted_name(profile.name))
    if not left:
        return None
    return f"profile {', '.join(left)} could not be given the old key back and holds the new one"
