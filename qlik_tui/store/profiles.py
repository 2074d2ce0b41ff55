"""Profile metadata in one JSON file under the platform config dir. Never the key.

CONTRACT:
    profiles = ProfileStore(path=None)       # default: <user config dir>/qlik-tui/profiles.json
    profiles.path -> Path
    profiles.all() -> list[Profile]          # sorted by name
    profiles.get(name) -> Profile | None
    profiles.put(profile) -> None            # insert or replace, atomic, under a file lock
    profiles.update(name, **changes) -> Profile   # read-modify-write under the lock
    profiles.update_many({name: changes}) -> dict[str, Profile]   # one write for them all
    profiles.remove(name) -> bool            # also clears it as the default profile
    profiles.default_name() -> str | None    # the default profile (`qlik-tui use NAME`)
    profiles.set_default(name | None) -> None    # raises ProfileNotFound for an unknown name
    with profiles.editing() as edit:         # one locked read-modify-write (see ProfilesEdit)
        edit.get(name); edit.put(profile); edit.remove(name)
        edit.stage()                         # write the new content aside: fails early
        edit.commit()                        # rename it into place
    validate_profile_name(name), quoted_name(name)   # re-exported from store.names
Raises ProfilesFileError(path, problem) for a corrupt file (after backing it up).

File format (UTF-8 JSON, a BOM is tolerated)::

    {"version": 1, "default": "<name>", "profiles": {"<name>": {"origin": "https://...", ...}}}

``default`` (optional) names the default profile (``qlik-tui use NAME``).

Decisions:
- Unknown fields (top level and per profile) are kept on rewrite, so a file touched by a newer
  qlik-tui survives an older one; they are not exposed on ``Profile``.
- Directories we create are 0700; an existing directory is left as it is (it may be one the user
  chose and shares). The file is written 0600 every time, and holds no secret anyway.
- Writes hold the ``<file>.lock`` lock around read-modify-write. Reads take it only on Windows
  (which cannot replace a file another process has open); elsewhere the rename that replaces
  the file is atomic, so a read sees the old file or the new one, and never waits for a
  writer. The lock file is never deleted.
- Every field but the name is untrusted data when read (an older version wrote what the tenant
  said as it was): it is neutralised on load (``qlik_tui.core.untrusted``). The name is checked
  instead, since it is the profile's identity.
- A broken file is copied once per distinct content to ``<file>.broken-<UTC time>``, and every
  later write refuses until the user fixes or removes it.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

from qlik_tui.core.regular_file import NotARegularFile, read_regular_file
from qlik_tui.core.untrusted import neutralise, neutralise_optional
from qlik_tui.store.files import make_private_dirs, replace_file, stage_file, write_new_file
from qlik_tui.store.lockfile import LockFile, LockTimeout
from qlik_tui.store.names import JWT as _JWT
from qlik_tui.store.names import MAX_NAME_CHARS as MAX_NAME_CHARS
from qlik_tui.store.names import InvalidProfile as InvalidProfile
from qlik_tui.store.names import looks_like_key as looks_like_key
from qlik_tui.store.names import name_problem as _name_problem
from qlik_tui.store.names import quoted as _quoted
from qlik_tui.store.names import quoted_name as quoted_name
from qlik_tui.store.names import validate_profile_name as validate_profile_name
from qlik_tui.store.profiles_location import APP_NAME as APP_NAME
from qlik_tui.store.profiles_location import FILE_NAME as FILE_NAME
from qlik_tui.store.profiles_location import default_profiles_path

FORMAT_VERSION = 1
MAX_FILE_BYTES = 4 * 1024 * 1024  # thousands of profiles; anything bigger is not ours
LOCK_TIMEOUT_S = 10.0

_BROKEN_FIX = (
    "qlik-tui will not change this file until you fix or remove it. It holds only profile "
    "details; your keys stay where they are kept (the OS keyring or qlik-tui's encrypted file)."
)


class ProfilesFileError(Exception):
    def __init__(
        self, path: Path, problem: str, backup: Path | None = None, fix: str | None = None
    ) -> None:
        self.path = path
        self.problem = problem
        self.backup = backup
        self.fix = _BROKEN_FIX if fix is None else fix
        message = f"{path}: {problem}"
        if backup is not None:
            message += f" A copy of the broken file was saved as {backup}."
        if self.fix:
            message += f" {self.fix}"
        super().__init__(message)


class ProfilesLocked(ProfilesFileError):
    """Another process kept the profiles file locked for longer than the lock timeout."""


class SecretInProfile(InvalidProfile):
    """A field holds what looks like an API key: keys belong in the keyring only."""


class ProfileNotFound(LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"There is no profile named {quoted_name(name)}.")


@dataclass(frozen=True)
class Profile:
    name: str
    origin: str
    key_id: str | None = None
    key_tenant_id: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    user_email: str | None = None
    roles: tuple[str, ...] = ()
    created_at: str | None = None  # ISO 8601 UTC
    last_checked_at: str | None = None
    last_outcome: str | None = None  # OutcomeKind value
    expiry: str | None = None  # ISO 8601, when the API told us
    key_created: str | None = None  # ISO 8601, when the tenant created the key (API said)
    key_status: str | None = None  # active | expired | revoked, when the API told us
    backend: str | None = None  # keyring backend name the key was stored with
    # Where the key is: "keyring" or "encrypted-file" (``store.key_stores.KeyStoreKind``).
    # Files written before the choice existed have none: their keys are in the OS keyring.
    store: str | None = None
    tenant_id: str | None = None  # the tenant id this origin answered with once (kept)
    # What the profile holds (``CredentialKind``): None for files written before OAuth clients
    # (an API key). An OAuth client's secret is in the key store like a key; here are its id,
    # the hint of the stored secret when known, when that secret was made, the scope asked.
    kind: str | None = None
    client_id: str | None = None
    secret_hint: str | None = None
    secret_created: str | None = None  # ISO 8601: a client secret has an age, not an expiry
    token_scope: str | None = None
    # The key id this profile's key replaced when a rotation renewed it: a profile still
    # holding that old key is pointed here (``services.shared_keys.successor_holder``).
    renewed_from: str | None = None

    @property
    def credential(self) -> CredentialKind:
        return (
            CredentialKind.OAUTH_CLIENT
            if self.kind == CredentialKind.OAUTH_CLIENT.value
            else CredentialKind.API_KEY
        )

    @property
    def is_oauth_client(self) -> bool:
        return self.credential is CredentialKind.OAUTH_CLIENT


class CredentialKind(str, Enum):
    API_KEY = "api-key"
    OAUTH_CLIENT = "oauth-client"

    @property
    def words(self) -> str:
        """What a sentence calls the secret a profile of this kind holds (renewals, strays)."""
        return "key" if self is CredentialKind.API_KEY else "client secret"


# The fields stored per profile (the name is the profile's key in the file, not a field).
FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Profile) if f.name != "name")
_OPTIONAL_TEXT_FIELDS = tuple(name for name in FIELD_NAMES if name not in ("origin", "roles"))
_FIELD_NAME_SET = frozenset(FIELD_NAMES)
_OPTIONAL_TEXT_FIELD_SET = frozenset(_OPTIONAL_TEXT_FIELDS)


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second: ``2024-05-01T12:00:00+00:00`` (the form
    ``datetime.fromisoformat`` reads back on every supported Python)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def validate_profile(profile: Profile) -> None:
    """Raise ``InvalidProfile`` unless ``profile`` can be written (and read back) as it is."""
    validate_profile_name(profile.name)
    name = _quoted(profile.name)
    if not isinstance(profile.origin, str) or not profile.origin:
        raise InvalidProfile(f"Profile {name} needs an origin (the tenant's https:// address).")
    for field_name in _OPTIONAL_TEXT_FIELDS:
        value = getattr(profile, field_name)
        if value is not None and not isinstance(value, str):
            raise InvalidProfile(f"Profile {name}: {field_name} must be text or None.")
    roles = profile.roles
    if isinstance(roles, str) or not all(isinstance(role, str) for role in roles):
        raise InvalidProfile(f"Profile {name}: roles must be a sequence of texts.")


class _Entry:
    """A profile of the file, with its fields this qlik-tui does not know (kept on rewrite).
    Read from the file, the ``Profile`` (every field neutralised) is made when first asked
    for: a command that uses one profile of hundreds makes one (the file is checked whole)."""

    __slots__ = ("_make", "_profile", "text", "unknown")

    def __init__(
        self,
        profile: Profile | Callable[[], Profile],
        unknown: dict[str, Any] | None = None,
    ) -> None:
        self._profile = profile if isinstance(profile, Profile) else None
        self._make = None if isinstance(profile, Profile) else profile
        self.unknown = unknown if unknown is not None else {}
        self.text: str | None = None  # as written in the file (``_serialise``), once known

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            assert self._make is not None
            self._profile, self._make = self._make(), None
        return self._profile


class _Document:
    """The file read: its profiles, its top-level fields this qlik-tui does not know, and the
    default profile's name (one of ``profiles``)."""

    __slots__ = ("default", "profiles", "unknown")

    def __init__(
        self,
        profiles: dict[str, _Entry] | None = None,
        unknown: dict[str, Any] | None = None,
        default: str | None = None,
    ) -> None:
        self.profiles = {} if profiles is None else profiles
        self.unknown = {} if unknown is None else unknown
        self.default = default

    def copy(self) -> _Document:
        """A copy to edit: edits replace entries (never change one), so they are shared."""
        return _Document(dict(self.profiles), self.unknown, self.default)


