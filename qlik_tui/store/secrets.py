"""Store, read and delete a profile's key in the OS keyring, under a deadline.

Service name ``qlik-tui``, user name = the profile name.

CONTRACT:
    store = SecretStore(deadline_s=3.0)      # backend: chosen by keyring unless given
    store.backend_name -> str                # e.g. "SecretService Keyring"
    store.is_secure -> bool                  # False for plaintext / not-recommended backends
    store.insecure_notice -> str | None      # the sentence every status output must show
    store.describe() -> str                  # "SecretService Keyring (Secret Service, D-Bus)"
    store.check() -> None                    # pick and vet the backend now (else done lazily)
    store.is_encrypted_file -> bool          # qlik-tui's own encrypted file, not an OS keyring
    store.probe() -> KeyringStatus           # pick the backend and ask if it is locked (no prompt)
    store.save(profile, key: ApiKey) -> None # writes, reads back, compares; raises StoreError
    store.load(profile) -> ApiKey            # raises KeyNotFound / StoreError
    store.load_many(profiles) -> {profile: ApiKey | StoreError}   # as load, read together
    store.delete(profile) -> bool            # True when something was removed
    store.snapshot(profile) -> SecretSnapshot # what the entry holds now (even a non-key)
    store.restore(snapshot) -> None          # put that back exactly: the value, or no entry
    OAuth clients (entries of their own services, user name = the profile name):
    store.save(profile, secret, service=CLIENT_SECRET_SERVICE)   # any value with reveal()
    store.load_client_secret(profile) -> ClientSecret   # raises KeyNotFound / StoreError
    store.load_client_secrets(profiles) -> {profile: ClientSecret | StoreError}
    store.read_text(profile, service) -> str | None     # e.g. the access token cache
    store.delete(profile, service=...), store.snapshot(profile, service=...)
Every failure is a ``StoreError`` subclass (``qlik_tui.store.errors``) with ``.problem`` and
``.fix`` sentences. The properties and ``describe()`` pick the backend on first use, so they can
raise it too. How the backend is chosen: ``qlik_tui.store.backends``.

How it behaves:
- Every backend call (choosing the backend included: that talks to D-Bus) runs in a daemon
  thread and is abandoned after ``deadline_s`` with ``DeadlineExceeded``; a hung keyring never
  hangs the caller, and the abandoned thread cannot keep the process alive.
- Backend calls are serialised: concurrent Secret Service sessions fail spuriously
  (PromptDismissed / ItemNotFound were seen under 20 concurrent reads).
- Reading many entries (``load_many``) is one call per 250 entries where the backend allows
  (``backends.read_entries``): over the Secret Service one D-Bus connection, one session and
  one ``GetSecrets``, where one read at a time opens a connection and a session each (about
  40 ms apiece); from the encrypted file one read of the file. Each entry's outcome is the
  one ``load`` gives; a store that fails the whole read (locked, a dismissed prompt, the
  deadline) fails every entry with that error. Other backends read one entry per call.
- A store's first read (``load``, ``read_text``) chooses the backend in the same call, over
  the same D-Bus connection when keyring would pick the Secret Service (``exec``, ``token``).
- Secrets discipline: the key is revealed only inside the worker thread's closures; errors are
  built from exception types and redacted messages, and raised outside ``except`` blocks with no
  cause or context, so no traceback frame or chained exception carries the key.
"""

from __future__ import annotations

import functools
import hmac
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_for
from contextlib import AbstractContextManager, nullcontext, suppress
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeVar

from qlik_tui.core.hidden import ClientSecret
from qlik_tui.store.errors import (
    WINDOWS_CREDENTIAL_LIMIT,
    DeadlineExceeded,
    InsecureBackend,
    KeyNotFound,
    KeyringLocked,
    NoBackend,
    NoDBusSession,
    PromptDismissed,
    SecretTruncated,
    StoredKeyUnreadable,
    StoreError,
)
from qlik_tui.store.profiles import InvalidProfile, validate_profile_name

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

    # Imported where a key is read (~10 M instructions): exec and token with a cached access
    # token read none.
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.store.backends import SelectedBackend

