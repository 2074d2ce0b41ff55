"""EncryptedFileKeyring: qlik-tui's passphrase-encrypted key file, on real files."""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import os
import pickle
import pty
import select
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keyring.errors import PasswordDeleteError

from qlik_tui.store.encrypted_errors import (
    DamagedStoreFile,
    EncryptedStoreError,
    NewerFormatVersion,
    PassphraseTooShort,
    PassphraseUnavailable,
    StoreFileLocked,
    TamperedStoreFile,
    TruncatedStoreFile,
    UnrecognisedStoreFile,
    WrongPassphrase,
)
from qlik_tui.store.encrypted_file import EncryptedFileKeyring, default_store_path
from qlik_tui.store.encrypted_format import (
    FORMAT_VERSION,
    Argon2idParams,
    Header,
    ScryptParams,
    argon2id_available,
    default_kdf_params,
    derive_key,
)
from qlik_tui.store.errors import StoreError
from qlik_tui.store.lockfile import LockFile
from qlik_tui.store.passphrase import (
    PASSPHRASE_FILE_VARIABLE,
    passphrase_from_environment,
    read_passphrase_file,
)
from tests.store._encrypted_writer import write_entries
from tests.store.helpers import assert_no_secret, fake_key_text, files_containing, secret_needles

FAST = Argon2idParams(iterations=1, lanes=1, memory_cost_kib=8)
PASSPHRASE = "correct horse battery staple"
SERVICE = "qlik-tui"


class CountingPassphrase:
    def __init__(self, text: str = PASSPHRASE) -> None:
        self.text = text
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return self.text


def never_asked() -> str:
    raise AssertionError("the passphrase was asked for")


def make(path: Path, passphrase: Callable[[], str] | str = PASSPHRASE) -> EncryptedFileKeyring:
    source = passphrase if callable(passphrase) else CountingPassphrase(passphrase)
    return EncryptedFileKeyring(path, source, kdf=FAST, lock_timeout_s=5)


@pytest.fixture()
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "qlik-tui" / "keys.encrypted"


@pytest.fixture()
def stored(path: Path) -> tuple[Path, str]:
    """A file holding two entries; returns its path and the key stored for "work"."""
    key = fake_key_text()
    keyring = make(path)
    keyring.set_password(SERVICE, "work", key)
    keyring.set_password(SERVICE, "home", "the home secret")
    return path, key


