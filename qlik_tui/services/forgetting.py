"""Forget a profile: remove its key from its store (the OS keyring or qlik-tui's encrypted
file) and its profile from the profiles file, and say exactly what was removed and what is left
(``ForgetResult``).

Order: the profiles file is locked, loaded and its new content staged first, so a file that
cannot be changed stops the attempt before the key is deleted; then the key is deleted; then
the staged file is put in place. A store that refuses keeps both the key and the profile.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from qlik_tui.services.context import Services
from qlik_tui.services.results import ForgetResult, Removal
from qlik_tui.store.errors import StoreError
from qlik_tui.store.key_stores import KeyStoreKind, kind_of
from qlik_tui.store.profiles import ProfilesFileError
from qlik_tui.store.secrets import ACCESS_TOKEN_SERVICE, CLIENT_SECRET_SERVICE


def forget_profile(services: Services, name: str) -> ForgetResult:
    """Never raises for a key store or profiles-file failure: the result says what happened.
    The key is removed from the store the profile records (the OS keyring or the encrypted
    file, which needs no passphrase to delete an entry)."""
    path = services.profiles.path
    try:
        profile = services.profiles.get(name)
    except ProfilesFileError as exc:
        return ForgetResult(name, Removal.NOT_TRIED, Removal.FAILED, "", path, exc.problem, exc.fix)
    services = services.for_profile(profile)
    store = (kind_of(profile) if profile is not None else None) or KeyStoreKind.KEYRING
    try:
        backend = services.secrets.backend_name
    except StoreError as exc:
        return ForgetResult(
            name, Removal.FAILED, Removal.NOT_TRIED, "", path, exc.problem, exc.fix, store
        )

    try:
        with services.profiles.editing() as edit:
            listed = edit.remove(name)
            if listed:
                edit.stage()
            oauth = profile is not None and profile.is_oauth_client
            return _remove_key_then_profile(
                services, name, backend, store, listed, edit.commit, oauth=oauth
            )
    except ProfilesFileError as exc:  # on entry or while staging: nothing was removed
        return ForgetResult(
            name, Removal.NOT_TRIED, Removal.FAILED, backend, path, exc.problem, exc.fix, store
        )


def _remove_key_then_profile(
    services: Services,
    name: str,
    backend: str,
    store: KeyStoreKind,
    listed: bool,
    commit: Callable[[], None],
    *,
    oauth: bool = False,
) -> ForgetResult:
    """``oauth``: the profile holds an OAuth client: its secret goes, and its cached token."""
    path = services.profiles.path
    try:
        if oauth:
            with contextlib.suppress(StoreError):  # the cache alone is no loss
                services.secrets.delete(name, service=ACCESS_TOKEN_SERVICE)
            key_removed = services.secrets.delete(name, service=CLIENT_SECRET_SERVICE)
        else:
            key_removed = services.secrets.delete(name)
    except StoreError as exc:
        return ForgetResult(
            name, Removal.FAILED, Removal.NOT_TRIED, backend, path, exc.problem, exc.fix, store
        )
    key = Removal.REMOVED if key_removed else Removal.ABSENT
    if not listed:
        return ForgetResult(name, key, Removal.ABSENT, backend, path, store=store)
    try:
        commit()
    except ProfilesFileError as exc:
        return ForgetResult(name, key, Removal.FAILED, backend, path, exc.problem, exc.fix, store)
    return ForgetResult(name, key, Removal.REMOVED, backend, path, store=store)