class _HoldsAKey(Exception):
    """Internal: a field of the file holds what looks like an API key (a hand edit)."""

    def __init__(self, location: str) -> None:
        self.problem = (
            f"{location} looks like an API key (a JWT), so the file was not used (nothing in it "
            "was shown or changed)."
        )
        self.fix = (
            "Edit the file to remove it: keys are kept in the OS keyring or qlik-tui's encrypted "
            "file, never in the profiles file. To store that key, pipe it to `qlik-tui login "
            "--tenant HOST --with-token`."
        )
        super().__init__(self.problem)


class _Broken(Exception):
    """Internal: what is wrong with the file's content (a sentence without the path)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class ProfileStore:
    def __init__(self, path: Path | None = None, *, lock_timeout_s: float = LOCK_TIMEOUT_S) -> None:
        if path is None:  # resolved now, not at import, so XDG_CONFIG_HOME changes are seen
            path = default_profiles_path()
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.lock_timeout_s = lock_timeout_s
        self._remembered: tuple[bytes, _Document] | None = None

    def __repr__(self) -> str:
        return f"ProfileStore({str(self.path)!r})"

    # -- reading -------------------------------------------------------------------------------

    def all(self) -> list[Profile]:
        document = self._read()
        return sorted(
            (entry.profile for entry in document.profiles.values()),
            key=lambda profile: (profile.name.casefold(), profile.name),
        )

    def get(self, name: str) -> Profile | None:
        entry = self._read().profiles.get(name)
        return None if entry is None else entry.profile

    def default_name(self) -> str | None:
        """The default profile's name (``qlik-tui use NAME``), or None."""
        return self._read().default

    def set_default(self, name: str | None) -> None:
        """Make ``name`` the default profile (None: no default); ``ProfileNotFound`` when no
        profile has that name."""
        with self.editing() as edit:
            edit.set_default(name)
            edit.commit()

    def _read(self) -> _Document:
        if not self.path.exists():  # nothing to read: create nothing either
            return _Document()
        if sys.platform != "win32":  # an atomic rename: a snapshot needs no lock
            return self._load()
        with self._locked(required=False):
            return self._load()

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def editing(self) -> Iterator[ProfilesEdit]:
        """Hold the lock, load the file and yield a ``ProfilesEdit``; nothing is written unless
        ``commit()`` is called inside the block. Raises ``ProfilesFileError`` on entry when the
        folder cannot be made, the file cannot be locked, read or parsed."""
        with self._locked(create_dir=True):
            edit = ProfilesEdit(self, self._load(to_write=True))
            try:
                yield edit
            finally:
                edit.abandon()

    def put(self, profile: Profile) -> None:
        """Insert or replace ``profile`` (unknown fields it had in the file are kept)."""
        validate_profile(profile)
        with self.editing() as edit:
            edit.put(profile)
            edit.commit()

    def update(self, name: str, **changes: Any) -> Profile:
        """Change some fields of an existing profile (not its name); raises
        ``ProfileNotFound``, or ``TypeError`` for a field ``Profile`` does not have."""
        updated = self.update_many({name: changes}).get(name)
        if updated is None:
            raise ProfileNotFound(name)
        return updated

    def update_many(self, changes: Mapping[str, Mapping[str, Any]]) -> dict[str, Profile]:
        """Change fields of several profiles in one locked write (many results of one check
        cost one write, not one each). A name no longer in the file is left out of the answer
        and nothing is written for it; ``TypeError`` for a field ``Profile`` does not have."""
        updated: dict[str, Profile] = {}
        with self.editing() as edit:
            for name, fields in changes.items():
                current = edit.get(name)
                if current is not None:
                    edit.put(dataclasses.replace(current, **fields))
                    updated[name] = current
            if updated:
                edit.commit()
            return {name: edit.get(name) or updated[name] for name in updated}

    def remove(self, name: str) -> bool:
        if not self.path.exists():
            return False
        with self.editing() as edit:
            if not edit.remove(name):
                return False
            edit.commit()
        return True

    # -- internals -----------------------------------------------------------------------------

    @contextmanager
    def _locked(self, create_dir: bool = False, required: bool = True) -> Iterator[None]:
        """Hold the lock file. ``required=False`` (plain reads) goes ahead without it when the
        lock cannot be had (a read-only folder, a stuck holder): replacing is atomic anyway, so
        only Windows' refusal to replace an open file is risked."""
        if create_dir:
            self._make_dir()
        lock = LockFile(self.lock_path, timeout_s=self.lock_timeout_s)
        held = locked = False
        try:
            lock.acquire()
            held = True
        except LockTimeout:
            locked = True
        except OSError as exc:
            if required:
                raise self._os_error("cannot be locked", exc) from None
        if locked and required:
            raise ProfilesLocked(
                self.path,
                f"stayed locked by another qlik-tui process for {self.lock_timeout_s:g} s.",
                fix=f"Close other qlik-tui windows and try again (the lock is {self.lock_path}).",
            )
        try:
            yield
        finally:
            if held:
                lock.release()

    def _load(self, *, to_write: bool = False) -> _Document:
        """Read and check the file; the caller holds the lock. The same bytes as last time
        are not parsed again: their document is shared (its profiles made once). ``to_write``:
        each profile also gets its text in the file, which only a rewrite uses."""
        try:
            raw = read_regular_file(self.path, MAX_FILE_BYTES)
        except FileNotFoundError:
            return _Document()
        except NotARegularFile as exc:
            from qlik_tui.core.outcomes import OutcomeKind, make_outcome  # the table: only here

            outcome = make_outcome(
                OutcomeKind.NOT_A_REGULAR_FILE, path=str(self.path), file_kind=exc.kind
            )
            raise ProfilesFileError(self.path, outcome.cause, fix=outcome.next_step) from None
        except OSError as exc:
            raise self._os_error("cannot be read", exc) from None

        remembered = self._remembered
        if remembered is not None and remembered[0] == raw:
            document = remembered[1]
        else:
            try:
                document = _parse(raw)
            except _HoldsAKey as holding:  # no backup: it would be one more copy of the key
                raise ProfilesFileError(self.path, holding.problem, fix=holding.fix) from None
            except _Broken as broken:
                raise ProfilesFileError(
                    self.path, broken.problem, backup=self._back_up(raw)
                ) from None
            self.remember(raw, document)
        # Entries are shared with the remembered document: adopted once, their texts serve
        # every later rewrite of the same bytes.
        if to_write and any(entry.text is None for entry in document.profiles.values()):
            _adopt_written_texts(raw, document)
        return document.copy()

    def remember(self, raw: bytes, document: _Document) -> None:
        """``document`` is what the file holds while its bytes are ``raw`` (read or written)."""
        self._remembered = (raw, document.copy())

    def _make_dir(self) -> None:
        try:
            make_private_dirs(self.path.parent)
        except OSError as exc:
            raise self._os_error("cannot be created (its folder cannot be made)", exc) from None

    def _os_error(self, what: str, exc: OSError) -> ProfilesFileError:
        reason = exc.strerror or type(exc).__name__
        return ProfilesFileError(
            self.path,
            f"{what}: {reason}.",
            fix="Check that the folder exists, is yours and is writable, and that the disk is "
            "not full.",
        )

    def _back_up(self, raw: bytes) -> Path | None:
        """Copy the broken content next to the file once; None if that is impossible."""
        prefix = f"{self.path.name}.broken-"
        with suppress(OSError):
            for existing in sorted(self.path.parent.iterdir()):
                if (
                    existing.name.startswith(prefix)
                    and read_regular_file(existing, len(raw)) == raw
                ):
                    return existing
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        for attempt in range(1, 100):
            suffix = "" if attempt == 1 else f"-{attempt}"
            backup = self.path.with_name(f"{prefix}{stamp}{suffix}")
            try:
                write_new_file(backup, raw)
            except FileExistsError:
                continue
            except OSError:
                return None
            return backup
        return None


