"""Choosing the keyring backend, and explaining its failures. Imported only when a keyring
call is about to run (keyring's imports cost a noticeable part of start-up).

- Never falls back to plain text on its own: a backend keyring ranks "not recommended" (priority
  below 1) or that is known to keep plain text is used only when the user selected it
  (``PYTHON_KEYRING_BACKEND`` or keyring's ``keyringrc.cfg``); otherwise ``InsecureBackend``.
- When keyring picks its chainer (several recommended backends), the chainer's first backend
  (the one keyring itself writes to) is used directly, so save, read-back, load and delete all
  talk to the same store.
- Errors are built from exception types and redacted messages: never the key.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from configparser import Error as ConfigError
from configparser import RawConfigParser
from contextlib import AbstractContextManager, closing, suppress
from importlib import import_module
from pathlib import Path
from typing import Any, NamedTuple

import keyring
import keyring.errors as keyring_errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from qlik_tui.store.errors import (
    _START_DBUS_FIX,
    InsecureBackend,
    KeyringLocked,
    NoBackend,
    NoDBusSession,
    PromptDismissed,
    StoreError,
)
from qlik_tui.store.session_keyring import SESSION_STORE_KIND, SessionKeyring

_SS_DISMISSED: tuple[type[BaseException], ...] = ()
_SS_LOCKED: tuple[type[BaseException], ...] = ()
_SS_UNAVAILABLE: tuple[type[BaseException], ...] = ()
try:  # Linux only; elsewhere there is no Secret Service to explain
    import secretstorage.exceptions as _secretstorage_errors
except ImportError:  # pragma: no cover - depends on the platform
    pass
else:
    _SS_DISMISSED = (_secretstorage_errors.PromptDismissedException,)
    _SS_LOCKED = (_secretstorage_errors.LockedException,)
    _SS_UNAVAILABLE = (_secretstorage_errors.SecretServiceNotAvailableException,)

_DBUS_BACKEND_MODULES = frozenset(
    {"keyring.backends.SecretService", "keyring.backends.libsecret", "keyring.backends.kwallet"}
)
_KINDS = {
    "keyring.backends.SecretService.Keyring": "Secret Service, D-Bus",
    "keyring.backends.libsecret.Keyring": "libsecret, Secret Service over D-Bus",
    "keyring.backends.kwallet.DBusKeyring": "KWallet, D-Bus",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet 4, D-Bus",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyrings.alt.file.PlaintextKeyring": "plain-text file, not encrypted",
    "keyrings.alt.file.EncryptedKeyring": "file encrypted with a password",
    "qlik_tui.store.encrypted_file.EncryptedFileKeyring": "passphrase-encrypted file",
}
_ENCRYPTED_FILE_MODULE = "qlik_tui.store.encrypted_file"
_SECRET_SERVICE = "keyring.backends.SecretService.Keyring"  # this class exactly: not a subclass
_FIRST_CALL_TIMEOUT_S = 5.0  # the first search on a connection (the call's own deadline holds)
# Long runs of token characters in a backend's error message could be (part of) a key.
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-+/=.]{24,}")
_MAX_DETAIL_CHARS = 300


class SelectedBackend(NamedTuple):
    backend: KeyringBackend
    name: str
    kind: str
    insecure_notice: str | None
    encrypted_file: bool = False  # qlik-tui's own encrypted file, not an OS keyring


def select_backend(given: KeyringBackend | None) -> SelectedBackend:
    if given is not None:
        backend = given
    else:
        shortcut = _secret_service_shortcut()
        if shortcut is not None:  # vetted just now: no second D-Bus connection to ask again
            return _secret_service_selected(shortcut)
        try:
            backend = keyring.get_keyring()
        except Exception as exc:  # keyring could not load the backend the user configured
            raise _unloadable_configuration(exc) from None
    if isinstance(backend, chainer.ChainerBackend):
        chained: list[KeyringBackend] = list(type(backend).backends)
        if not chained:
            raise _explain_missing_backend()
        backend = chained[0]
    if isinstance(backend, fail.Keyring):
        raise _explain_missing_backend()
    if isinstance(backend, null.Keyring):
        raise NoBackend(
            problem="Keyring is switched off (its null backend, which keeps nothing, is selected).",
            fix="Remove keyring.backends.null.Keyring from PYTHON_KEYRING_BACKEND or from "
            f"{_config_file()}, and start a Secret Service.",
        )
    name = _backend_name(backend)
    if _class_path(type(backend)) == _SECRET_SERVICE:
        guard_secret_service_connections()
    encrypted_file = _encrypted_file_path(backend)
    if encrypted_file is not None:
        # Ranked below 1 only so that keyring never picks it by itself: it is secure, and
        # reaching this point means it was chosen.
        kind = f"{_KINDS[_class_path(type(backend))]} {encrypted_file}"
        return SelectedBackend(backend, name, kind, insecure_notice=None, encrypted_file=True)
    if isinstance(backend, SessionKeyring):
        # Chosen by the user for practice keys; it keeps nothing once qlik-tui quits.
        return SelectedBackend(backend, name, SESSION_STORE_KIND, insecure_notice=None)
    try:
        priority = float(type(backend).priority)  # raises when the backend is not viable here
    except Exception as exc:
        unusable: StoreError | None = explain_failure(exc, backend, "open the keyring")
    else:
        unusable = None
    if type(unusable) is StoreError:
        unusable = NoBackend(
            problem=f"The keyring backend {name} cannot be used here: {unusable.detail}.",
            detail=unusable.detail,
        )
    if unusable is not None:
        raise unusable
    plaintext = "plaintext" in type(backend).__qualname__.lower()
    kind = _kind(backend, priority)
    if priority >= 1 and not plaintext:
        return SelectedBackend(backend, name, kind, insecure_notice=None)

    reason = (
        "it keeps keys as plain text"
        if plaintext
        else f"keyring ranks it not recommended, priority {priority:g}"
    )
    source = _explicit_source(backend)
    if source is None:
        raise InsecureBackend(
            problem=f"Keyring picked {name}, which is not secure ({reason}); qlik-tui will not "
            "store an API key there unless you choose it yourself.",
            fix="Install and start gnome-keyring or KeePassXC's Secret Service; or, if you "
            f"accept this backend, select it explicitly: PYTHON_KEYRING_BACKEND="
            f"{_class_path(type(backend))}.",
        )
    notice = (
        f"Not secure: keys are stored with {name} ({reason}), used only because {source} "
        "selects it."
    )
    return SelectedBackend(backend, name, f"{kind}; not secure", insecure_notice=notice)


def _encrypted_file_path(backend: KeyringBackend) -> str | None:
    """The file, when ``backend`` is qlik-tui's encrypted file keyring. Looked up through
    ``sys.modules``: an instance exists only once its module (and cryptography) is loaded."""
    module = sys.modules.get(_ENCRYPTED_FILE_MODULE)
    if module is None or not isinstance(backend, module.EncryptedFileKeyring):
        return None
    return str(backend.path)


def collection_locked(backend: KeyringBackend) -> bool | None:
    """Whether the Secret Service collection ``backend`` writes to is locked, asked without
    unlocking it (no prompt); None when that cannot be told (another kind of backend, or no
    default collection yet). Raises what the D-Bus calls raise."""
    if _class_path(type(backend)) != _SECRET_SERVICE:
        return None
    guard_secret_service_connections()
    import secretstorage
    from secretstorage.collection import Collection, get_collection_by_alias
    from secretstorage.exceptions import ItemNotFoundException

    connection = secretstorage.dbus_init()
    try:
        preferred = getattr(backend, "preferred_collection", None)
        try:
            if preferred:
                collection = Collection(connection, preferred)
            else:
                collection = get_collection_by_alias(connection, "default")
        except ItemNotFoundException:
            return None
        return bool(collection.is_locked())
    finally:
        connection.close()


def read_entries(
    backend: KeyringBackend, service: str, usernames: Sequence[str]
) -> dict[str, str | StoreError | None] | None:
    """The entries of ``usernames`` under ``service`` in as few calls as ``backend`` allows:
    the text, None (no entry), or the ``StoreError`` reading it alone would raise too. A name
    left out is to be read by itself, as one read does (e.g. an item locked on its own).
    None: this backend reads one entry at a time. Raises what the backend raises for all."""
    if _class_path(type(backend)) == _SECRET_SERVICE:
        return dict(_read_secret_service_entries(backend, service, usernames))
    if _encrypted_file_path(backend) is not None:
        return dict(backend.get_passwords(service, usernames))  # type: ignore[attr-defined]
    return None


def _read_secret_service_entries(
    backend: KeyringBackend, service: str, usernames: Sequence[str]
) -> dict[str, str | None]:
    """One D-Bus connection and one Secret Service session for all: the collection as keyring
    opens it (a locked one is unlocked or refused exactly as for one read), keyring's own
    query per name (so the same item answers), then every secret in one ``GetSecrets``. An
    item the batch did not get (locked by itself, not UTF-8) is left to a read of its own."""
    from jeepney.wrappers import DBusErrorResponse
    from secretstorage.collection import COLLECTION_IFACE, SERVICE_IFACE
    from secretstorage.defines import SS_PATH
    from secretstorage.util import DBusAddressWrapper, open_session

    found: dict[str, str | None] = {}
    collection = backend.get_preferred_collection()  # type: ignore[attr-defined]
    with closing(collection.connection) as connection:
        # Collection.search_items would also ask each item found for its label
        searching = DBusAddressWrapper(collection.collection_path, COLLECTION_IFACE, connection)
        paths: dict[str, str] = {}
        for username in usernames:
            query = backend._query(service, username)  # type: ignore[attr-defined]
            (items,) = searching.call("SearchItems", "a{ss}", query)
            if items:
                paths[username] = items[0]
            else:
                found[username] = None
        if not paths:
            return found
        session = open_session(connection)
        secrets: dict[str, tuple[str, bytes, bytes, str]] = {}
        with suppress(DBusErrorResponse):  # e.g. an implementation without GetSecrets
            (secrets,) = DBusAddressWrapper(SS_PATH, SERVICE_IFACE, connection).call(
                "GetSecrets", "aoo", list(paths.values()), session.object_path
            )
        for username, path in paths.items():
            secret = secrets.get(path)
            if secret is not None:
                with suppress(ValueError, IndexError):  # not UTF-8 (a UnicodeDecodeError)...
                    found[username] = _decrypted(session, secret).decode("utf-8")
    return found


def _decrypted(session: Any, secret: tuple[str, bytes, bytes, str]) -> bytes:
    """A secret as ``secretstorage.Item.get_secret`` decrypts it (AES-128-CBC, PKCS#7)."""
    if not session.encrypted:
        return bytes(secret[2])
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    decryptor = Cipher(algorithms.AES(session.aes_key), modes.CBC(bytes(secret[1]))).decryptor()
    padded = decryptor.update(bytes(secret[2])) + decryptor.finalize()
    return padded[: -padded[-1]]


def _unloadable_configuration(exc: Exception) -> StoreError:
    from_env = os.environ.get("PYTHON_KEYRING_BACKEND", "").strip()
    where = "PYTHON_KEYRING_BACKEND" if from_env else f"keyring's config file {_config_file()}"
    return StoreError(
        problem=f"Keyring cannot load the backend {where} names ({_redacted_detail(exc)}).",
        fix="Name an installed backend's module.Class there, e.g. "
        "keyring.backends.SecretService.Keyring, or remove the setting to let keyring choose.",
        detail=_redacted_detail(exc),
    )


def _backend_name(backend: KeyringBackend | type[KeyringBackend]) -> str:
    cls = backend if isinstance(backend, type) else type(backend)
    name = getattr(cls, "name", None)
    return name if isinstance(name, str) and name else cls.__name__


def _class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _kind(backend: KeyringBackend, priority: float) -> str:
    known = _KINDS.get(_class_path(type(backend)))
    if known is not None:
        return known
    module = type(backend).__module__
    if priority < 1:
        return f"from {module}, not recommended by keyring"
    return f"from {module}"


def _config_file() -> Path:
    """keyring's own config file (``keyring.core`` reads it the same way)."""
    from keyring.util import platform_

    return Path(platform_.config_root()) / "keyringrc.cfg"


def _secret_service_shortcut() -> KeyringBackend | None:
    """The Secret Service backend, when it is what keyring would pick on this Linux machine.

    ``keyring.get_keyring()`` imports every backend it knows; on Linux its macOS backend runs
    ``find_library``, which starts ldconfig and gcc (about 50 ms of a ``check``). With nothing
    configured and no KDE session (where KWallet outranks it), a viable Secret Service is
    keyring's own first choice, so ask it directly.
    """
    if not _secret_service_first():
        return None
    guard_secret_service_connections()
    from keyring.backends import SecretService

    try:
        viable = float(SecretService.Keyring.priority) >= 1  # raises when not available
    except Exception:
        return None  # let keyring choose, and explain what it finds
    return SecretService.Keyring() if viable else None  # type: ignore[no-untyped-call]


_first_call_guarded = False
_NO_SUCH_ITEM = {"qlik-tui": "a search that finds nothing, made first on each connection"}


def guard_secret_service_connections() -> None:
    """Make the first call on every Secret Service connection keyring opens a search, repeated
    until answered. gnome-keyring-daemon registers a new D-Bus client from an idle callback
    of its main loop; a call dispatched before that finds no client: a method call is answered
    ``UnknownMethod``, but a property read (the first thing keyring's ``Collection`` does)
    aborts the daemon (``secret_objects_lookup_gck_object_for_path: assertion 'session'
    failed``, then GLib's ``invoke_get_property_in_idle_cb``), taking every key of the
    session's keyring out of reach. Several connections opening at once make that likely."""
    global _first_call_guarded
    if _first_call_guarded:
        return
    import secretstorage

    opened = secretstorage.dbus_init

    def dbus_init() -> Any:
        connection = opened()
        _search_until_answered(connection)
        return connection

    secretstorage.dbus_init = dbus_init
    _first_call_guarded = True


def _search_until_answered(connection: Any, attempts: int = 5) -> None:
    from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call
    from secretstorage.defines import SS_PATH, SS_PREFIX

    service = DBusAddress(
        SS_PATH, bus_name="org.freedesktop.secrets", interface=SS_PREFIX + "Service"
    )
    search = new_method_call(service, "SearchItems", "a{ss}", (_NO_SUCH_ITEM,))
    for attempt in range(attempts):
        reply = connection.send_and_get_reply(search, timeout=_FIRST_CALL_TIMEOUT_S)
        if reply.header.message_type is not MessageType.error:
            return
        error = reply.header.fields.get(HeaderFields.error_name, "")
        if error != "org.freedesktop.DBus.Error.UnknownMethod":
            return  # no Secret Service, or another refusal: the real call reports it
        time.sleep(0.01 * (attempt + 1))


def _secret_service_first() -> bool:
    """Whether keyring would pick the Secret Service first here, if it is viable: Linux,
    no KDE session (where KWallet outranks it), no backend configured."""
    if not sys.platform.startswith("linux") or "KDE" in os.environ.get("XDG_CURRENT_DESKTOP", ""):
        return False
    return _configured_backend() is None


def _secret_service_selected(backend: KeyringBackend) -> SelectedBackend:
    """What ``select_backend`` makes of a viable Secret Service backend."""
    kind = _KINDS[_class_path(type(backend))]
    return SelectedBackend(backend, _backend_name(backend), kind, insecure_notice=None)


def choose_and_read(
    given: KeyringBackend | None,
    service: str,
    username: str,
    hold: Callable[[KeyringBackend], AbstractContextManager[object]],
    what: str,
) -> tuple[SelectedBackend, str | None]:
    """``select_backend(given)`` and the entry of ``username`` under ``service`` read with
    it, holding ``hold(backend)`` around the read. Where keyring would pick the Secret
    Service first, its read is tried before vetting it: a read that works shows what vetting
    asks (on a D-Bus connection of its own). When it fails, the vetting decides: a viable
    Secret Service's failure (locked, a dismissed prompt) is explained as after a choice,
    once; else the full choice explains what is wrong, or reads from what it picks."""
    if given is None and _secret_service_first():
        guard_secret_service_connections()
        from keyring.backends import SecretService

        backend: KeyringBackend = SecretService.Keyring()  # type: ignore[no-untyped-call]
        failure: StoreError | None = None
        try:
            with hold(backend):
                text = read_entry(backend, service, username)
        except Exception as exc:
            failure = explain_failure(exc, backend, what)
        if failure is None:
            return _secret_service_selected(backend), text
        if _secret_service_shortcut() is not None:
            raise failure
    selected = select_backend(given)
    with hold(selected.backend):
        return selected, read_entry(selected.backend, service, username)


def read_entry(backend: KeyringBackend, service: str, username: str) -> str | None:
    """One entry, as ``backend.get_password`` reads it; over the Secret Service in fewer
    D-Bus calls (7 where keyring makes 11: ``read_entries``)."""
    if _class_path(type(backend)) == _SECRET_SERVICE:
        found = _read_secret_service_entries(backend, service, [username])
        if username in found:
            return found[username]
    text = backend.get_password(service, username)
    return text if isinstance(text, str) else None


def _configured_backend() -> tuple[str, str] | None:
    """(where, dotted class name) of the backend the user selected, if any."""
    from_env = os.environ.get("PYTHON_KEYRING_BACKEND", "").strip()
    if from_env:
        return "PYTHON_KEYRING_BACKEND", from_env
    config_file = _config_file()
    parser = RawConfigParser()
    try:
        parser.read(config_file, encoding="utf-8")
        from_config = parser.get("backend", "default-keyring", fallback="").strip()
    except (ConfigError, OSError, UnicodeDecodeError):
        return None
    return (f"keyring's config file {config_file}", from_config) if from_config else None


def _explicit_source(backend: KeyringBackend) -> str | None:
    """Where the user selected this backend's class, if they did."""
    configured = _configured_backend()
    if configured is not None and _names_class(configured[1], type(backend)):
        return configured[0]
    return None


def _names_class(dotted: str, cls: type) -> bool:
    if dotted == _class_path(cls):
        return True
    module_name, _, class_name = dotted.rpartition(".")
    try:  # a re-export, e.g. a package exposing its backend class under a shorter path
        return getattr(import_module(module_name), class_name, None) is cls
    except Exception:
        return False


def _explain_missing_backend() -> StoreError:
    """keyring found no backend: on Linux, say whether D-Bus or the Secret Service is missing."""
    if sys.platform == "win32" or sys.platform == "darwin":
        return NoBackend()
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return _no_dbus_session(unset=True)
    try:
        from keyring.backends import SecretService

        SecretService.Keyring.priority  # noqa: B018 - the probe; raises saying what is missing
    except Exception as exc:
        explained = explain_failure(exc, SecretService.Keyring, "reach the Secret Service")
        if isinstance(explained, NoDBusSession):
            return explained
    return NoBackend()


def _no_dbus_session(unset: bool, detail: str | None = None) -> NoDBusSession:
    if unset:
        return NoDBusSession(
            problem="There is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so "
            "the Secret Service that keeps keys cannot be reached.",
            detail=detail,
        )
    return NoDBusSession(
        problem="The D-Bus session bus named by DBUS_SESSION_BUS_ADDRESS cannot be reached, so "
        "the Secret Service that keeps keys cannot be reached either.",
        fix="The session it belonged to has probably ended. " + _START_DBUS_FIX,
        detail=detail,
    )


# -- explaining failures -------------------------------------------------------------------------


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _redacted_detail(exc: BaseException) -> str:
    message = _TOKEN_RUN.sub("[redacted]", str(exc))
    if len(message) > _MAX_DETAIL_CHARS:
        message = message[:_MAX_DETAIL_CHARS] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def explain_failure(
    exc: BaseException, backend: KeyringBackend | type[KeyringBackend] | None, what: str
) -> StoreError:
    """The ``StoreError`` that explains ``exc`` (raised by ``backend`` while trying ``what``).
    The result carries no cause, context or traceback of ``exc``: those may hold the key."""
    if isinstance(exc, StoreError):  # raised on purpose in the worker: strip what it carries
        exc.__cause__ = exc.__context__ = None
        exc.__suppress_context__ = False
        return exc.with_traceback(None)
    chain = _causes(exc)
    detail = "; ".join(_redacted_detail(link) for link in chain)

    def has(*types: type[BaseException]) -> bool:
        return bool(types) and any(isinstance(link, types) for link in chain)

    if has(*_SS_DISMISSED):
        return PromptDismissed(detail=detail)
    if has(keyring_errors.KeyringLocked, *_SS_LOCKED):
        return KeyringLocked(detail=detail)
    if has(*_SS_UNAVAILABLE) or _is_dbus_backend(backend):
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") or (
            has(*_SS_UNAVAILABLE) and has(KeyError)
        ):
            return _no_dbus_session(unset=True, detail=detail)
        if (has(*_SS_UNAVAILABLE) and has(OSError, ValueError)) or has(
            ConnectionError, FileNotFoundError, PermissionError
        ):
            return _no_dbus_session(unset=False, detail=detail)
        if has(*_SS_UNAVAILABLE):
            return NoBackend(
                problem="No Secret Service is running on the D-Bus session bus, so there is no "
                "keyring to keep the key in.",
                detail=detail,
            )
    if has(keyring_errors.NoKeyringError):
        return NoBackend(detail=detail)
    if has(keyring_errors.InitError):
        return PromptDismissed(detail=detail)
    if backend is not None and not isinstance(backend, type) and _encrypted_file_path(backend):
        return StoreError(
            problem=f"qlik-tui's encrypted key file failed to {what}: {_redacted_detail(exc)}.",
            fix="Check the file's and its directory's permissions and the free disk space, then "
            "try again.",
            detail=detail,
        )
    name = _backend_name(backend) if backend is not None else None
    where = f"The keyring ({name})" if name else "The keyring"
    return StoreError(
        problem=f"{where} failed to {what}: {_redacted_detail(exc)}.",
        fix="Check that your keyring works (e.g. `keyring --list-backends`), then try again.",
        detail=detail,
    )


def _is_dbus_backend(backend: KeyringBackend | type[KeyringBackend] | None) -> bool:
    if backend is None:
        return False
    cls = backend if isinstance(backend, type) else type(backend)
    return cls.__module__ in _DBUS_BACKEND_MODULES