__all__ = [
    "DEFAULT_DEADLINE_S",
    "SERVICE_NAME",
    "WINDOWS_CREDENTIAL_LIMIT",
    "DeadlineExceeded",
    "InsecureBackend",
    "KeyNotFound",
    "KeyringLocked",
    "KeyringStatus",
    "NoBackend",
    "NoDBusSession",
    "PromptDismissed",
    "SecretSnapshot",
    "SecretStore",
    "SecretTruncated",
    "StoreError",
    "StoredKeyUnreadable",
]

SERVICE_NAME = "qlik-tui"
# An OAuth client's secret, and the access token minted from it (with its expiry), are kept
# under services of their own, so nothing that reads API keys ever meets them.
CLIENT_SECRET_SERVICE = "qlik-tui oauth-client-secret"
ACCESS_TOKEN_SERVICE = "qlik-tui access-token"
DEFAULT_DEADLINE_S = 3.0
ENCRYPTED_FILE_WORDS = "qlik-tui's encrypted key file"  # the store, named in its failures

_T = TypeVar("_T")
_BACKEND_LOCKS: dict[type, threading.Lock] = {}  # one call at a time per kind of backend
_LOCKS_LOCK = threading.Lock()


def _lock_for(backend: KeyringBackend | None) -> threading.Lock:
    with _LOCKS_LOCK:
        return _BACKEND_LOCKS.setdefault(type(backend), threading.Lock())


class _Unreadable:
    """A stored value that is not a key (returned by the worker instead of raising, so no
    parse error that might quote the value travels anywhere)."""


_UNREADABLE = _Unreadable()
_MISSING = -1
_ENTRIES_PER_CALL = 250  # a batch read: 200 take about 0.1 s over the Secret Service


class KeyringStatus(NamedTuple):
    """What ``SecretStore.probe`` found: the backend, and whether it is locked (None: unknown)."""

    name: str
    kind: str
    locked: bool | None
    encrypted_file: bool


class Revealable(Protocol):
    """A secret held hidden (an API key, a client secret, a token cache entry)."""

    def reveal(self) -> str: ...


class SecretSnapshot:
    """What a profile's keyring entry held at one moment: a value (any text, a key or not) or
    nothing. Opaque: ``SecretStore.restore`` puts it back; its repr never shows the value."""

    __slots__ = ("_value", "profile", "service")

    def __init__(self, profile: str, value: str | None, service: str | None = None) -> None:
        self.profile = profile
        self._value = value
        self.service = service  # None: the store's own service (API keys)

    @property
    def existed(self) -> bool:
        return self._value is not None

    def __repr__(self) -> str:
        return f"SecretSnapshot(profile={self.profile!r}, existed={self.existed})"

    def __reduce__(self) -> tuple[object, ...]:  # no copy of the value may leave the process
        raise TypeError("a SecretSnapshot cannot be pickled")


