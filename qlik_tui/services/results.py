"""What the services answer with: typed results that the CLI and the TUI only render.

Free of httpx, keyring and Textual, so a front end can name these types without loading them.

(The live test's and the re-check's own results, ``VerifyReport`` and ``CheckResult``, are in
``services.check_results``: checking loads only those.)

Storing a key (``services.storing.store_key``):
    StoredKey             the key and its profile were both written; what it replaced
    KeyNotStored          (an exception) nothing new is stored; where it stopped, and whether the
                          keyring is exactly as before (``keyring``) or the restore failed
    HalfStoredKeyRemoval  (``remove_half_stored_key``) discarding the entry a failed store left
Forgetting a profile (``services.forgetting.forget_profile``):
    ForgetResult          what was removed (key, profile) and what is left
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from qlik_tui.store.key_stores import KeyStoreKind
from qlik_tui.store.profiles import Profile, looks_like_key, quoted_name


class StoreStep(str, Enum):
    """Where a store attempt stopped."""

    NAME = "name"  # the profile name was refused: nothing was touched
    NAME_TAKEN = "name-taken"  # a profile has this name and replacing was not asked for
    PROFILES_FILE = "profiles-file"  # the profiles file cannot be locked, read or written
    KEYRING = "keyring"  # the keyring could not be read or refused the key
    PROFILES_WRITE = "profiles-write"  # the keyring took the key, the profiles file did not


class KeyringState(str, Enum):
    """The keyring entry of the profile after a failed store attempt."""

    UNCHANGED = "unchanged"  # never written
    PUT_BACK = "put-back"  # written, then put back exactly as it was (checked by reading it)
    NOT_RESTORED = "not-restored"  # written, and putting it back failed: see restore_problem


class Removal(str, Enum):
    REMOVED = "removed"
    ABSENT = "absent"  # there was nothing to remove
    FAILED = "failed"
    NOT_TRIED = "not-tried"  # an earlier step failed, so this one was left as it was


@dataclass(frozen=True)
class StoredKey:
    """The key is in its store and its profile in the profiles file.

    When the replaced profile's key was in the other store (``moved_from``), ``old_copy`` says
    what became of that copy: REMOVED, ABSENT (the other store held none), or FAILED (it is
    still there: ``old_copy_problem``/``old_copy_fix``; the new key is stored all the same).
    ``old_copy`` is NOT_TRIED when the key did not move."""

    profile: Profile
    backend: str  # the store's backend name ("qlik-tui encrypted file" for the file)
    where: str  # the store described for people
    replaced: Profile | None = None  # the profile (and so the key) this one replaced
    replaced_unlisted_entry: bool = False  # the store held an entry no profile listed
    moved_from: KeyStoreKind | None = None  # the store the replaced profile's key was in
    old_copy: Removal = Removal.NOT_TRIED
    old_copy_problem: str | None = None
    old_copy_fix: str | None = None
    # Other profiles that hold the same key (same key id on the same tenant), by name.
    shared_with: tuple[str, ...] = ()

    @property
    def replaced_key_id(self) -> str | None:
        return self.replaced.key_id if self.replaced else None

    @property
    def unchanged(self) -> bool:
        """The profile already held this very key, in this store: storing changed nothing."""
        old = self.replaced
        return (
            old is not None
            and old.key_id is not None
            and old.key_id == self.profile.key_id
            and old.origin == self.profile.origin
            and self.moved_from is None
        )

    def shared_note(self) -> str | None:
        """The sentence naming the other profiles that hold this key, or None."""
        if not self.shared_with:
            return None
        names = ", ".join(quoted_name(n) for n in self.shared_with)
        plural = "s" if len(self.shared_with) > 1 else ""
        return (
            f"Key {self.profile.key_id} is also stored in profile{plural} {names}: renewing it "
            "(rotate) renews it there too; revoking it stops every profile that holds it."
        )

    @property
    def old_copy_removed(self) -> bool:
        return self.old_copy is Removal.REMOVED

    def move_note(self) -> str | None:
        """After a move: the sentence saying the old copy was removed; None otherwise (a
        failed removal is ``old_copy_warning``)."""
        if self.old_copy is Removal.REMOVED:
            return "Removed the replaced key from the store it was in before."
        return None

    def old_copy_warning(self) -> str | None:
        """After a move whose old copy could not be removed: what is left where, and that the
        new key is stored regardless. None otherwise."""
        if self.old_copy is not Removal.FAILED or self.moved_from is None:
            return None
        name = quoted_name(self.profile.name)
        fix = f" {self.old_copy_fix}" if self.old_copy_fix else ""
        return (
            f"the replaced key is still in the other store: {self.old_copy_problem} "
            f"The new key is stored regardless; the {self.moved_from.label} still holds the "
            f"old key of {name}, which no profile lists now.{fix}"
        )

    def replacement_note(self) -> str | None:
        """A sentence naming what was replaced, or None when nothing was."""
        name = quoted_name(self.profile.name)
        if self.unchanged:
            return f"Profile {name} already held key {self.profile.key_id}: it is unchanged."
        if self.replaced is not None:
            key_id = self.replaced.key_id or "(no key id)"
            return f"Replaced key {key_id}, which profile {name} held before."
        if self.replaced_unlisted_entry:
            return (
                f"Replaced a key that {self.backend} held under {name} without a profile "
                "listing it."
            )
        return None


class KeyNotStored(Exception):
    """A store attempt that did not complete. ``summary()`` says what is stored now."""

    def __init__(
        self,
        step: StoreStep,
        problem: str,
        fix: str,
        *,
        name: str,
        backend: str = "",
        keyring: KeyringState = KeyringState.UNCHANGED,
        previous_existed: bool = False,
        restore_problem: str | None = None,
        existing: Profile | None = None,
        store: KeyStoreKind = KeyStoreKind.KEYRING,
    ) -> None:
        self.step = step
        self.problem = problem
        self.fix = fix
        self.name = "" if looks_like_key(name) else name  # a key typed as a name is not kept
        self.backend = backend  # "" when the keyring could not even be opened
        self.keyring = keyring
        self.previous_existed = previous_existed  # the keyring held an entry before the attempt
        self.restore_problem = restore_problem
        self.existing = existing  # with NAME_TAKEN: the profile that holds the name
        self.store = store  # the store the key was to go to
        super().__init__(problem)

    @property
    def _store_words(self) -> str:
        return "the keyring" if self.store is KeyStoreKind.KEYRING else "the encrypted key file"

    @property
    def _where(self) -> str:
        """The store, named for people: the keyring's backend, or the encrypted key file."""
        if self.store is KeyStoreKind.ENCRYPTED_FILE:
            return self._store_words
        return self.backend or self._store_words

    @property
    def nothing_stored(self) -> bool:
        """True when the keyring and the profiles file are exactly as before the attempt."""
        return self.keyring is not KeyringState.NOT_RESTORED

    @property
    def new_entry_left(self) -> bool:
        """The attempt created a keyring entry (none was there before) and it is still there."""
        return self.keyring is KeyringState.NOT_RESTORED and not self.previous_existed

    def keyring_note(self) -> str | None:
        """After a put-back: what the keyring entry holds now; None when it was never written."""
        if self.keyring is not KeyringState.PUT_BACK:
            return None
        name = quoted_name(self.name)
        where = self._where
        if self.previous_existed:
            return f"The key that profile {name} held before was put back in {where}."
        return f"{where[:1].upper()}{where[1:]} holds no entry for {name}, as before."

    def summary(self) -> str:
        """What is stored now, in one or two true sentences."""
        name = quoted_name(self.name)
        where = self._where
        if self.keyring is KeyringState.UNCHANGED:
            return (
                f"The key was not stored; {self._store_words} and the profiles file are unchanged."
            )
        if self.keyring is KeyringState.PUT_BACK:
            if self.previous_existed:
                return (
                    f"The key was not stored; the key that profile {name} held before was put "
                    f"back in {where}, and the profiles file is unchanged."
                )
            return (
                f"The key was not stored; {where} holds no entry for {name} (as before), and "
                "the profiles file is unchanged."
            )
        restore = f" ({self.restore_problem})" if self.restore_problem else ""
        if self.previous_existed:
            return (
                f"The new key is in {where} under {name}, replacing the key stored there "
                f"before, which could not be put back{restore}. The profiles file still "
                "describes the old key."
            )
        return (
            f"The new key is in {where} under {name} and could not be removed again"
            f"{restore}, but no profile lists it."
        )