def snapshot(directory: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``directory``: its mode and bytes."""
    return {
        str(p.relative_to(directory)): (p.stat().st_mode, p.read_bytes())
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def body(path: Path) -> dict[str, object]:
    return json.loads(path.read_bytes().split(b"\n")[1])  # type: ignore[no-any-return]


def rewrite(path: Path, change: Callable[[dict[str, object]], None]) -> None:
    """Change the file's JSON and recompute its checksum, as a deliberate attacker would."""
    first = path.read_bytes().split(b"\n")[0]
    data = body(path)
    change(data)
    lines = first + b"\n" + json.dumps(data, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    path.write_bytes(lines + b"sha256 " + hashlib.sha256(lines).hexdigest().encode() + b"\n")


def flip(text: object, index: int) -> str:
    assert isinstance(text, str)
    raw = bytearray(base64.b64decode(text))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def entry(data: dict[str, object], username: str) -> dict[str, object]:
    entries = data["entries"]
    assert isinstance(entries, list)
    found = [item for item in entries if item["username"] == username]
    assert len(found) == 1
    return found[0]  # type: ignore[no-any-return]


def kdf_of(data: dict[str, object]) -> dict[str, object]:
    kdf = data["kdf"]
    assert isinstance(kdf, dict)
    return kdf


def assert_refused_and_unchanged(
    path: Path, error: type[BaseException], passphrase: str = PASSPHRASE
) -> EncryptedStoreError:
    """Reading, writing and unlocking all raise ``error``; the directory is byte-identical."""
    before = snapshot(path.parent)
    keyring = make(path, passphrase)
    with pytest.raises(error) as read:
        keyring.get_password(SERVICE, "work")
    with pytest.raises(error):
        keyring.set_password(SERVICE, "work", "replacement")
    with pytest.raises(error):
        keyring.set_password(SERVICE, "other", "a new entry")
    with pytest.raises(error):
        keyring.unlock()
    assert snapshot(path.parent) == before
    problem = read.value
    assert isinstance(problem, EncryptedStoreError)
    assert isinstance(problem, StoreError)
    assert problem.problem and problem.fix
    assert str(path) in problem.problem
    return problem


# -- round trip ----------------------------------------------------------------------------------


def test_round_trip_in_one_instance_and_in_a_fresh_one(path: Path) -> None:
    passphrase = CountingPassphrase()
    keyring = make(path, passphrase)
    key = fake_key_text()

    assert keyring.exists() is False
    keyring.set_password(SERVICE, "work", key)
    keyring.set_password(SERVICE, "home", "first")
    keyring.set_password(SERVICE, "home", "second")  # replaces
    keyring.set_password("another-service", "work", "elsewhere")

    assert keyring.exists() is True
    assert keyring.get_password(SERVICE, "work") == key
    assert keyring.get_password(SERVICE, "home") == "second"
    assert keyring.get_password("another-service", "work") == "elsewhere"
    assert keyring.get_password(SERVICE, "nobody") is None
    assert passphrase.calls == 1  # the key is derived once per instance
    assert [item["username"] for item in body(path)["entries"]] == [  # type: ignore[union-attr]
        "work",
        "home",
        "work",
    ]

    fresh_passphrase = CountingPassphrase()
    fresh = make(path, fresh_passphrase)
    assert fresh.is_unlocked is False
    assert fresh.get_password(SERVICE, "work") == key
    assert fresh.get_password(SERVICE, "home") == "second"
    assert fresh_passphrase.calls == 1


def test_nothing_is_asked_or_created_to_read_from_a_missing_file(path: Path) -> None:
    keyring = make(path, never_asked)
    assert keyring.get_password(SERVICE, "work") is None
    assert not path.parent.exists()


def test_an_absent_entry_is_none_without_asking_for_the_passphrase(
    stored: tuple[Path, str],
) -> None:
    path, _ = stored
    assert make(path, never_asked).get_password(SERVICE, "nobody") is None


def test_unlock_asks_once_up_front_and_later_calls_do_not_ask(stored: tuple[Path, str]) -> None:
    path, key = stored
    passphrase = CountingPassphrase()
    keyring = make(path, passphrase)
    keyring.unlock()
    assert passphrase.calls == 1
    assert keyring.is_unlocked
    assert keyring.get_password(SERVICE, "work") == key
    keyring.set_password(SERVICE, "third", "value")
    assert passphrase.calls == 1


def test_unlock_before_the_file_exists_is_the_key_the_new_file_gets(path: Path) -> None:
    passphrase = CountingPassphrase()
    keyring = make(path, passphrase)
    keyring.unlock()
    assert not path.exists()
    keyring.set_password(SERVICE, "work", "value")
    assert passphrase.calls == 1
    assert make(path).get_password(SERVICE, "work") == "value"


def test_the_header_records_the_kdf_its_parameters_and_a_random_salt(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "keys", tmp_path / "b" / "keys"
    make(first).set_password(SERVICE, "work", "value")
    make(second).set_password(SERVICE, "work", "value")

    assert path_version(first) == FORMAT_VERSION
    kdf = kdf_of(body(first))
    assert {key: kdf[key] for key in kdf if key != "salt"} == {
        "name": "argon2id",
        "iterations": 1,
        "lanes": 1,
        "memory_cost_kib": 8,
    }
    assert body(first)["cipher"] == "AES-256-GCM"
    assert len(base64.b64decode(str(kdf["salt"]))) == 16
    assert kdf["salt"] != kdf_of(body(second))["salt"]
    nonces = {entry(body(p), "work")["nonce"] for p in (first, second)}
    assert len(nonces) == 2


def path_version(path: Path) -> int:
    first = path.read_bytes().split(b"\n")[0]
    assert first.startswith(b"qlik-tui-keys ")
    return int(first.removeprefix(b"qlik-tui-keys "))


def test_an_existing_file_opens_with_its_own_parameters_not_the_constructors(path: Path) -> None:
    EncryptedFileKeyring(path, lambda: PASSPHRASE, kdf=ScryptParams(n=16, r=1, p=1)).set_password(
        SERVICE, "work", "value"
    )
    assert kdf_of(body(path)) | {"salt": ""} == {
        "name": "scrypt",
        "n": 16,
        "r": 1,
        "p": 1,
        "salt": "",
    }

    other = EncryptedFileKeyring(path, lambda: PASSPHRASE, kdf=FAST)
    other.set_password(SERVICE, "home", "second")
    assert other.get_password(SERVICE, "work") == "value"
    assert kdf_of(body(path))["name"] == "scrypt"


def test_every_entry_gets_a_fresh_nonce(path: Path) -> None:
    keyring = make(path)
    keyring.set_password(SERVICE, "work", "same")
    first = entry(body(path), "work")
    keyring.set_password(SERVICE, "work", "same")
    second = entry(body(path), "work")
    keyring.set_password(SERVICE, "home", "same")
    assert first["nonce"] != second["nonce"] != entry(body(path), "home")["nonce"]
    assert first["ciphertext"] != second["ciphertext"]


def test_the_production_defaults_are_strong() -> None:
    params = default_kdf_params()
    if argon2id_available():
        assert params == Argon2idParams()
        assert (params.iterations, params.lanes, params.memory_cost_kib) == (3, 4, 131072)
    else:
        assert params == ScryptParams()
        assert (params.n, params.r, params.p) == (2**17, 8, 1)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    service=st.text(min_size=1, max_size=40),
    username=st.text(min_size=1, max_size=40),
    secret=st.text(max_size=300),
)
def test_any_text_round_trips(tmp_path: Path, service: str, username: str, secret: str) -> None:
    path = tmp_path / f"hypothesis-{os.urandom(6).hex()}" / "keys.encrypted"
    writer = make(path)
    writer.set_password(service, username, secret)
    writer.set_password(service, username + "\x00other", "neighbour")
    assert writer.get_password(service, username) == secret
    assert make(path).get_password(service, username) == secret
    assert make(path).get_password(service + "x", username) is None


# -- wrong passphrase, damaged files -------------------------------------------------------------


def test_a_wrong_passphrase_is_refused_and_changes_nothing(stored: tuple[Path, str]) -> None:
    path, _ = stored
    problem = assert_refused_and_unchanged(
        path, WrongPassphrase, passphrase="Correct horse battery staple"
    )
    assert "passphrase does not unlock" in problem.problem
    assert "passphrase you chose" in problem.fix


def test_deleting_a_missing_entry_changes_nothing(
    stored: tuple[Path, str],
) -> None:
    path, _ = stored
    before = snapshot(path.parent)
    with pytest.raises(PasswordDeleteError):
        make(path, "wrong passphrase!").delete_password(SERVICE, "nobody")
    assert snapshot(path.parent) == before


def test_every_truncation_is_refused_and_changes_nothing(stored: tuple[Path, str]) -> None:
    path, _ = stored
    whole = path.read_bytes()
    for length in range(len(whole)):
        path.write_bytes(whole[:length])
        problem = assert_refused_and_unchanged(path, TruncatedStoreFile)
        assert "incomplete" in problem.problem


def test_every_flipped_byte_is_refused_and_changes_nothing(stored: tuple[Path, str]) -> None:
    path, _ = stored
    whole = path.read_bytes()
    version_at = whole.index(b"\n") - 1
    for index in range(len(whole)):
        for bit in (0x01, 0x80):
            changed = bytearray(whole)
            changed[index] ^= bit
            path.write_bytes(bytes(changed))
            expected: type[EncryptedStoreError] = DamagedStoreFile
            if index == version_at and bit == 0x01:  # "1" -> "0": a version that never existed
                expected = UnrecognisedStoreFile
            assert_refused_and_unchanged(path, expected)


def test_a_raw_flip_in_the_ciphertext_names_tampering(stored: tuple[Path, str]) -> None:
    path, _ = stored
    data = path.read_bytes()
    at = data.index(b'"ciphertext":"') + len(b'"ciphertext":"') + 3
    path.write_bytes(data[:at] + bytes([data[at] ^ 0x02]) + data[at + 1 :])
    problem = assert_refused_and_unchanged(path, TamperedStoreFile)
    assert "checksum does not match" in problem.problem


@pytest.mark.parametrize(
    ("part", "byte"),
    [("nonce", 0), ("nonce", 11), ("ciphertext", 0), ("tag", -1), ("tag", -16)],
)
def test_an_altered_entry_with_a_recomputed_checksum_is_refused(
    stored: tuple[Path, str], part: str, byte: int
) -> None:
    path, key = stored

    def alter(data: dict[str, object]) -> None:
        work = entry(data, "work")
        field = "nonce" if part == "nonce" else "ciphertext"
        work[field] = flip(work[field], byte)

    rewrite(path, alter)
    before = snapshot(path.parent)
    keyring = make(path)
    with pytest.raises(TamperedStoreFile) as raised:
        keyring.get_password(SERVICE, "work")
    assert "fails its authentication" in raised.value.problem
    assert_no_secret(raised.value, key)
    assert keyring.get_password(SERVICE, "home") == "the home secret"  # untouched entries
    assert snapshot(path.parent) == before


@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(lambda d: kdf_of(d).update(salt=flip(kdf_of(d)["salt"], 0)), id="salt"),
        pytest.param(lambda d: kdf_of(d).update(iterations=2), id="iterations"),
        pytest.param(lambda d: kdf_of(d).update(memory_cost_kib=16), id="memory"),
        pytest.param(
            lambda d: d["check"].update(nonce=flip(d["check"]["nonce"], 3)),  # type: ignore[attr-defined,index]
            id="check-nonce",
        ),
        pytest.param(
            lambda d: d["check"].update(ciphertext=flip(d["check"]["ciphertext"], 0)),  # type: ignore[attr-defined,index]
            id="check-ciphertext",
        ),
    ],
)
def test_an_altered_header_with_a_recomputed_checksum_unlocks_nothing(
    stored: tuple[Path, str], alter: Callable[[dict[str, object]], None]
) -> None:
    path, _ = stored
    rewrite(path, alter)
    problem = assert_refused_and_unchanged(path, WrongPassphrase)
    assert "or the file's header was altered" in problem.problem


