"""What a renewal keeps on disk beside the profiles file: a lock per profile, and a journal of
the renewals whose create may have left a key on the tenant.

CONTRACT:
    renewal_lock(profiles_path, name) -> LockFile      # held around one profile's whole renewal
    journal = RenewalJournal(profiles_path)
    journal.add(PendingRenewal(...))                   # before the create is sent
    journal.remove(profile, marker)                    # once every key it made is accounted for
    journal.pending(profile=None) -> list[PendingRenewal]
A ``PendingRenewal`` that outlives its run (SIGKILL, power loss) tells the next run which tag
the lost key's description carries. Only key ids and tags are written: never a key.
Raises ``OSError`` (or ``LockTimeout``) when the folder or file cannot be used.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from qlik_tui.store.files import make_private_dirs, write_atomically
from qlik_tui.store.lockfile import LockFile

JOURNAL_NAME = "renewals-pending.json"
_JOURNAL_LOCK_S = 10.0
_MOST_BYTES = 1024 * 1024  # a journal is a few entries; anything larger is not ours


def renewal_lock(profiles_path: Path, name: str) -> LockFile:
    """The lock of profile ``name``'s renewals (one try: a second renewal stops, not waits).
    The file name is a digest: profile names may hold any character."""
    make_private_dirs(profiles_path.parent)
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]
    return LockFile(profiles_path.with_name(f"renewal-{digest}.lock"), timeout_s=0.0)


@dataclass(frozen=True)
class PendingRenewal:
    profile: str
    marker: str  # the tag in the new key's description (see services/strays.py)
    old_key_id: str | None  # the key the renewal started from
    started: str  # ISO 8601, UTC


class RenewalJournal:
    def __init__(self, profiles_path: Path) -> None:
        self.path = profiles_path.with_name(JOURNAL_NAME)
        self._lock_path = self.path.with_name(JOURNAL_NAME + ".lock")

    def __repr__(self) -> str:
        return f"RenewalJournal({str(self.path)!r})"

    def pending(self, profile: str | None = None) -> list[PendingRenewal]:
        entries = self._read()
        return [e for e in entries if profile is None or e.profile == profile]

    def add(self, entry: PendingRenewal) -> None:
        make_private_dirs(self.path.parent)
        with LockFile(self._lock_path, timeout_s=_JOURNAL_LOCK_S):
            self._write([*self._read(), entry])

    def remove(self, profile: str, marker: str) -> None:
        if not self.path.exists():
            return
        with LockFile(self._lock_path, timeout_s=_JOURNAL_LOCK_S):
            entries = self._read()
            kept = [e for e in entries if (e.profile, e.marker) != (profile, marker)]
            if kept != entries:
                self._write(kept)

    def _read(self) -> list[PendingRenewal]:
        """The entries; a missing, foreign or damaged file reads as none (it only ever adds
        reports, so nothing is lost by ignoring it)."""
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags)
        except FileNotFoundError:
            return []
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return []
            raw = file.read(_MOST_BYTES + 1)
        try:
            items = json.loads(raw.decode("utf-8")) if len(raw) <= _MOST_BYTES else []
        except (UnicodeDecodeError, ValueError):
            return []
        if not isinstance(items, list):
            return []
        return [entry for item in items if (entry := _entry(item)) is not None]

    def _write(self, entries: list[PendingRenewal]) -> None:
        data = json.dumps([asdict(e) for e in entries], indent=2).encode("utf-8")
        write_atomically(self.path, data)


def _entry(item: object) -> PendingRenewal | None:
    if not isinstance(item, dict):
        return None
    profile, marker = item.get("profile"), item.get("marker")
    old, started = item.get("old_key_id"), item.get("started")
    if not (isinstance(profile, str) and isinstance(marker, str) and isinstance(started, str)):
        return None
    if old is not None and not isinstance(old, str):
        return None
    return PendingRenewal(profile, marker, old, started)