class HalfStoredKeyStatus(str, Enum):
    """What discarding a half-stored key did."""

    REMOVED = "removed"
    ABSENT = "absent"  # the store held no entry under the name (nothing to remove)
    LISTED = "listed"  # a profile lists the name now: its key was left as it is
    FAILED = "failed"  # the store or the profiles file refused: see problem and fix


@dataclass(frozen=True)
class HalfStoredKeyRemoval:
    """The result of ``remove_half_stored_key``: ``problem``/``fix`` when it FAILED."""

    name: str
    status: HalfStoredKeyStatus
    backend: str  # the store's backend name; "" when it could not even be opened
    problem: str | None = None
    fix: str | None = None

    @property
    def gone(self) -> bool:
        """No half-stored entry is left (removed, or there was none)."""
        return self.status in (HalfStoredKeyStatus.REMOVED, HalfStoredKeyStatus.ABSENT)

    def summary(self) -> str:
        name = quoted_name(self.name)
        where = f"the key store ({self.backend})" if self.backend else "the key store"
        if self.status is HalfStoredKeyStatus.REMOVED:
            return f"Discarded: the new key was removed from {where}; nothing is stored for {name}."
        if self.status is HalfStoredKeyStatus.ABSENT:
            return f"Discarded: {where} holds no entry for {name}; nothing is stored for it."
        if self.status is HalfStoredKeyStatus.LISTED:
            return (
                f"Kept: a profile named {name} exists now, so the key {where} holds for it was "
                "left as it is."
            )
        return (
            f"The new key is still in {where} under {name} ({self.problem}), but no profile "
            "lists it."
        )


