"""ProfileStore: the JSON file of profile metadata (never the key)."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qlik_tui.store.lockfile import LockFile, LockTimeout
from qlik_tui.store.profiles import (
    FIELD_NAMES,
    InvalidProfile,
    Profile,
    ProfileNotFound,
    ProfilesFileError,
    ProfilesLocked,
    ProfileStore,
    SecretInProfile,
    now_iso,
    validate_profile_name,
)
from tests.store._profile_writer import write_profiles
from tests.store.helpers import fake_key_text

ORIGIN = "https://tenant.example.com"


@pytest.fixture()
def store(tmp_path: Path) -> ProfileStore:
    return ProfileStore(tmp_path / "config" / "qlik-tui" / "profiles.json")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _names(store: ProfileStore) -> list[str]:
    return [profile.name for profile in store.all()]


# -- round trip ----------------------------------------------------------------------------------


def test_put_get_update_remove_round_trip(store: ProfileStore) -> None:
    work = Profile(
        name="work",
        origin=ORIGIN,
        key_id="key-1",
        roles=("TenantAdmin", "Developer"),
        created_at=now_iso(),
        backend="SecretService Keyring",
    )
    store.put(work)
    store.put(Profile(name="Home", origin="https://home.example.com"))

    assert store.get("work") == work
    assert store.get("missing") is None
    assert _names(store) == ["Home", "work"]

    updated = store.update("work", last_outcome="ok", key_status="active")
    assert updated.last_outcome == "ok"
    assert store.get("work") == updated
    assert updated.roles == ("TenantAdmin", "Developer")
    assert store.update("work", roles=["Developer"]).roles == ("Developer",)

    assert store.remove("work") is True
    assert store.remove("work") is False
    assert _names(store) == ["Home"]


def test_a_missing_file_is_an_empty_store_and_creates_nothing(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "absent" / "profiles.json")

    assert store.all() == []
    assert store.get("work") is None
    assert store.remove("work") is False
    assert not (tmp_path / "absent").exists()


def test_updating_a_missing_profile_raises_profile_not_found(store: ProfileStore) -> None:
    store.put(Profile(name="work", origin=ORIGIN))

    with pytest.raises(ProfileNotFound):
        store.update("home", last_outcome="ok")
    with pytest.raises(TypeError):
        store.update("work", no_such_field="x")
    assert store.all() == [Profile(name="work", origin=ORIGIN)]


def test_update_many_writes_every_change_at_once_and_skips_removed_profiles(
    store: ProfileStore,
) -> None:
    for name in ("a", "b", "c"):
        store.put(Profile(name=name, origin=ORIGIN))
    before = store.path.stat().st_ino

    written = store.update_many(
        {"a": {"last_outcome": "valid"}, "gone": {"last_outcome": "valid"}, "c": {"key_id": "k"}}
    )

    assert written == {"a": store.get("a"), "c": store.get("c")}
    assert (written["a"].last_outcome, written["c"].key_id) == ("valid", "k")
    assert store.get("b") == Profile(name="b", origin=ORIGIN)
    assert store.get("gone") is None
    assert store.path.stat().st_ino != before  # replaced once, by the rename
    unchanged = store.path.stat().st_ino
    assert store.update_many({"gone": {"last_outcome": "valid"}}) == {}
    assert store.path.stat().st_ino == unchanged  # nothing to change: nothing written


def test_the_file_format(store: ProfileStore) -> None:
    store.put(Profile(name="work", origin=ORIGIN, roles=("Developer",)))

    data = json.loads(store.path.read_text(encoding="utf-8"))

    assert data["version"] == 1
    assert set(data["profiles"]) == {"work"}
    entry = data["profiles"]["work"]
    assert entry["origin"] == ORIGIN
    assert entry["roles"] == ["Developer"]
    assert set(entry) == set(FIELD_NAMES)


def test_unknown_fields_are_kept_on_rewrite(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(
        json.dumps(
            {
                "version": 1,
                "written_by": "qlik-tui 9",
                "profiles": {"work": {"origin": ORIGIN, "colour": "blue", "name": "stray"}},
            }
        )
    )

    store.update("work", last_outcome="ok")
    store.put(Profile(name="home", origin=ORIGIN))

    data = json.loads(store.path.read_text())
    assert data["written_by"] == "qlik-tui 9"
    assert data["profiles"]["work"]["colour"] == "blue"
    assert data["profiles"]["work"]["last_outcome"] == "ok"
    assert "name" not in data["profiles"]["work"]


def test_the_default_path_follows_xdg_config_home_at_construction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "first"))
    first = ProfileStore()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "second"))
    second = ProfileStore()

    assert first.path == tmp_path / "first" / "qlik-tui" / "profiles.json"
    assert second.path == tmp_path / "second" / "qlik-tui" / "profiles.json"


def test_now_iso_is_utc_to_the_second() -> None:
    stamp = datetime.fromisoformat(now_iso())

    assert stamp.utcoffset() == timedelta(0)
    assert stamp.microsecond == 0
    assert abs(datetime.now(timezone.utc) - stamp) < timedelta(minutes=5)


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["", "   ", "a\x00b", "tab\there", "new\nline", "x" * 101, "right\u202eleft", " padded"],
)
def test_bad_profile_names_are_refused(store: ProfileStore, name: str) -> None:
    with pytest.raises(InvalidProfile):
        store.put(Profile(name=name, origin=ORIGIN))

    assert not store.path.exists()


@pytest.mark.parametrize("name", ["work", "x" * 100, "Équipe données", "prod/eu-1", "a b"])
def test_good_profile_names_are_accepted(name: str) -> None:
    assert validate_profile_name(name) == name


def test_a_profile_without_origin_is_refused(store: ProfileStore) -> None:
    with pytest.raises(InvalidProfile):
        store.put(Profile(name="work", origin=""))


@pytest.mark.parametrize("field", ["user_name", "key_id", "origin", "last_outcome"])
def test_a_jwt_looking_value_is_never_written(store: ProfileStore, field: str) -> None:
    store.put(Profile(name="work", origin=ORIGIN))
    before = store.path.read_bytes()
    key_text = fake_key_text()
    values = {"name": "work", "origin": ORIGIN, field: f"Bearer {key_text}"}

    with pytest.raises(SecretInProfile) as caught:
        store.put(Profile(**values))
    with pytest.raises(SecretInProfile):
        store.update("work", **{field: key_text})

    assert store.path.read_bytes() == before
    assert field in str(caught.value)
    for part in key_text.split("."):
        assert part not in str(caught.value)


def test_a_jwt_in_a_role_is_never_written(store: ProfileStore) -> None:
    with pytest.raises(SecretInProfile):
        store.put(Profile(name="work", origin=ORIGIN, roles=("Developer", fake_key_text())))

    assert not store.path.exists()


# -- files on disk -------------------------------------------------------------------------------


def test_modes_are_private(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "a" / "b" / "profiles.json")
    previous = os.umask(0)
    try:
        store.put(Profile(name="work", origin=ORIGIN))
    finally:
        os.umask(previous)

    assert _mode(tmp_path / "a") == 0o700
    assert _mode(tmp_path / "a" / "b") == 0o700
    assert _mode(store.path) == 0o600
    assert _mode(store.lock_path) == 0o600


def test_a_loose_file_mode_is_tightened_on_write(store: ProfileStore) -> None:
    store.put(Profile(name="work", origin=ORIGIN))
    store.path.chmod(0o644)

    store.put(Profile(name="home", origin=ORIGIN))

    assert _mode(store.path) == 0o600


def test_writes_leave_no_temporary_files(store: ProfileStore) -> None:
    for index in range(20):
        store.put(Profile(name=f"p{index}", origin=ORIGIN))
    store.remove("p3")

    assert sorted(p.name for p in store.path.parent.iterdir()) == [
        "profiles.json",
        "profiles.json.lock",
    ]


def test_a_failed_replace_leaves_the_old_file_and_no_temporary_file(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put(Profile(name="work", origin=ORIGIN))
    before = store.path.read_bytes()

    def refuse(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ProfilesFileError) as caught:
        store.put(Profile(name="home", origin=ORIGIN))
    monkeypatch.undo()

    assert "No space left on device" in str(caught.value)
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in store.path.parent.iterdir()) == [
        "profiles.json",
        "profiles.json.lock",
    ]


def test_two_processes_writing_at_once_lose_nothing(store: ProfileStore) -> None:
    store.put(Profile(name="seed", origin=ORIGIN))
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    writers = [
        context.Process(target=write_profiles, args=(str(store.path), prefix, 50, start))
        for prefix in ("left", "right")
    ]
    for writer in writers:
        writer.start()
    start.set()
    for writer in writers:
        writer.join(timeout=60)

    assert [writer.exitcode for writer in writers] == [0, 0]
    names = set(_names(store))
    assert len(names) == 101
    assert {f"left-{i}" for i in range(50)} | {f"right-{i}" for i in range(50)} <= names


def test_a_held_lock_makes_writes_wait_then_give_up(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.json", lock_timeout_s=0.05)
    store.put(Profile(name="work", origin=ORIGIN))

    with LockFile(store.lock_path):
        with pytest.raises(ProfilesLocked) as caught:
            store.put(Profile(name="home", origin=ORIGIN))
        assert _names(store) == ["work"]  # reading goes ahead without the lock

    assert "locked" in caught.value.problem
    store.put(Profile(name="home", origin=ORIGIN))
    assert _names(store) == ["home", "work"]


def test_the_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with LockFile(path), pytest.raises(LockTimeout):
        LockFile(path, timeout_s=0.02).acquire()
    with LockFile(path, timeout_s=0.02):
        assert path.exists()


# -- broken files ------------------------------------------------------------------------------

BROKEN = [
    ('{\n  "version": 1,\n  "profiles": ,\n}', "line 3 column 15"),
    ("", "is empty"),
    ("[1, 2]", "JSON object at the top, not a list"),
    ('{"profiles": {}}', 'no "version"'),
    ('{"version": "1", "profiles": {}}', '"version" must be the number 1, not text'),
    ('{"version": 2, "profiles": {}}', "newer qlik-tui"),
    ('{"version": 0, "profiles": {}}', "unknown format version 0"),
    ('{"version": 1, "profiles": []}', '"profiles" must be an object'),
    ('{"version": 1, "profiles": {"work": "x"}}', 'profile "work" must be an object'),
    ('{"version": 1, "profiles": {"work": {}}}', 'needs "origin"'),
    ('{"version": 1, "profiles": {"work": {"origin": 5}}}', "found a number"),
    (
        '{"version": 1, "profiles": {"work": {"origin": "https://a", "roles": "Dev"}}}',
        '"roles" must be a list of texts',
    ),
    (
        '{"version": 1, "profiles": {"work": {"origin": "https://a", "key_id": []}}}',
        '"key_id" must be text or null',
    ),
    ('{"version": 1, "profiles": {"a\\u0000b": {"origin": "https://a"}}}', "control"),
]


@pytest.mark.parametrize(("content", "problem"), BROKEN)
def test_a_broken_file_is_reported_backed_up_and_left_alone(
    store: ProfileStore, content: str, problem: str
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(content, encoding="utf-8")
    before = store.path.read_bytes()
    before_stat = store.path.stat()

    with pytest.raises(ProfilesFileError) as caught:
        store.all()

    error = caught.value
    assert error.path == store.path
    assert problem in error.problem
    assert str(store.path) in str(error)
    assert "until you fix or remove it" in str(error)
    assert error.backup is not None
    assert error.backup.name.startswith("profiles.json.broken-")
    assert error.backup.read_bytes() == before
    assert _mode(error.backup) == 0o600

    with pytest.raises(ProfilesFileError) as writing:
        store.put(Profile(name="new", origin=ORIGIN))
    with pytest.raises(ProfilesFileError):
        store.remove("work")

    assert writing.value.backup == error.backup  # the same content is backed up once
    assert store.path.read_bytes() == before
    assert store.path.stat().st_mtime_ns == before_stat.st_mtime_ns
    backups = [p for p in store.path.parent.iterdir() if ".broken-" in p.name]
    assert backups == [error.backup]


def test_a_file_that_is_not_utf8_is_reported(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b'{"version": 1, "profiles": {"\xff": {}}}')

    with pytest.raises(ProfilesFileError) as caught:
        store.get("work")

    assert "not UTF-8" in caught.value.problem


def test_a_fixed_file_is_used_again(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text("{oops")
    with pytest.raises(ProfilesFileError):
        store.all()

    store.path.write_text(json.dumps({"version": 1, "profiles": {"work": {"origin": ORIGIN}}}))
    store.put(Profile(name="home", origin=ORIGIN))

    assert _names(store) == ["home", "work"]


def _load_outcome(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "profiles.json"
        path.write_bytes(content)
        store = ProfileStore(path)
        try:
            profiles = store.all()
        except ProfilesFileError as error:
            assert error.problem
            assert path.read_bytes() == content
            return
        # It loaded: it must also survive a rewrite unchanged.
        store.put(Profile(name="added-by-test", origin=ORIGIN))
        assert [p for p in store.all() if p.name != "added-by-test"] == profiles
        _assert_written_as_json_writes_it(path)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_load_or_raise_profiles_file_error(content: bytes) -> None:
    _load_outcome(content)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = st.sampled_from([*FIELD_NAMES, "name", "colour"])
_PROFILE = (
    st.dictionaries(
        _FIELDS,
        st.one_of(st.text(max_size=12), st.none(), st.lists(st.text(max_size=5), max_size=2)),
        max_size=6,
    )
    | _JSON_VALUES
)
_DOCUMENT = st.fixed_dictionaries(
    {
        "version": st.one_of(st.just(1), st.just(1), _JSON_VALUES),
        "profiles": st.dictionaries(st.text(max_size=12), _PROFILE, max_size=4) | _JSON_VALUES,
    },
    optional={"extra": _JSON_VALUES},
)


@settings(max_examples=150, deadline=None)
@given(_DOCUMENT)
def test_random_json_documents_load_or_raise_profiles_file_error(document: object) -> None:
    _load_outcome(json.dumps(document).encode())


def _assert_written_as_json_writes_it(path: Path) -> None:
    """The file is ``json.dumps(..., indent=2)`` of what it holds: assembling it from each
    profile's remembered text changes nothing of the layout."""
    written = path.read_bytes()
    expected = json.dumps(json.loads(written), indent=2, ensure_ascii=False) + "\n"
    assert written.decode() == expected


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=20), st.lists(st.text(max_size=6), max_size=3)),
        max_size=5,
    )
)
def test_many_edits_of_one_store_keep_the_file_as_json_writes_it(
    edits: list[tuple[str, list[str]]],
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "profiles.json"
        path.write_text(
            json.dumps(
                {
                    "version": 1,
                    "later": {"nested": [1, "two"]},
                    "profiles": {"kept": {"origin": ORIGIN, "colour": ["ä", "\n"]}},
                }
            )
        )
        store = ProfileStore(path)
        for index, (text, roles) in enumerate(edits):
            store.put(Profile(name=f"p{index}", origin=ORIGIN, user_name=text, roles=tuple(roles)))
            store.update("kept", user_name=text)
            _assert_written_as_json_writes_it(path)
        assert json.loads(path.read_text())["later"] == {"nested": [1, "two"]}
        assert json.loads(path.read_text())["profiles"]["kept"]["colour"] == ["ä", "\n"]


def test_a_file_laid_out_as_written_keeps_its_other_profiles_text_on_a_change(
    store: ProfileStore,
) -> None:
    # As an older qlik-tui wrote it: fewer fields than this one writes.
    older = {name: {"origin": ORIGIN, "user_name": f"user {name}"} for name in ("a", "b", "c")}
    text = json.dumps({"version": 1, "profiles": older}, indent=2) + "\n"
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text(text)

    ProfileStore(store.path).update("b", user_name="changed")  # a new process: only the file

    written = json.loads(store.path.read_text())["profiles"]
    assert written["a"] == older["a"] and written["c"] == older["c"]  # their text untouched
    assert written["b"]["user_name"] == "changed" and "key_id" in written["b"]  # rewritten
    _assert_written_as_json_writes_it(store.path)


def test_a_field_neutralised_on_load_is_written_neutralised_by_the_next_change(
    store: ProfileStore,
) -> None:
    store.put(Profile(name="a", origin=ORIGIN))
    store.put(Profile(name="b", origin=ORIGIN))
    # An older qlik-tui wrote what the tenant said as it was: an escape sequence in a name.
    data = json.loads(store.path.read_text())
    data["profiles"]["a"]["user_name"] = "\x1b[31mred"
    store.path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    ProfileStore(store.path).update("b", key_id="k")

    written = json.loads(store.path.read_text())["profiles"]["a"]["user_name"]
    assert "\x1b" not in written and written == ProfileStore(store.path).get("a").user_name


def test_a_change_made_by_another_writer_is_seen_at_once(store: ProfileStore) -> None:
    store.put(Profile(name="work", origin=ORIGIN))
    assert store.get("work") == Profile(name="work", origin=ORIGIN)

    ProfileStore(store.path).update("work", key_id="from-elsewhere")
    assert store.get("work") == Profile(name="work", origin=ORIGIN, key_id="from-elsewhere")
    store.update("work", last_outcome="valid")  # built on the other writer's change
    assert ProfileStore(store.path).get("work") == Profile(
        name="work", origin=ORIGIN, key_id="from-elsewhere", last_outcome="valid"
    )


# -- the default profile -------------------------------------------------------------------------


def test_the_default_profile_is_kept_in_the_file_and_cleared_with_its_profile(
    store: ProfileStore,
) -> None:
    store.put(Profile(name="prod", origin=ORIGIN))
    store.put(Profile(name="dev", origin=ORIGIN))
    assert store.default_name() is None
    with pytest.raises(ProfileNotFound):
        store.set_default("nope")
    store.set_default("dev")
    assert json.loads(store.path.read_text())["default"] == "dev"
    store.update("dev", key_id="k1")  # other writes keep it
    assert ProfileStore(store.path).default_name() == "dev"
    store.remove("prod")
    assert store.default_name() == "dev"
    store.remove("dev")
    assert store.default_name() is None
    assert "default" not in json.loads(store.path.read_text())


def test_a_default_naming_no_stored_profile_is_ignored(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    document = {"version": 1, "default": "gone", "profiles": {"prod": {"origin": ORIGIN}}}
    store.path.write_text(json.dumps(document))
    assert store.default_name() is None
    assert _names(store) == ["prod"]


@pytest.mark.parametrize("escaped", [False, True], ids=["as-is", "json-escaped"])
def test_a_file_holding_a_jwt_is_refused_on_read_even_behind_an_escape(
    store: ProfileStore, escaped: bool
) -> None:
    key = fake_key_text()
    written = ("\\u0065" + key[1:]) if escaped else key  # JSON reads "\u0065yJ…" as "eyJ…"
    store.path.parent.mkdir(parents=True, exist_ok=True)
    entry = f'{{"origin": "{ORIGIN}", "user_name": "{written}"}}'
    store.path.write_text(f'{{"version": 1, "profiles": {{"work": {entry}}}}}', encoding="utf-8")

    with pytest.raises(ProfilesFileError) as caught:
        store.get("work")

    assert "field 'user_name' of profile \"work\" looks like an API key" in str(caught.value)
    assert key not in str(caught.value)