class SecretStore:
    def __init__(
        self,
        deadline_s: float = DEFAULT_DEADLINE_S,
        backend: KeyringBackend | None = None,
        *,
        service: str = SERVICE_NAME,
    ) -> None:
        self.deadline_s = deadline_s
        self.service_name = service
        self._given = backend
        self._selected: SelectedBackend | None = None
        self._select_lock = threading.Lock()

    def __repr__(self) -> str:
        chosen = self._selected.name if self._selected else "not chosen yet"
        return f"SecretStore(backend={chosen!r}, deadline_s={self.deadline_s:g})"

    # -- the backend ---------------------------------------------------------------------------

    def check(self) -> None:
        """Pick and vet the backend now; raises the ``StoreError`` that explains a bad one."""
        self._backend()

    @property
    def backend_name(self) -> str:
        return self._backend().name

    @property
    def is_secure(self) -> bool:
        return self._backend().insecure_notice is None

    @property
    def insecure_notice(self) -> str | None:
        return self._backend().insecure_notice

    @property
    def is_encrypted_file(self) -> bool:
        return self._backend().encrypted_file

    def describe(self) -> str:
        selected = self._backend()
        return f"{selected.name} ({selected.kind})"

    def probe(self) -> KeyringStatus:
        """Pick the backend and ask whether it is locked, both in one call under the deadline
        and without unlocking it (no prompt appears). Raises the ``StoreError`` explaining an
        unusable backend."""
        given = self._given
        with self._select_lock:
            chosen = self._selected

        def ask() -> tuple[SelectedBackend, bool | None]:
            from qlik_tui.store.backends import collection_locked

            selected = chosen or _select(given)
            if selected.encrypted_file:
                return selected, None
            if type(selected.backend) is type(backend):  # _run holds its lock already
                return selected, collection_locked(selected.backend)
            with _lock_for(selected.backend):  # one call at a time, as for every other call
                return selected, collection_locked(selected.backend)

        backend = chosen.backend if chosen else given
        selected, locked = self._run("ask whether the keyring is locked", backend, ask)
        with self._select_lock:
            if self._selected is None:
                self._selected = selected
        return KeyringStatus(selected.name, selected.kind, locked, selected.encrypted_file)

    def _backend(self) -> SelectedBackend:
        with self._select_lock:
            if self._selected is None:
                given = self._given
                self._selected = self._run("open the keyring", given, lambda: _select(given))
            return self._selected

    # -- keys ----------------------------------------------------------------------------------

    def save(self, profile: str, key: Revealable, *, service: str | None = None) -> None:
        """Store ``key`` for ``profile`` (replacing any), then read it back and compare.
        ``service``: another entry of the profile (an OAuth client's secret, its token)."""
        _check_name(profile)
        selected = self._backend()
        backend = selected.backend
        service = service or self.service_name

        def write() -> None:
            backend.set_password(service, profile, key.reveal())

        def read_back() -> int | None:  # None: identical; else what came back (-1: nothing)
            stored = backend.get_password(service, profile)
            if not isinstance(stored, str):
                return _MISSING
            if hmac.compare_digest(stored.encode("utf-8"), key.reveal().encode("utf-8")):
                return None
            return len(stored)

        def remove() -> None:
            backend.delete_password(service, profile)

        what = f"save the key of profile {profile!r}"
        self._run(what, backend, write, undo_if_late=remove)
        what = f"read back the key of profile {profile!r}"
        found = self._run(what, backend, read_back, undo_if_late=remove)
        if found is None:
            return
        removed = self._delete_quietly(profile, selected, service)
        raise SecretTruncated(problem=_truncation_problem(selected, found, key, removed))

    def load(self, profile: str) -> ApiKey:
        from qlik_tui.core.apikey import ApiKey

        _check_name(profile)
        what = f"read the key of profile {profile!r}"
        found = self._read_one(what, self.service_name, profile, _parsed_key)
        if isinstance(found, ApiKey):
            return found
        raise _key_failure(profile, self._backend(), found)

    def load_many(self, profiles: Sequence[str]) -> dict[str, ApiKey | StoreError]:
        """Each profile's key, or the ``StoreError`` that ``load`` raises for it, read in as
        few keyring calls as the backend allows: one for the Secret Service and for the
        encrypted file (under the deadline of one call), else one per profile."""
        from qlik_tui.core.apikey import ApiKey

        found = self._read_many(profiles, self.service_name, _parsed_key)
        results: dict[str, ApiKey | StoreError] = {}
        for profile in dict.fromkeys(profiles):
            if profile not in found:
                results[profile] = self._attempt(self.load, profile)
                continue
            got = found[profile]
            if isinstance(got, (ApiKey, StoreError)):
                results[profile] = got
            else:
                results[profile] = _key_failure(profile, self._backend(), got)
        return results

    def load_client_secrets(self, profiles: Sequence[str]) -> dict[str, ClientSecret | StoreError]:
        """``load_client_secret`` of each profile, read as ``load_many`` reads keys."""
        found = self._read_many(profiles, CLIENT_SECRET_SERVICE, ClientSecret)
        results: dict[str, ClientSecret | StoreError] = {}
        for profile in dict.fromkeys(profiles):
            got = found.get(profile)
            if profile not in found:
                results[profile] = self._attempt(self.load_client_secret, profile)
            elif isinstance(got, (ClientSecret, StoreError)):
                results[profile] = got
            else:  # ClientSecret takes any text: only a missing entry comes here
                results[profile] = self._no_client_secret(profile)
        return results

    def load_client_secret(self, profile: str) -> ClientSecret:
        """The OAuth client secret stored for ``profile``; raises KeyNotFound / StoreError."""
        found = self.read_text(profile, CLIENT_SECRET_SERVICE)
        if found is None:
            raise self._no_client_secret(profile)
        return ClientSecret(found)

    def _no_client_secret(self, profile: str) -> KeyNotFound:
        where = ENCRYPTED_FILE_WORDS if self._backend().encrypted_file else self.backend_name
        problem = f"No client secret is stored for profile {profile!r} in {where}."
        return KeyNotFound(problem=problem)

    def read_text(self, profile: str, service: str) -> str | None:
        """The text of ``profile``'s entry under ``service``; None when there is none."""
        _check_name(profile)
        found = self._read_one(f"read an entry of profile {profile!r}", service, profile, str)
        return found if isinstance(found, str) else None

    def delete(self, profile: str, *, service: str | None = None) -> bool:
        _check_name(profile)
        selected = self._backend()
        backend = selected.backend
        service = service or self.service_name

        def remove() -> bool:
            try:
                backend.delete_password(service, profile)
            except _password_delete_error():
                if backend.get_password(service, profile) is None:
                    return False  # there was nothing to delete
                raise
            return True

        return self._run(f"delete the key of profile {profile!r}", backend, remove)

    def snapshot(self, profile: str, *, service: str | None = None) -> SecretSnapshot:
        """Read the entry as it is now (for ``restore``). Raises ``StoreError``."""
        _check_name(profile)
        backend = self._backend().backend
        own = service or self.service_name

        def read() -> SecretSnapshot:
            stored = backend.get_password(own, profile)
            return SecretSnapshot(profile, stored if isinstance(stored, str) else None, service)

        return self._run(f"read the current entry of profile {profile!r}", backend, read)

    def restore(self, snapshot: SecretSnapshot) -> None:
        """Make the entry hold exactly what ``snapshot`` saw: its value, or no entry at all.
        Checked by reading back; raises ``StoreError`` when the store refuses or differs. An
        entry that holds it already is not written again: after a save the store refused (a
        read-only folder, a full disk), putting back needs no write."""
        profile = snapshot.profile
        _check_name(profile)
        selected = self._backend()
        backend = selected.backend
        service = snapshot.service or self.service_name
        previous = snapshot._value

        def holds_previous() -> bool:
            stored = backend.get_password(service, profile)
            if previous is None or not isinstance(stored, str):
                return stored is None and previous is None
            return hmac.compare_digest(stored.encode("utf-8"), previous.encode("utf-8"))

        def put_back() -> bool:
            if holds_previous():
                return True
            if previous is None:
                with suppress(_password_delete_error()):
                    backend.delete_password(service, profile)
            else:
                backend.set_password(service, profile, previous)
            return holds_previous()

        what = f"put back the previous entry of profile {profile!r}"
        if self._run(what, backend, put_back):
            return
        if selected.encrypted_file:
            raise StoreError(
                problem=f"{ENCRYPTED_FILE_WORDS[:1].upper()}{ENCRYPTED_FILE_WORDS[1:]} did not "
                f"keep the previous entry of profile {profile!r}.",
                fix="Check the profile with `qlik-tui check`, and log in again if its key is "
                "missing.",
            )
        raise StoreError(
            problem=f"The keyring did not keep the previous entry of profile {profile!r}.",
            fix="Check the keyring's 'qlik-tui' entries by hand (Passwords and Keys).",
        )

    def _delete_quietly(self, profile: str, selected: SelectedBackend, service: str) -> bool:
        """Best effort: True when nothing of ``profile`` is left behind."""

        def remove() -> bool:
            with suppress(_password_delete_error()):
                selected.backend.delete_password(service, profile)
            return selected.backend.get_password(service, profile) is None

        try:
            what = f"remove the partial key of profile {profile!r}"
            return self._run(what, selected.backend, remove)
        except StoreError:
            return False

    # -- reading entries -----------------------------------------------------------------------

    def _read_one(
        self, what: str, service: str, profile: str, convert: Callable[[str], _T]
    ) -> _T | _Unreadable | None:
        """``profile``'s entry under ``service``, converted in the worker (the text never
        leaves it; ``_UNREADABLE`` when ``convert`` raises ValueError), None when there is
        none. A store's first call chooses the backend in the same keyring call: one D-Bus
        connection for both (``backends.choose_and_read``), as ``exec`` and ``token`` need."""

        def converted(text: str | None) -> _T | _Unreadable | None:
            if text is None:
                return None
            try:
                return convert(text)
            except ValueError:
                return _UNREADABLE

        with self._select_lock:
            chosen = self._selected
        if chosen is not None:
            backend = chosen.backend

            def read() -> _T | _Unreadable | None:
                from qlik_tui.store.backends import read_entry

                return converted(read_entry(backend, service, profile))

            return self._run(what, backend, read)
        given = self._given

        def choose_and_read() -> tuple[SelectedBackend, _T | _Unreadable | None]:
            from qlik_tui.store.backends import choose_and_read

            hold = _lock_unless_held(given)
            selected, text = choose_and_read(given, service, profile, hold, what)
            return selected, converted(text)

        selected, found = self._run(what, given, choose_and_read)
        with self._select_lock:
            if self._selected is None:
                self._selected = selected
        return found

    def _read_many(
        self, profiles: Sequence[str], service: str, convert: Callable[[str], _T]
    ) -> dict[str, _T | _Unreadable | StoreError | None]:
        """Each profile's entry under ``service``, converted in the worker (the text never
        leaves it): ``convert``'s result (``_UNREADABLE`` when it raises ValueError), None (no
        entry), or the ``StoreError`` of that profile (a bad name; or every profile's, when the
        store failed the whole read). A profile left out is for the caller to read by itself
        (a backend without a batch read, an entry the batch could not read)."""
        found: dict[str, _T | _Unreadable | StoreError | None] = {}
        names: list[str] = []
        for profile in dict.fromkeys(profiles):
            try:
                _check_name(profile)
            except StoreError as exc:
                found[profile] = exc
            else:
                names.append(profile)
        if len(names) < 2:  # nothing to gain: the single read, exactly as before
            return found
        failure: StoreError | None = None
        try:
            backend = self._backend().backend
        except StoreError as exc:
            failure = exc
        if failure is not None:
            return {**found, **dict.fromkeys(names, failure)}

        def read(chunk: list[str]) -> dict[str, _T | _Unreadable | StoreError | None]:
            from qlik_tui.store.backends import read_entries

            entries = read_entries(backend, service, chunk)
            converted: dict[str, _T | _Unreadable | StoreError | None] = {}
            for name, entry in (entries or {}).items():
                if isinstance(entry, str):
                    try:
                        converted[name] = convert(entry)
                    except ValueError:
                        converted[name] = _UNREADABLE
                else:
                    converted[name] = entry
            return converted

        # A few hundred entries per call: each call's work stays far inside its deadline.
        for start in range(0, len(names), _ENTRIES_PER_CALL):
            chunk = names[start : start + _ENTRIES_PER_CALL]
            what = f"read the entries of {len(chunk)} profiles"
            try:
                found.update(self._run(what, backend, functools.partial(read, chunk)))
            except StoreError as exc:
                failure = exc.with_traceback(None)  # one error for every profile: no frames
            if failure is not None:  # the store failed them all: asking again would too
                return {**found, **dict.fromkeys(names[start:], failure)}
        return found

    @staticmethod
    def _attempt(read: Callable[[str], _T], profile: str) -> _T | StoreError:
        try:
            return read(profile)
        except StoreError as exc:
            return exc.with_traceback(None)

    # -- running calls -------------------------------------------------------------------------

    def _run(
        self,
        what: str,
        backend: KeyringBackend | None,
        call: Callable[[], _T],
        *,
        undo_if_late: Callable[[], object] | None = None,
    ) -> _T:
        """Run ``call`` in a daemon thread; its result, or the ``StoreError`` explaining it.

        The worker explains a failure itself and hands over only that ``StoreError``: the
        backend's exception (whose frames may hold the key) never leaves the worker. When the
        deadline passes first, the caller is told the call failed; if the call completes later
        anyway, ``undo_if_late`` runs in the worker, so what the user was told stays true (a
        save that lands after "not stored" is removed again)."""
        future: Future[_T] = Future()
        lock = _lock_for(backend)
        handoff = threading.Lock()
        outcome = {"finished": False, "abandoned": False}

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                with lock:
                    try:
                        result = call()
                    finally:
                        with handoff:
                            outcome["finished"] = True
                            late = outcome["abandoned"]
                    if late and undo_if_late is not None:
                        with suppress(Exception):
                            undo_if_late()
            except BaseException as exc:
                from qlik_tui.store.backends import explain_failure

                future.set_exception(explain_failure(exc, backend, what))
            else:
                future.set_result(result)

        worker = threading.Thread(target=work, name=f"qlik-tui keyring: {what}", daemon=True)
        worker.start()
        done, _ = wait_for([future], timeout=self.deadline_s)
        if not done:
            with handoff:
                outcome["abandoned"] = not outcome["finished"]
            if outcome["abandoned"]:
                raise self._deadline_exceeded(what)
            wait_for([future])  # it finished just as the deadline passed: take its answer
        error = future.exception()
        if error is None:
            return future.result()
        raise error

    def _deadline_exceeded(self, what: str) -> DeadlineExceeded:
        selected = self._selected  # read without the lock: ``_backend`` may hold it
        if selected is not None and selected.encrypted_file:
            return DeadlineExceeded(
                problem=f"{ENCRYPTED_FILE_WORDS[:1].upper()}{ENCRYPTED_FILE_WORDS[1:]} did not "
                f"answer in {self.deadline_s:g} s (trying to {what}).",
                fix="Another qlik-tui may be writing it: try again in a moment.",
            )
        return DeadlineExceeded(
            problem=f"The keyring did not answer in {self.deadline_s:g} s (trying to {what}).",
            fix=(
                "It may be waiting for an unlock prompt: look for a password dialog on "
                "your desktop, or unlock the keyring first, then try again."
            ),
        )