class ProfilesEdit:
    """Changes to the profiles file made under its lock (see ``ProfileStore.editing``).

    ``stage()`` writes the new content to a temporary file next to the profiles file, so a
    folder that refuses new files or a profile that must not be written fails there, before the
    caller changes anything else; ``commit()`` then renames it into place (staging first if
    needed). Leaving the block without ``commit()`` removes the staged file."""

    def __init__(self, store: ProfileStore, document: _Document) -> None:
        self._store = store
        self._document = document
        self._staged: Path | None = None
        self._staged_data = b""
        self.committed = False

    def __repr__(self) -> str:
        return f"ProfilesEdit({str(self._store.path)!r}, committed={self.committed})"

    @property
    def path(self) -> Path:
        return self._store.path

    def get(self, name: str) -> Profile | None:
        entry = self._document.profiles.get(name)
        return None if entry is None else entry.profile

    def all(self) -> list[Profile]:
        return [entry.profile for entry in self._document.profiles.values()]

    def put(self, profile: Profile) -> None:
        """Insert or replace ``profile``; raises ``InvalidProfile`` before changing anything."""
        validate_profile(profile)
        profile = dataclasses.replace(profile, roles=tuple(profile.roles))
        previous = self._document.profiles.get(profile.name)
        unknown = previous.unknown if previous is not None else {}
        self._document.profiles[profile.name] = _Entry(profile, unknown)
        self._discard_staged()

    def remove(self, name: str) -> bool:
        removed = self._document.profiles.pop(name, None) is not None
        if removed:
            if self._document.default == name:  # a default that names nothing helps no one
                self._document.default = None
            self._discard_staged()
        return removed

    def set_default(self, name: str | None) -> None:
        if name is not None and name not in self._document.profiles:
            raise ProfileNotFound(name)
        self._document.default = name
        self._discard_staged()

    def stage(self) -> None:
        """Write the edited content next to the file. Raises ``InvalidProfile`` (a field that
        must not be written) or ``ProfilesFileError`` (the folder refuses the file)."""
        if self._staged is not None:
            return
        data = _serialise(self._document, self._store.path)
        try:
            self._staged = stage_file(self._store.path, data)
        except OSError as exc:
            raise self._store._os_error("cannot be written", exc) from None
        self._staged_data = data

    def commit(self) -> None:
        """Put the edited content in place; raises ``ProfilesFileError`` leaving the old file."""
        self.stage()
        staged, self._staged = self._staged, None
        assert staged is not None
        try:
            replace_file(staged, self._store.path)
        except OSError as exc:
            raise self._store._os_error("cannot be written", exc) from None
        self.committed = True
        self._store.remember(self._staged_data, self._document)

    def abandon(self) -> None:
        """Drop a staged write that was not committed (the file stays as it was)."""
        self._discard_staged()

    def _discard_staged(self) -> None:
        staged, self._staged = self._staged, None
        if staged is not None:
            with suppress(OSError):
                staged.unlink()