@pytest.mark.parametrize(
    ("alter", "what"),
    [
        (lambda d: d.update(cipher="AES-128-CBC"), "unknown cipher"),
        (lambda d: kdf_of(d).update(name="pbkdf2"), "unknown key derivation"),
        (lambda d: kdf_of(d).update(memory_cost_kib=2**40), "out of bounds"),
        (lambda d: kdf_of(d).update(iterations=10**6), "out of bounds"),
        (lambda d: kdf_of(d).update(lanes=True), "out of bounds"),
        (lambda d: d.update(extra=1), "exactly the fields"),
        (lambda d: d["entries"].append(d["entries"][0]), "appears twice"),  # type: ignore[attr-defined,index]
        (lambda d: d.update(entries={}), "not a list"),
        (lambda d: d["check"].update(nonce="AAAA"), "wrong length"),  # type: ignore[attr-defined,index]
        (lambda d: d["check"].update(nonce="not base64!"), "not base64"),  # type: ignore[attr-defined,index]
    ],
)
def test_a_malformed_body_with_a_recomputed_checksum_is_refused(
    stored: tuple[Path, str], alter: Callable[[dict[str, object]], None], what: str
) -> None:
    path, _ = stored
    rewrite(path, alter)
    problem = assert_refused_and_unchanged(path, TamperedStoreFile)
    assert what in problem.problem


