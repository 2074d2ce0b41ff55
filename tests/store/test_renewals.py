"""The renewal lock and journal beside the profiles file: real files, real ``flock``."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from qlik_tui.store.lockfile import LockTimeout
from qlik_tui.store.renewals import PendingRenewal, RenewalJournal, renewal_lock


def _entry(profile: str = "prod", marker: str = "0123456789ab") -> PendingRenewal:
    return PendingRenewal(profile, marker, "old-key-id", "2026-12-06T16:00:00+00:00")


def test_the_journal_keeps_entries_until_removed(tmp_path: Path) -> None:
    profiles = tmp_path / "config" / "profiles.json"
    journal = RenewalJournal(profiles)
    assert journal.pending() == []
    journal.add(_entry())
    journal.add(_entry("other", "ba9876543210"))
    assert journal.pending("prod") == [_entry()]
    assert RenewalJournal(profiles).pending() == [_entry(), _entry("other", "ba9876543210")]
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    journal.remove("prod", "0123456789ab")
    assert journal.pending() == [_entry("other", "ba9876543210")]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"profile": "prod"}', b'[{"profile": 1}, "x", null]', b"\xff\xfe"],
    ids=["broken", "object", "wrong-items", "not-utf8"],
)
def test_a_damaged_journal_reads_as_empty_and_is_rewritten(tmp_path: Path, content: bytes) -> None:
    journal = RenewalJournal(tmp_path / "profiles.json")
    journal.path.write_bytes(content)
    assert journal.pending() == []
    journal.add(_entry())
    assert journal.pending() == [_entry()]


def test_a_fifo_at_the_journal_path_reads_as_empty_without_blocking(tmp_path: Path) -> None:
    journal = RenewalJournal(tmp_path / "profiles.json")
    os.mkfifo(journal.path)
    assert journal.pending() == []


def test_one_renewal_lock_per_profile(tmp_path: Path) -> None:
    profiles = tmp_path / "new-folder" / "profiles.json"
    first = renewal_lock(profiles, "prod")
    first.acquire()
    try:
        with pytest.raises(LockTimeout):  # a second holder of the same profile stops at once
            renewal_lock(profiles, "prod").acquire()
        with renewal_lock(profiles, "prod/../other name"):  # another profile is not held
            pass
    finally:
        first.release()
    with renewal_lock(profiles, "prod"):  # free again once released
        pass