# -- parsing -------------------------------------------------------------------------------------


def _parse(raw: bytes) -> _Document:
    if not raw.strip():
        raise _Broken("is empty (it should hold a JSON object with the profiles).")
    if len(raw) > MAX_FILE_BYTES:
        raise _Broken(f"is {len(raw)} bytes long, far too big to be a profiles file.")
    text = _decode(raw)
    data = _json_loads(text)
    if not isinstance(data, dict):
        raise _Broken(f"must hold a JSON object at the top, not {_kind(data)}.")

    if "version" not in data:
        raise _Broken('has no "version" (expected "version": 1).')
    version = data["version"]
    if not _is_int(version):
        raise _Broken(f'"version" must be the number {FORMAT_VERSION}, not {_kind(version)}.')
    if version != FORMAT_VERSION:
        if version > FORMAT_VERSION:
            raise _Broken(
                f"was written by a newer qlik-tui (format version {version}; this one reads "
                f"version {FORMAT_VERSION}). Upgrade qlik-tui to use it."
            )
        raise _Broken(f"has unknown format version {version} (expected {FORMAT_VERSION}).")

    # Read as written: no field ever holds a key. Without escapes, every string of the file is
    # in its text as it is, so a text with no JWT anywhere needs no walk through every field.
    if "\\" in text or _JWT.search(text):
        for location in _jwt_locations(data, ()):
            raise _HoldsAKey(location)
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise _Broken(f'"profiles" must be an object (name to profile), not {_kind(profiles)}.')
    document = _Document(
        unknown={
            key: value
            for key, value in data.items()
            if key not in ("version", "profiles", "default")
        }
    )
    for name, fields in profiles.items():
        document.profiles[name] = _parse_entry(name, fields)
    default = data.get("default")
    # A default naming no stored profile (edited by hand, or a name now invalid) is dropped.
    if isinstance(default, str) and default in document.profiles:
        document.default = default
    return document


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        position = exc.start
    raise _Broken(f"is not UTF-8 text (undecodable byte at offset {position}).")