def test_entries_cannot_be_swapped_between_names(stored: tuple[Path, str]) -> None:
    path, key = stored

    def swap(data: dict[str, object]) -> None:
        work, home = entry(data, "work"), entry(data, "home")
        for field in ("nonce", "ciphertext"):
            work[field], home[field] = home[field], work[field]

    rewrite(path, swap)
    keyring = make(path)
    for username in ("work", "home"):
        with pytest.raises(TamperedStoreFile) as raised:
            keyring.get_password(SERVICE, username)
        assert_no_secret(raised.value, key)


def test_an_entry_cannot_be_moved_to_another_file_with_the_same_passphrase(
    stored: tuple[Path, str], tmp_path: Path
) -> None:
    path, _ = stored
    other = tmp_path / "other" / "keys.encrypted"
    make(other).set_password(SERVICE, "unrelated", "value")
    moved = entry(body(path), "work")
    rewrite(other, lambda data: data["entries"].append(moved))  # type: ignore[attr-defined]
    with pytest.raises(TamperedStoreFile):
        make(other).get_password(SERVICE, "work")


def test_a_file_from_a_newer_format_version_is_refused(stored: tuple[Path, str]) -> None:
    path, _ = stored
    lines = path.read_bytes().split(b"\n", 1)
    path.write_bytes(b"qlik-tui-keys 2\n" + lines[1])
    problem = assert_refused_and_unchanged(path, NewerFormatVersion)
    assert "format version 2" in problem.problem
    assert "Upgrade qlik-tui" in problem.fix

    path.write_bytes(b"qlik-tui-keys 17\nsomething else entirely, in a format not invented yet")
    assert_refused_and_unchanged(path, NewerFormatVersion)


