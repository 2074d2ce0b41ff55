"""Check results written back to the profiles file together (``services.check.OutcomeWriter``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qlik_tui.services.check import OutcomeWriter
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import Profile, ProfilesFileError, ProfileStore
from qlik_tui.store.secrets import SecretStore
from tests.fixtures.services import make_services
from tests.store.memory_keyring import MemoryKeyring

ORIGIN = "https://acme.eu.qlikcloud.com"


class GatedProfiles(ProfileStore):
    """A real profiles file whose first ``update_many`` waits for ``gate``: results that arrive
    meanwhile must go together into the next write."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.gate = threading.Event()
        self.writes: list[list[str]] = []

    def update_many(self, changes: Mapping[str, Mapping[str, Any]]) -> dict[str, Profile]:
        self.writes.append(sorted(changes))
        if len(self.writes) == 1:
            self.gate.wait(10)
        return super().update_many(changes)


def _services(tmp_path: Path, profiles: ProfileStore) -> Services:
    services = make_services(tmp_path, SecretStore(backend=MemoryKeyring()))
    services = Services(
        secrets=services.secrets,
        profiles=profiles,
        client_settings=services.client_settings,
        key_stores=services.key_stores,
    )
    for index in range(12):
        profiles.put(Profile(name=f"p{index:02d}", origin=ORIGIN))
    return services


async def test_results_that_arrive_during_a_write_go_together_into_the_next(
    tmp_path: Path,
) -> None:
    profiles = GatedProfiles(tmp_path / "profiles.json")
    writer = OutcomeWriter(_services(tmp_path, profiles))

    first = asyncio.ensure_future(writer.update("p00", {"last_outcome": "valid"}))
    while not profiles.writes:  # the first write has started (and waits at the gate)
        await asyncio.sleep(0)
        await asyncio.to_thread(lambda: None)
    rest = [
        asyncio.ensure_future(writer.update(f"p{i:02d}", {"last_outcome": "key_rejected"}))
        for i in range(1, 12)
    ]
    await asyncio.sleep(0)
    profiles.gate.set()
    written = await asyncio.gather(first, *rest)

    assert profiles.writes == [["p00"], [f"p{i:02d}" for i in range(1, 12)]]
    assert [p.last_outcome if p else None for p in written] == ["valid"] + ["key_rejected"] * 11
    assert {p.name: p.last_outcome for p in profiles.all()} == {
        p.name: p.last_outcome for p in written if p
    }


async def test_a_profile_removed_meanwhile_is_answered_none(tmp_path: Path) -> None:
    profiles = ProfileStore(tmp_path / "profiles.json")
    writer = OutcomeWriter(_services(tmp_path, profiles))
    profiles.remove("p03")

    assert await writer.update("p03", {"last_outcome": "valid"}) is None
    assert profiles.get("p03") is None


async def test_a_file_that_cannot_be_written_fails_every_result_of_that_write(
    tmp_path: Path,
) -> None:
    profiles = ProfileStore(tmp_path / "profiles.json")
    writer = OutcomeWriter(_services(tmp_path, profiles))
    profiles.path.write_text("{ not json")  # broken: every write refuses

    results = await asyncio.gather(
        writer.update("p00", {"last_outcome": "valid"}),
        writer.update("p01", {"last_outcome": "valid"}),
        return_exceptions=True,
    )

    assert [type(r) for r in results] == [ProfilesFileError, ProfilesFileError]
    # the writer is usable again once the file is fixed
    profiles.path.unlink()
    profiles.put(Profile(name="p00", origin=ORIGIN))
    written = await writer.update("p00", {"last_outcome": "valid"})
    assert written is not None and written.last_outcome == "valid"


async def test_a_cancelled_write_leaves_nobody_waiting(tmp_path: Path) -> None:
    profiles = GatedProfiles(tmp_path / "profiles.json")
    writer = OutcomeWriter(_services(tmp_path, profiles))
    waiting = asyncio.ensure_future(writer.update("p00", {"last_outcome": "valid"}))
    while not profiles.writes:
        await asyncio.sleep(0)
        await asyncio.to_thread(lambda: None)
    queued = asyncio.ensure_future(writer.update("p01", {"last_outcome": "valid"}))
    await asyncio.sleep(0)

    writing = writer._writing  # the loop closing cancels it so
    assert writing is not None
    writing.cancel()
    profiles.gate.set()

    for result in await asyncio.gather(waiting, queued, return_exceptions=True):
        assert isinstance(result, asyncio.CancelledError)
    assert writer._writing is None