def _json_loads(text: str) -> object:
    problem: str | None = None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}."
    except RecursionError:
        problem = "is not a profiles file: its JSON is nested far too deeply."
    except ValueError:  # e.g. a number with more digits than Python converts
        problem = "is not a profiles file: its JSON holds a value Python cannot read."
    raise _Broken(problem)


def _parse_entry(name: str, fields: object) -> _Entry:
    name_problem = _name_problem(name, incoming=False)
    if name_problem is not None:
        raise _Broken(f"has a profile name that is not valid: {name_problem}")
    if not isinstance(fields, dict):
        raise _Broken(f"{_where(name)} must be an object, not {_kind(fields)}.")
    origin = fields.get("origin")
    if not isinstance(origin, str) or not origin:
        found = "nothing" if "origin" not in fields else _kind(origin)
        raise _Broken(f'{_where(name)} needs "origin" (the tenant address as text), found {found}.')
    # One pass over the fields present (a file of hundreds of profiles is read whole): each
    # known text field is text or null, the rest kept as unknown.
    unknown: dict[str, Any] = {}
    texts_ok = True
    for key, value in fields.items():
        if key in _OPTIONAL_TEXT_FIELD_SET:
            texts_ok = texts_ok and (value is None or isinstance(value, str))
        elif key not in _FIELD_NAME_SET:
            unknown[key] = value
    if not texts_ok:  # the first wrong one in the fields' order, as the message names one
        for field_name in _OPTIONAL_TEXT_FIELDS:
            value = fields.get(field_name)
            if value is not None and not isinstance(value, str):
                raise _Broken(
                    f'{_where(name)}: "{field_name}" must be text or null, not {_kind(value)}.'
                )
    roles = fields.get("roles")
    if roles is None:
        roles = []
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise _Broken(f'{_where(name)}: "roles" must be a list of texts, not {_kind(roles)}.')
    unknown.pop("name", None)  # the name is the key; a stray copy inside is dropped

    def make() -> Profile:  # checked above: neutralising cannot fail
        texts = {key: neutralise_optional(fields.get(key)) for key in _OPTIONAL_TEXT_FIELDS}
        parts = tuple(neutralise(role) for role in roles)
        return Profile(name=name, origin=neutralise(origin), roles=parts, **texts)

    return _Entry(make, unknown)


