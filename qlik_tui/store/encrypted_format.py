"""The encrypted key file's format: key derivation, AES-GCM entries, encoding and checking.

Pure functions on bytes (no file system, no keyring), so every rule is testable on its own.

The file, version 1, is three lines of ASCII::

    qlik-tui-keys 1
    {"check":{...},"cipher":"AES-256-GCM","entries":[...],"kdf":{...}}
    sha256 <64 hex digits of SHA-256 over the two lines above, newlines included>

- ``kdf``: ``{"name": "argon2id", "salt", "iterations", "lanes", "memory_cost_kib"}`` or
  ``{"name": "scrypt", "salt", "n", "r", "p"}``; the salt is 16 random bytes, base64. The
  256-bit key is derived from the passphrase (Unicode NFC, UTF-8) with exactly these values,
  so stronger parameters can be chosen later without breaking older files.
- The header is the canonical JSON (sorted keys, no spaces) of ``cipher`` and ``kdf``.
- ``check``: AES-GCM of a fixed text, associated data = the header: it tells a wrong
  passphrase (or an altered header) apart before any entry is touched.
- ``entries``: ``{"service", "username", "nonce", "ciphertext"}``; the secret is AES-256-GCM
  encrypted with a fresh random 96-bit nonce, associated data = the header digest, the service
  and the user name (length-prefixed), so an entry cannot be moved to another name or file.
  The ciphertext ends with the 16-byte GCM tag. Service and user names are not secret.
- The SHA-256 trailer is not a security measure (anyone can recompute it); it tells accidental
  damage and truncation apart from a wrong passphrase. Authenticity comes from AES-GCM.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import os
import re
import struct
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from qlik_tui.store.encrypted_errors import (
    NewerFormatVersion,
    TamperedStoreFile,
    TruncatedStoreFile,
    UnrecognisedStoreFile,
    WrongPassphrase,
)

FORMAT_VERSION = 1
CIPHER = "AES-256-GCM"
MAGIC = b"qlik-tui-keys "
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
SALT_BYTES = 16

_CHECK_TEXT = b"qlik-tui encrypted key file"
_TRAILER_PREFIX = b"sha256 "
_TRAILER = re.compile(rb"sha256 [0-9a-f]{64}\n\Z")
_TRAILER_BYTES = len(_TRAILER_PREFIX) + 64 + 1
_VERSION_DIGITS = re.compile(rb"[1-9][0-9]{0,8}\Z")
_LONGEST_FIRST_LINE = 32
# Bounds on values read from a file: an altered header must not make us allocate gigabytes or
# spin for minutes before the check fails.
_MAX_MEMORY_KIB = 2 * 1024 * 1024
_MAX_ITERATIONS = 64
_MAX_LANES = 64
_MAX_SCRYPT_N = 2**22


@dataclass(frozen=True)
class Argon2idParams:
    """Argon2id cost. Defaults: 3 passes over 128 MiB in 4 lanes (RFC 9106's second
    recommended choice, with twice its memory; OpenSSL computes the lanes one after another).
    One unlock took 0.4 s on an idle 2-core x86-64 VM, up to 1.2 s while it was busy.
    """

    name: ClassVar[str] = "argon2id"
    iterations: int = 3
    lanes: int = 4
    memory_cost_kib: int = 128 * 1024

    def __post_init__(self) -> None:
        if not 1 <= self.iterations <= _MAX_ITERATIONS:
            raise ValueError(f"iterations must be 1..{_MAX_ITERATIONS}")
        if not 1 <= self.lanes <= _MAX_LANES:
            raise ValueError(f"lanes must be 1..{_MAX_LANES}")
        if not 8 * self.lanes <= self.memory_cost_kib <= _MAX_MEMORY_KIB:
            raise ValueError(f"memory_cost_kib must be 8 * lanes..{_MAX_MEMORY_KIB}")

    def as_json(self) -> dict[str, int | str]:
        return {
            "name": self.name,
            "iterations": self.iterations,
            "lanes": self.lanes,
            "memory_cost_kib": self.memory_cost_kib,
        }


@dataclass(frozen=True)
class ScryptParams:
    """scrypt cost, used where cryptography offers no Argon2id (OpenSSL before 3.2). Defaults:
    N = 2**17, r = 8, p = 1 (128 MiB): 0.4 s per unlock on the same idle VM, up to 0.9 s busy."""

    name: ClassVar[str] = "scrypt"
    n: int = 2**17
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if not 2 <= self.n <= _MAX_SCRYPT_N or self.n & (self.n - 1):
            raise ValueError(f"n must be a power of 2 in 2..{_MAX_SCRYPT_N}")
        if not 1 <= self.r <= 32 or not 1 <= self.p <= 16:
            raise ValueError("r must be 1..32 and p 1..16")
        if 128 * self.n * self.r * self.p > _MAX_MEMORY_KIB * 1024:
            raise ValueError("scrypt would need more than 2 GiB")

    def as_json(self) -> dict[str, int | str]:
        return {"name": self.name, "n": self.n, "r": self.r, "p": self.p}


KdfParams = Argon2idParams | ScryptParams


@functools.lru_cache(maxsize=1)
def argon2id_available() -> bool:
    """Whether the installed cryptography (and the OpenSSL it uses) offers Argon2id."""
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        Argon2id(salt=bytes(8), length=4, iterations=1, lanes=1, memory_cost=8).derive(b"")
    except (ImportError, UnsupportedAlgorithm):
        return False
    return True


def default_kdf_params() -> KdfParams:
    return Argon2idParams() if argon2id_available() else ScryptParams()


@dataclass(frozen=True)
class Header:
    kdf: KdfParams
    salt: bytes = field(repr=False)

    @classmethod
    def new(cls, kdf: KdfParams) -> Header:
        return cls(kdf=kdf, salt=os.urandom(SALT_BYTES))

    def as_json(self) -> dict[str, object]:
        kdf: dict[str, object] = {**self.kdf.as_json(), "salt": _b64(self.salt)}
        return {"cipher": CIPHER, "kdf": kdf}

    @functools.cached_property
    def canonical(self) -> bytes:
        return _canonical_json(self.as_json())

    @functools.cached_property
    def digest(self) -> bytes:
        return hashlib.sha256(self.canonical).digest()


def derive_key(passphrase: str, header: Header) -> bytes:
    """The 256-bit key (slow on purpose); ``KdfUnavailable`` when Argon2id is not offered."""
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8", "surrogatepass")
    kdf = header.kdf
    if isinstance(kdf, ScryptParams):
        return Scrypt(salt=header.salt, length=KEY_BYTES, n=kdf.n, r=kdf.r, p=kdf.p).derive(secret)
    if not argon2id_available():
        raise KdfUnavailable(kdf.name)
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    return Argon2id(
        salt=header.salt,
        length=KEY_BYTES,
        iterations=kdf.iterations,
        lanes=kdf.lanes,
        memory_cost=kdf.memory_cost_kib,
    ).derive(secret)


class KdfUnavailable(Exception):
    """Internal: the caller turns it into ``UnsupportedKdf`` naming the file."""

    def __init__(self, kdf: str) -> None:
        self.kdf = kdf
        super().__init__(kdf)


@dataclass(frozen=True)
class Entry:
    service: str
    username: str
    nonce: bytes = field(repr=False)
    ciphertext: bytes = field(repr=False)  # the GCM tag is its last 16 bytes


@dataclass(frozen=True)
class StoreFile:
    header: Header
    check_nonce: bytes = field(repr=False)
    check_ciphertext: bytes = field(repr=False)
    entries: tuple[Entry, ...] = ()

    def find(self, service: str, username: str) -> Entry | None:
        for entry in self.entries:
            if entry.service == service and entry.username == username:
                return entry
        return None

    def with_entry(self, entry: Entry) -> StoreFile:
        """Replaces an entry of the same service and user name, else appends."""
        kept = tuple(e for e in self.entries if (e.service, e.username) != _name(entry))
        return StoreFile(self.header, self.check_nonce, self.check_ciphertext, (*kept, entry))

    def without(self, service: str, username: str) -> StoreFile:
        kept = tuple(e for e in self.entries if (e.service, e.username) != (service, username))
        return StoreFile(self.header, self.check_nonce, self.check_ciphertext, kept)


def _name(entry: Entry) -> tuple[str, str]:
    return entry.service, entry.username


class Unlocked:
    """A derived key, bound to the header it was derived for. Its repr never shows the key."""

    def __init__(self, header: Header, key: bytes) -> None:
        self.header = header
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return f"Unlocked(kdf={self.header.kdf.name!r})"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a derived key cannot be pickled")

    def new_store(self) -> StoreFile:
        nonce = os.urandom(NONCE_BYTES)
        check = self._aead.encrypt(nonce, _CHECK_TEXT, _check_aad(self.header))
        return StoreFile(self.header, nonce, check)

    def verify(self, store: StoreFile, path: Path) -> None:
        """Raises ``WrongPassphrase`` unless this key opens ``store``."""
        if store.header.canonical != self.header.canonical:
            raise WrongPassphrase(path)
        try:
            self._aead.decrypt(store.check_nonce, store.check_ciphertext, _check_aad(store.header))
        except InvalidTag:
            failed = True
        else:
            failed = False
        if failed:  # raised outside the except block: no chained context
            raise WrongPassphrase(path)

    def seal(self, service: str, username: str, secret: str) -> Entry:
        nonce = os.urandom(NONCE_BYTES)
        plain = secret.encode("utf-8", "surrogatepass")
        aad = _entry_aad(self.header, service, username)
        return Entry(service, username, nonce, self._aead.encrypt(nonce, plain, aad))

    def open(self, entry: Entry, path: Path) -> str:
        aad = _entry_aad(self.header, entry.service, entry.username)
        plain: bytes | None
        try:
            plain = self._aead.decrypt(entry.nonce, entry.ciphertext, aad)
        except InvalidTag:
            plain = None
        if plain is None:
            raise TamperedStoreFile(
                path,
                f"the entry of {entry.username!r} (service {entry.service!r}) fails its "
                "authentication",
            )
        return plain.decode("utf-8", "surrogatepass")


def _check_aad(header: Header) -> bytes:
    return b"qlik-tui-keys 1 check\n" + header.canonical


def _entry_aad(header: Header, service: str, username: str) -> bytes:
    parts = [p.encode("utf-8", "surrogatepass") for p in (service, username)]
    prefixed = b"".join(struct.pack(">I", len(p)) + p for p in parts)
    return b"qlik-tui-keys 1 entry\n" + header.digest + prefixed


# -- encoding ------------------------------------------------------------------------------------


def encode(store: StoreFile) -> bytes:
    body = {
        **store.header.as_json(),
        "check": {"nonce": _b64(store.check_nonce), "ciphertext": _b64(store.check_ciphertext)},
        "entries": [
            {
                "service": entry.service,
                "username": entry.username,
                "nonce": _b64(entry.nonce),
                "ciphertext": _b64(entry.ciphertext),
            }
            for entry in store.entries
        ],
    }
    lines = MAGIC + str(FORMAT_VERSION).encode() + b"\n" + _canonical_json(body) + b"\n"
    return lines + _TRAILER_PREFIX + hashlib.sha256(lines).hexdigest().encode() + b"\n"


def decode(data: bytes, path: Path) -> StoreFile:
    """The file's contents, checked; raises the ``DamagedStoreFile`` or ``NewerFormatVersion``
    that says what is wrong. Decrypts nothing."""
    first_end = data.find(b"\n", 0, _LONGEST_FIRST_LINE + 1)
    if first_end < 0:
        if len(data) <= _LONGEST_FIRST_LINE and (MAGIC.startswith(data) or data.startswith(MAGIC)):
            raise TruncatedStoreFile(path)
        raise UnrecognisedStoreFile(path)
    first = data[:first_end]
    if not first.startswith(MAGIC):
        raise UnrecognisedStoreFile(path)
    version_text = first[len(MAGIC) :]
    if not _VERSION_DIGITS.match(version_text):
        raise UnrecognisedStoreFile(path, f"its format version {version_text!r} is not a number")
    version = int(version_text)
    if version > FORMAT_VERSION:
        raise NewerFormatVersion(path, version, FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise UnrecognisedStoreFile(path, f"format version {version} never existed")

    rest = data[first_end + 1 :]
    if not rest.endswith(b"\n") or rest.count(b"\n") < 2:
        raise TruncatedStoreFile(path)
    if rest.count(b"\n") != 2 or not _TRAILER.match(rest[-_TRAILER_BYTES:]):
        raise TamperedStoreFile(path, "its layout is not three lines ending in a checksum")
    checked = data[: len(data) - _TRAILER_BYTES]
    expected = hashlib.sha256(checked).hexdigest().encode()
    if expected != rest[-_TRAILER_BYTES + len(_TRAILER_PREFIX) : -1]:
        raise TamperedStoreFile(path, "its checksum does not match its contents")
    try:
        return _parse_body(rest[: -_TRAILER_BYTES - 1])
    except _Malformed as exc:
        what = str(exc)
    raise TamperedStoreFile(path, what)


class _Malformed(Exception):
    pass


def _parse_body(body: bytes) -> StoreFile:
    try:
        parsed = json.loads(body.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise _Malformed("its contents are not JSON") from None
    top = _object(parsed, "the file", {"cipher", "kdf", "check", "entries"})
    if top["cipher"] != CIPHER:
        raise _Malformed(f"it names an unknown cipher {top['cipher']!r}")
    header = _parse_kdf(top["kdf"])
    check = _object(top["check"], "the check", {"nonce", "ciphertext"})
    check_nonce = _bytes(check["nonce"], "the check's nonce", exact=NONCE_BYTES)
    check_ciphertext = _bytes(check["ciphertext"], "the check", minimum=TAG_BYTES)
    raw_entries = top["entries"]
    if not isinstance(raw_entries, list):
        raise _Malformed("its entries are not a list")
    entries: list[Entry] = []
    seen: set[tuple[str, str]] = set()
    for raw in raw_entries:
        item = _object(raw, "an entry", {"service", "username", "nonce", "ciphertext"})
        service, username = item["service"], item["username"]
        if not isinstance(service, str) or not isinstance(username, str):
            raise _Malformed("an entry's service or user name is not text")
        if (service, username) in seen:
            raise _Malformed(f"the entry of {username!r} (service {service!r}) appears twice")
        seen.add((service, username))
        nonce = _bytes(item["nonce"], "an entry's nonce", exact=NONCE_BYTES)
        ciphertext = _bytes(item["ciphertext"], "an entry", minimum=TAG_BYTES)
        entries.append(Entry(service, username, nonce, ciphertext))
    return StoreFile(header, check_nonce, check_ciphertext, tuple(entries))


def _parse_kdf(raw: object) -> Header:
    if not isinstance(raw, dict):
        raise _Malformed("its key derivation settings are not an object")
    name = raw.get("name")
    kdf: KdfParams
    try:
        if name == Argon2idParams.name:
            values = _object(raw, "the Argon2id settings", _fields(Argon2idParams))
            kdf = Argon2idParams(
                iterations=_int(values["iterations"]),
                lanes=_int(values["lanes"]),
                memory_cost_kib=_int(values["memory_cost_kib"]),
            )
        elif name == ScryptParams.name:
            values = _object(raw, "the scrypt settings", _fields(ScryptParams))
            kdf = ScryptParams(n=_int(values["n"]), r=_int(values["r"]), p=_int(values["p"]))
        else:
            raise _Malformed(f"it names an unknown key derivation {name!r}")
    except ValueError as exc:
        raise _Malformed(f"its key derivation settings are out of bounds ({exc})") from None
    salt = _bytes(raw["salt"], "the salt", exact=SALT_BYTES)
    return Header(kdf=kdf, salt=salt)


def _fields(params: type[Argon2idParams] | type[ScryptParams]) -> set[str]:
    return set(params().as_json()) | {"salt"}


def _object(value: object, what: str, keys: set[str]) -> Mapping[str, object]:
    if not isinstance(value, dict) or set(value) != keys:
        raise _Malformed(f"{what} does not have exactly the fields {sorted(keys)}")
    return value


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("a setting is not an integer")
    return value


def _bytes(value: object, what: str, *, exact: int | None = None, minimum: int = 0) -> bytes:
    if not isinstance(value, str):
        raise _Malformed(f"{what} is not base64 text")
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise _Malformed(f"{what} is not base64") from None
    if _b64(decoded) != value:
        raise _Malformed(f"{what} is not canonical base64")
    if (exact is not None and len(decoded) != exact) or len(decoded) < minimum:
        raise _Malformed(f"{what} has the wrong length")
    return decoded


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