@pytest.mark.parametrize(
    "content",
    [b"{}", b"qlik-tui-keys one\n", b"\x89PNG\r\n\x1a\n" + bytes(64), b"qlik-tui-keys 0\nx\n"],
)
def test_a_file_that_is_not_ours_is_refused(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    problem = assert_refused_and_unchanged(path, UnrecognisedStoreFile)
    assert "is not a qlik-tui encrypted key file" in problem.problem


# -- delete --------------------------------------------------------------------------------------


def test_delete_removes_only_that_entry_and_needs_no_passphrase(stored: tuple[Path, str]) -> None:
    path, _ = stored
    keyring = make(path, never_asked)
    keyring.delete_password(SERVICE, "work")
    assert keyring.get_password(SERVICE, "work") is None
    assert make(path).get_password(SERVICE, "home") == "the home secret"
    with pytest.raises(PasswordDeleteError):
        keyring.delete_password(SERVICE, "work")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_delete_on_a_missing_file_creates_nothing(path: Path) -> None:
    with pytest.raises(PasswordDeleteError):
        make(path, never_asked).delete_password(SERVICE, "work")
    assert not path.parent.exists()


def test_delete_of_a_damaged_file_is_refused(stored: tuple[Path, str]) -> None:
    path, _ = stored
    path.write_bytes(path.read_bytes()[:-5])
    before = snapshot(path.parent)
    with pytest.raises(TruncatedStoreFile):
        make(path).delete_password(SERVICE, "work")
    assert snapshot(path.parent) == before


# -- passphrases ---------------------------------------------------------------------------------


def test_a_new_file_needs_a_passphrase_of_eight_characters(path: Path) -> None:
    with pytest.raises(PassphraseTooShort) as raised:
        make(path, "seven77").set_password(SERVICE, "work", "value")
    assert "at least 8 characters" in raised.value.problem
    assert not path.parent.exists()
    make(path, "eight888").set_password(SERVICE, "work", "value")
    assert make(path, "eight888").get_password(SERVICE, "work") == "value"


@pytest.mark.parametrize("given", ["", None, b"bytes"])
def test_no_passphrase_is_refused_and_creates_nothing(path: Path, given: object) -> None:
    keyring = EncryptedFileKeyring(path, lambda: given, kdf=FAST)  # type: ignore[arg-type,return-value]
    with pytest.raises(PassphraseUnavailable):
        keyring.set_password(SERVICE, "work", "value")
    assert not path.parent.exists()


def test_a_passphrase_is_compared_after_unicode_normalisation(path: Path) -> None:
    composed, decomposed = "caf\u00e9 au lait", "cafe\u0301 au lait"
    make(path, composed).set_password(SERVICE, "work", "value")
    assert make(path, decomposed).get_password(SERVICE, "work") == "value"


def _private_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_the_passphrase_file_named_by_the_environment_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = _private_file(tmp_path / "pass", "  spaces count  \nsecond line ignored\n")
    monkeypatch.setenv(PASSPHRASE_FILE_VARIABLE, str(secret_file))
    assert passphrase_from_environment() == "  spaces count  "
    _private_file(secret_file, "windows line\r\n")
    assert passphrase_from_environment() == "windows line"
    _private_file(secret_file, "no newline at all", mode=0o400)
    assert passphrase_from_environment() == "no newline at all"


def test_the_keyring_uses_the_passphrase_file_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = _private_file(tmp_path / "pass", PASSPHRASE + "\n")
    monkeypatch.setenv(PASSPHRASE_FILE_VARIABLE, str(secret_file))
    EncryptedFileKeyring(kdf=FAST).set_password(SERVICE, "work", "value")
    assert EncryptedFileKeyring().path == default_store_path()
    assert make(default_store_path()).get_password(SERVICE, "work") == "value"
    _private_file(secret_file, "another passphrase\n")
    with pytest.raises(WrongPassphrase):
        EncryptedFileKeyring().get_password(SERVICE, "work")


@pytest.mark.parametrize(
    ("mode", "what"),
    [
        (0o644, "other users (mode 0644)"),
        (0o640, "mode 0640"),
        (0o620, "mode 0620"),
        (0o604, "0604"),
    ],
)
def test_a_passphrase_file_others_can_access_is_refused(
    tmp_path: Path, mode: int, what: str
) -> None:
    secret_file = _private_file(tmp_path / "pass", PASSPHRASE, mode)
    with pytest.raises(PassphraseUnavailable) as raised:
        read_passphrase_file(secret_file)
    assert what in raised.value.problem
    assert f"chmod 600 {secret_file}" in raised.value.fix
    assert PASSPHRASE not in str(raised.value) + raised.value.fix


def test_unusable_passphrase_files_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSPHRASE_FILE_VARIABLE, raising=False)
    with pytest.raises(PassphraseUnavailable, match="is not set"):
        passphrase_from_environment()
    monkeypatch.setenv(PASSPHRASE_FILE_VARIABLE, str(tmp_path / "missing"))
    with pytest.raises(PassphraseUnavailable, match="cannot be opened"):
        passphrase_from_environment()

    cases: list[tuple[Path, str]] = [
        (tmp_path, "not a regular file"),
        (_private_file(tmp_path / "empty", ""), "is empty"),
        (_private_file(tmp_path / "blank", "\nsecond line"), "is empty"),
        (_private_file(tmp_path / "big", "x" * 5000), "larger than 4096 bytes"),
    ]
    latin1 = tmp_path / "latin1"
    latin1.write_bytes("caf\u00e9".encode("latin-1"))
    latin1.chmod(0o600)
    cases.append((latin1, "not UTF-8"))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    cases.append((fifo, "not a regular file"))  # refused at once, not read (it would block)
    for secret_file, what in cases:
        with pytest.raises(PassphraseUnavailable) as raised:
            read_passphrase_file(secret_file)
        assert what in raised.value.problem