def _where(name: str) -> str:
    """A profile of the file, as a message names it."""
    return f"profile {_quoted(name)}"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# -- serialising -------------------------------------------------------------------------------


def _serialise(document: _Document, path: Path) -> bytes:
    """The file's bytes: ``json.dumps(data, indent=2)``, assembled from each profile's text,
    which is made (and checked for secrets) once per profile while the store remembers the
    file: rewriting a file of 700 profiles to change one then costs one profile's work."""
    _refuse_secrets(_top(document), path)
    parts = []
    for name in sorted(document.profiles, key=lambda n: (n.casefold(), n)):
        entry = document.profiles[name]
        if entry.text is None:
            known: dict[str, Any] = {
                field_name: getattr(entry.profile, field_name) for field_name in FIELD_NAMES
            }
            known["roles"] = list(entry.profile.roles)
            fields = {**entry.unknown, **known}
            _refuse_secrets({"profiles": {name: fields}}, path)
            # Nested two levels deep: its lines move right by four spaces (a JSON text has no
            # newline inside a string, so every newline is the layout's).
            entry.text = json.dumps(fields, indent=2, ensure_ascii=False).replace("\n", "\n    ")
        parts.append(f"    {json.dumps(name, ensure_ascii=False)}: {entry.text}")
    profiles = "{\n" + ",\n".join(parts) + "\n  }" if parts else "{}"
    text = f'{_head_text(document)},\n  "profiles": {profiles}\n}}\n'
    encoded: bytes | None = None
    with suppress(UnicodeEncodeError):
        encoded = text.encode("utf-8")
    if encoded is None:
        raise InvalidProfile("A profile field holds text that cannot be stored (a lone surrogate).")
    return encoded