def _parsed_key(stored: str) -> ApiKey:
    from qlik_tui.core.apikey import parse_key

    return parse_key(stored)  # raises ValueError for a value that is not a key


def _key_failure(profile: str, selected: SelectedBackend, found: _Unreadable | None) -> StoreError:
    """What ``load`` raises for an entry that held no key (None) or a value that is none."""
    if found is None:
        where = ENCRYPTED_FILE_WORDS if selected.encrypted_file else selected.name
        return KeyNotFound(problem=f"No key is stored for profile {profile!r} in {where}.")
    entry = (
        f"The entry of profile {profile!r} in {ENCRYPTED_FILE_WORDS}"
        if selected.encrypted_file
        else f"The keyring entry of profile {profile!r}"
    )
    return StoredKeyUnreadable(
        problem=f"{entry} does not hold a valid API key.",
        fix="Delete the profile's key and add it again.",
    )


def _lock_unless_held(
    held_for: KeyringBackend | None,
) -> Callable[[KeyringBackend], AbstractContextManager[object]]:
    """For a call ``_run`` runs holding the lock of ``held_for``: the lock of the backend it
    turns out to use, unless that is the one held (one call at a time per backend)."""

    def hold(backend: KeyringBackend) -> AbstractContextManager[object]:
        if type(backend) is type(held_for):
            return nullcontext()
        return _lock_for(backend)

    return hold