def test_a_symlink_to_a_private_passphrase_file_is_followed(tmp_path: Path) -> None:
    target = _private_file(tmp_path / "target", PASSPHRASE)
    link = tmp_path / "link"
    link.symlink_to(target)
    assert read_passphrase_file(link) == PASSPHRASE


# -- files, modes and concurrency ----------------------------------------------------------------


def test_file_0600_lock_0600_directory_0700_whatever_the_umask(path: Path) -> None:
    old_umask = os.umask(0)
    try:
        make(path).set_password(SERVICE, "work", "value")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.with_name(path.name + ".lock").stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700  # created by us too
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "keys.encrypted",
        "keys.encrypted.lock",
    ]


def test_an_existing_open_directory_is_made_private(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.parent.chmod(0o755)
    make(path).set_password(SERVICE, "work", "value")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_symlinked_store_file_is_not_followed(stored: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = stored
    real = tmp_path / "elsewhere"
    path.rename(real)
    path.symlink_to(real)
    with pytest.raises(EncryptedStoreError) as raised:
        make(path).get_password(SERVICE, "work")
    assert "Could not open" in raised.value.problem


def test_a_held_lock_makes_a_writer_give_up_and_change_nothing(stored: tuple[Path, str]) -> None:
    path, _ = stored
    keyring = EncryptedFileKeyring(path, lambda: PASSPHRASE, lock_timeout_s=0.05)
    before = snapshot(path.parent)
    with LockFile(keyring.lock_path):
        with pytest.raises(StoreFileLocked) as raised:
            keyring.set_password(SERVICE, "work", "replacement")
        with pytest.raises(StoreFileLocked):
            keyring.delete_password(SERVICE, "work")
        assert keyring.get_password(SERVICE, "home") == "the home secret"  # readers need no lock
    assert "stayed locked" in raised.value.problem
    assert snapshot(path.parent) == before


def test_two_processes_writing_at_once_lose_nothing(path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    writers = [
        context.Process(target=write_entries, args=(str(path), PASSPHRASE, prefix, 15, start))
        for prefix in ("left", "right")
    ]
    for writer in writers:
        writer.start()
    start.set()
    for writer in writers:
        writer.join(timeout=120)

    assert [writer.exitcode for writer in writers] == [0, 0]
    reader = make(path)
    for prefix in ("left", "right"):
        for index in range(15):
            name = f"{prefix}-{index}"
            assert reader.get_password(SERVICE, name) == f"secret of {name}"
    assert len(body(path)["entries"]) == 30  # type: ignore[arg-type]


def test_no_key_bytes_reach_the_disk_unencrypted(isolated_home: Path) -> None:
    key = fake_key_text()
    keyring = EncryptedFileKeyring(passphrase=lambda: PASSPHRASE, kdf=FAST)
    assert keyring.path.is_relative_to(isolated_home)
    keyring.set_password(SERVICE, "work", key)
    keyring.set_password(SERVICE, "home", "another")
    keyring.delete_password(SERVICE, "home")
    assert make(keyring.path).get_password(SERVICE, "work") == key

    header = Header(kdf=FAST, salt=base64.b64decode(str(kdf_of(body(keyring.path))["salt"])))
    derived = derive_key(PASSPHRASE, header)
    needles = [*secret_needles(key), PASSPHRASE.encode(), derived, derived.hex().encode()]
    for secret in (key.encode(), derived):
        for skip in range(3):  # every alignment of the secret inside a longer base64 run
            for encode in (base64.b64encode, base64.urlsafe_b64encode):
                needles.append(encode(secret[skip:]).rstrip(b"=")[2:-2])
    assert files_containing([isolated_home], needles) == []
    assert files_containing([isolated_home], [b"qlik-tui-keys 1"]) == [keyring.path]


def test_the_keyring_is_never_chosen_automatically_but_can_be_selected(
    tmp_path: Path, isolated_home: Path
) -> None:
    secret_file = _private_file(tmp_path / "pass", PASSPHRASE)
    script = (
        "import keyring\n"
        "from keyring.backends import chainer\n"
        "from qlik_tui.store.encrypted_file import EncryptedFileKeyring\n"
        "import os, sys\n"
        "if sys.argv[1] == 'detect':\n"
        "    assert EncryptedFileKeyring.viable\n"
        "    print(type(keyring.get_keyring()).__name__)\n"
        "    print([type(b).__name__ for b in chainer.ChainerBackend.backends])\n"
        "else:\n"
        "    keyring.set_password('qlik-tui', 'work', 'chosen')\n"
        "    found = keyring.get_password('qlik-tui', 'work')\n"
        "    print(type(keyring.get_keyring()).__name__, found)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    detected = subprocess.run(
        [sys.executable, "-c", script, "detect"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "EncryptedFileKeyring" not in detected.stdout
    assert detected.stdout.strip()

    env["PYTHON_KEYRING_BACKEND"] = "qlik_tui.store.encrypted_file.EncryptedFileKeyring"
    env[PASSPHRASE_FILE_VARIABLE] = str(secret_file)
    chosen = subprocess.run(
        [sys.executable, "-c", script, "use"], env=env, capture_output=True, text=True, check=True
    )
    assert chosen.stdout.split() == ["EncryptedFileKeyring", "chosen"]
    assert make(default_store_path()).get_password("qlik-tui", "work") == "chosen"


def test_repr_and_pickling_never_expose_the_key(stored: tuple[Path, str]) -> None:
    path, key = stored
    keyring = make(path)
    assert keyring.get_password(SERVICE, "work") == key
    assert repr(keyring) == f"EncryptedFileKeyring(path={str(path)!r}, unlocked)"
    assert str(keyring) == repr(keyring)
    assert PASSPHRASE not in repr(vars(keyring))
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(keyring)
    assert repr(make(path)).endswith("locked)")


def test_a_wrong_passphrase_can_be_retried_on_the_same_instance(stored: tuple[Path, str]) -> None:
    path, key = stored
    answers = iter(["a wrong guess", PASSPHRASE])
    keyring = make(path, lambda: next(answers))
    with pytest.raises(WrongPassphrase):
        keyring.unlock()
    assert keyring.is_unlocked is False
    assert keyring.get_password(SERVICE, "work") == key


def test_the_default_prompt_hides_the_passphrase_and_asks_twice_for_a_new_file(
    isolated_home: Path,
) -> None:
    script = (
        "from qlik_tui.store.encrypted_file import EncryptedFileKeyring\n"
        "from qlik_tui.store.encrypted_format import Argon2idParams\n"
        "fast = Argon2idParams(iterations=1, lanes=1, memory_cost_kib=8)\n"
        "EncryptedFileKeyring(kdf=fast).set_password('qlik-tui', 'work', 'typed value')\n"
        "print('READ:', EncryptedFileKeyring().get_password('qlik-tui', 'work'))\n"
    )
    typed = PASSPHRASE.encode() + b"\r"
    code, seen = run_in_terminal(
        [sys.executable, "-c", script],
        [
            (b"New passphrase for qlik-tui's encrypted key file: ", typed),
            (b"The same passphrase again: ", typed),
            (b"Passphrase for qlik-tui's encrypted key file: ", typed),
        ],
    )
    assert code == 0, seen.decode(errors="replace")
    assert b"READ: typed value" in seen
    assert PASSPHRASE.encode() not in seen
    assert make(default_store_path()).get_password(SERVICE, "work") == "typed value"


def run_in_terminal(command: list[str], steps: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    """Run ``command`` on a pty; for each (marker, keys) step wait for the marker, then type the
    keys. Returns the exit code and everything the terminal showed."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != PASSPHRASE_FILE_VARIABLE}
    process = subprocess.Popen(
        command,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        close_fds=True,
        start_new_session=True,  # the pty becomes the controlling terminal getpass opens
    )
    os.close(follower)
    seen = b""

    def read_until(marker: bytes | None) -> bool:
        nonlocal seen
        while marker is None or marker not in seen:
            ready, _, _ = select.select([leader], [], [], 60)
            if not ready:
                return False
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the program exited and closed the terminal
                return marker is None
            if not chunk:
                return marker is None
            seen += chunk
        return True

    try:
        for marker, keys in steps:
            if not read_until(marker):
                break
            os.write(leader, keys)
        read_until(None)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    return code, seen