_PROFILES_OPENING = ',\n  "profiles": {\n'
_PROFILES_CLOSING = "\n  }\n}\n"


def _top(document: _Document) -> dict[str, Any]:
    """The file's top level but its profiles."""
    top: dict[str, Any] = {**document.unknown, "version": FORMAT_VERSION}
    if document.default is not None:
        top["default"] = document.default
    return top


def _head_text(document: _Document) -> str:
    """The file's text before ``"profiles"``."""
    return json.dumps(_top(document), indent=2, ensure_ascii=False).removesuffix("\n}")


def _adopt_written_texts(raw: bytes, document: _Document) -> None:
    """Give each profile the text the file holds for it, when the file is exactly as
    ``_serialise`` lays it out: a later write then re-encodes only the profiles it changes
    (a first write of 700 profiles would otherwise encode them all, ~10 ms). Only for plain
    printable ASCII without escapes, where what was read is what neutralising keeps."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return
    if "\\" in text or "\x7f" in text or not text.endswith(_PROFILES_CLOSING):
        return
    head, found, body = text.partition(_PROFILES_OPENING)
    if not found:
        return
    body = body.removesuffix(_PROFILES_CLOSING)
    texts: dict[str, str] = {}
    # Each profile starts on a line indented by exactly four spaces (deeper lines are its own).
    for chunk in ("\n" + body).split('\n    "')[1:]:
        name, separator, entry_text = chunk.partition('": ')
        if not separator or name not in document.profiles:
            return
        texts[name] = entry_text.removesuffix(",")
    if len(texts) != len(document.profiles):
        return
    names = sorted(texts, key=lambda n: (n.casefold(), n))
    rebuilt = ",\n".join(f'    "{name}": {texts[name]}' for name in names)
    if f"{head}{_PROFILES_OPENING}{rebuilt}{_PROFILES_CLOSING}" != text or head != _head_text(
        document
    ):
        return
    for name, entry_text in texts.items():
        document.profiles[name].text = entry_text


def _refuse_secrets(data: Mapping[str, Any], path: Path) -> None:
    """Cheap insurance: nothing that looks like a JWT is ever written, in any field."""
    for location in _jwt_locations(data, ()):
        raise SecretInProfile(
            f"Refusing to write {path}: {location} looks like an API key (a JWT). Keys are kept "
            "in the OS keyring or qlik-tui's encrypted file, never in the profiles file."
        )


def _jwt_locations(value: object, trail: tuple[str, ...]) -> Iterable[str]:
    if isinstance(value, str):
        if _JWT.search(value):
            yield _describe_trail(trail)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _JWT.search(key):
                yield _describe_trail((*trail, "<a key>"))
            yield from _jwt_locations(item, (*trail, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _jwt_locations(item, (*trail, str(index)))


def _describe_trail(trail: tuple[str, ...]) -> str:
    if len(trail) >= 3 and trail[0] == "profiles":
        return f"field {'.'.join(trail[2:])!r} of profile {_quoted(trail[1])}"
    return f"field {'.'.join(trail)!r}"