def _check_name(profile: str) -> None:
    problem: str | None = None
    try:
        validate_profile_name(profile)
    except InvalidProfile as exc:
        problem = str(exc)
    if problem is not None:
        raise StoreError(problem=problem, fix="Use a short profile name such as 'work'.")


def _truncation_problem(
    selected: SelectedBackend, found: int, key: Revealable, removed: bool
) -> str:
    wanted = len(key.reveal())
    if found == _MISSING:
        what = "nothing"
    elif found < wanted:
        what = f"only {found} of the key's {wanted} characters"
    else:
        what = "a different value"
    if removed:
        outcome = "so it was removed again: a partial key is never kept"
    elif selected.encrypted_file:
        outcome = "and the partial copy could not be removed from it"
    else:
        outcome = "and the partial copy could not be removed: delete the 'qlik-tui' entry by hand"
    where = ENCRYPTED_FILE_WORDS if selected.encrypted_file else f"the keyring ({selected.name})"
    return f"After saving, {where} gave back {what}, {outcome}."


def _select(given: KeyringBackend | None) -> SelectedBackend:
    from qlik_tui.store.backends import select_backend  # imports keyring: only when needed

    return select_backend(given)


def _password_delete_error() -> type[Exception]:
    from keyring.errors import PasswordDeleteError

    return PasswordDeleteError