@dataclass(frozen=True)
class ForgetResult:
    """What ``forget_profile`` removed and what is left; ``problem``/``fix`` when a part failed."""

    name: str
    key: Removal
    profile: Removal
    backend: str
    profiles_path: Path
    problem: str | None = None
    fix: str | None = None
    store: KeyStoreKind = KeyStoreKind.KEYRING  # where the key was kept

    @property
    def where(self) -> str:
        """The store the key was removed from, named for people: the keyring's backend, or
        qlik-tui's encrypted key file."""
        if self.store is KeyStoreKind.ENCRYPTED_FILE:
            return "qlik-tui's encrypted key file"
        return self.backend or "the keyring"

    @property
    def complete(self) -> bool:
        """Nothing of the profile is left (the key and the profile are removed or were absent)."""
        done = (Removal.REMOVED, Removal.ABSENT)
        return self.key in done and self.profile in done

    @property
    def found(self) -> bool:
        """There was something under this name (a key or a profile)."""
        return not (self.key is Removal.ABSENT and self.profile is Removal.ABSENT)

    @property
    def key_removed(self) -> bool:
        return self.key is Removal.REMOVED

    @property
    def profile_removed(self) -> bool:
        return self.profile is Removal.REMOVED

    def summary(self) -> str:
        """What was removed and what is left, in true sentences."""
        name = quoted_name(self.name)
        where = self.where
        if self.complete:
            if self.key_removed and self.profile_removed:
                return f"Forgot {name}: removed its key from {where} and its profile."
            if self.profile_removed:
                return f"Forgot {name}: {where} held no key; removed its profile."
            if self.key_removed:
                return f"Forgot {name}: removed its key from {where}; no profile listed it."
            return f"There is no profile or key named {name}."
        if self.key is Removal.NOT_TRIED:
            return (
                f"Nothing was removed: the profiles file {self.profiles_path} could not be "
                f"changed, so the key and the profile {name} are both kept."
            )
        if self.key is Removal.FAILED:
            return (
                f"Nothing was removed: {where} refused to delete the key, so the key and the "
                f"profile {name} are both kept."
            )
        return (
            f"Removed the key of {name} from {where}, but the profiles file "
            f"{self.profiles_path} could not be written: {name} is still listed, without a "
            "key. Forget it again once the file is fixed."
        )
