"""``scan --fix``: put a found key away. Each operation is one call with a typed result.

CONTRACT:
    revoke_leaked(finding, profile, settings, load_stored) -> LeakRevoked
    import_leaked(services, finding, profile) -> LeakImported
    remove_plain_copies(places, secret, contexts_file) -> list[CopyRemoval]
    rewritable(place, contexts_file) -> bool

Where requests go: only to the origin of ``profile``, the stored profile whose tenant id the key
carries (``scan_verify.profile_for_tenant``): never a host named in a scanned file.

Revoking: with the leaked key itself; when the tenant refuses that (the key may not delete
itself, or is already dead) and the profile's stored key belongs to the same user, with the
stored key. A key that any profile stores is never revoked here (the command does not offer it).

Importing: the key is proven first (``verify_key`` at the profile's origin), then stored under a
new profile (``storing.store_key``, all or nothing).

Removing plain-text copies: only ``.env`` files and qlik-cli's contexts file, and only the lines
that hold the secret. The file is re-read (it must still hold the secret on those lines),
rewritten to a temporary file beside it with the same permissions, synced and renamed over it:
never half-written. A contexts file must still parse afterwards, or it is left as it was. Git
history is never rewritten.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qlik_tui.core.apikey import ApiKey, KeyFormatError, parse_key
from qlik_tui.core.client import ClientSettings
from qlik_tui.core.outcomes import Outcome
from qlik_tui.core.scan import Finding
from qlik_tui.core.tenant import TenantError, parse_tenant
from qlik_tui.services.key_admin import revoke_keys
from qlik_tui.services.results import KeyNotStored
from qlik_tui.services.scan_files import Place, PlaceKind, read_regular_file
from qlik_tui.services.verify import verify_key
from qlik_tui.store.profiles import Profile

if TYPE_CHECKING:
    from qlik_tui.services.context import Services


@dataclass(frozen=True)
class LeakRevoked:
    key_id: str
    revoked: bool
    by_profile: str | None = None  # the stored key that revoked it (None: the key itself)
    outcome: Outcome | None = None  # why not
    problem: str | None = None  # why not, when there is no outcome row (no usable tenant)


@dataclass(frozen=True)
class LeakImported:
    key_id: str
    profile: str | None  # the new profile; None when not stored
    outcome: Outcome | None = None  # the live test's outcome when it failed
    problem: str | None = None  # why it was not stored


@dataclass(frozen=True)
class CopyRemoval:
    label: str
    removed_lines: int
    problem: str | None = None  # why the file was left as it was


LoadStored = Callable[[Profile], "ApiKey | None"]


def revoke_leaked(
    finding: Finding,
    profile: Profile,
    settings: ClientSettings,
    load_stored: LoadStored,
) -> LeakRevoked:
    key_id = str(finding.key_id)
    try:
        tenant = parse_tenant(profile.origin)
        leaked = parse_key(finding.secret.reveal())
    except (TenantError, KeyFormatError):
        return LeakRevoked(key_id, False, problem="the profile's tenant address is unusable")
    [result] = asyncio.run(revoke_keys(tenant, leaked, [key_id], settings=settings))
    if result.removed:
        return LeakRevoked(key_id, True)
    if profile.user_id != finding.subject:
        return LeakRevoked(key_id, False, outcome=result.outcome)
    stored = load_stored(profile)
    if stored is None:
        return LeakRevoked(key_id, False, outcome=result.outcome)
    [second] = asyncio.run(revoke_keys(tenant, stored, [key_id], settings=settings))
    if second.removed:
        return LeakRevoked(key_id, True, by_profile=profile.name)
    return LeakRevoked(key_id, False, outcome=second.outcome or result.outcome)


def import_leaked(
    services: Services, finding: Finding, profile: Profile, name: str
) -> LeakImported:
    """Prove the key at ``profile``'s origin, then store it as profile ``name`` (a free name)."""
    from qlik_tui.core.kinds import Verdict
    from qlik_tui.services.storing import store_key

    key_id = str(finding.key_id)
    try:
        tenant = parse_tenant(profile.origin)
        key = parse_key(finding.secret.reveal())
    except (TenantError, KeyFormatError):
        return LeakImported(key_id, None, problem="the profile's tenant address is unusable")
    report = asyncio.run(verify_key(tenant, key, settings=services.client_settings))
    if report.outcome.verdict is not Verdict.VALID:
        return LeakImported(key_id, None, outcome=report.outcome)
    try:
        stored = store_key(
            services, name=name, tenant=tenant, key=key, report=report, replace=False
        )
    except KeyNotStored as exc:
        return LeakImported(key_id, None, problem=exc.summary())
    return LeakImported(key_id, stored.profile.name)


def rewritable(place: Place, contexts_file: Path | None) -> bool:
    """Only files qlik-tui can rewrite safely: ``.env`` files and qlik-cli's contexts file."""
    if place.kind is not PlaceKind.FILE or place.path is None:
        return False
    if contexts_file is not None and _same_file(place.path, contexts_file):
        return True
    return place.path.name.startswith(".env")


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def remove_plain_copies(
    places: Sequence[tuple[Place, int]], secret: str, contexts_file: Path | None
) -> list[CopyRemoval]:
    """Remove the lines holding ``secret`` from each rewritable file (the lines found, as many
    as were found: a file that changed meanwhile is left as it is)."""
    by_file: dict[Path, tuple[str, set[int]]] = {}
    for place, line in places:
        if rewritable(place, contexts_file) and place.path is not None:
            by_file.setdefault(place.path, (place.label, set()))[1].add(line)
    return [
        _remove_lines(path, label, lines, secret, contexts_file)
        for path, (label, lines) in by_file.items()
    ]


def _remove_lines(
    path: Path, label: str, lines: set[int], secret: str, contexts_file: Path | None
) -> CopyRemoval:
    data = read_regular_file(path)
    if not isinstance(data, bytes):
        return CopyRemoval(label, 0, problem=f"it could not be read again ({data.value})")
    # By content, not by number: an earlier removal from the same file shifted the lines.
    kept, removed = [], 0
    needle = secret.encode()
    for text in data.splitlines(keepends=True):
        if needle in text:
            removed += 1
            continue
        kept.append(text)
    if removed != len(lines):
        return CopyRemoval(label, 0, problem="it changed since it was scanned; scan it again")
    new = b"".join(kept)
    if contexts_file is not None and _same_file(path, contexts_file):
        problem = _contexts_problem(new, path)
        if problem:
            return CopyRemoval(label, 0, problem=problem)
    try:
        _replace_keeping_mode(path, new)
    except OSError as exc:
        return CopyRemoval(label, 0, problem=f"it could not be rewritten ({exc.strerror})")
    return CopyRemoval(label, removed)


def _contexts_problem(new: bytes, path: Path) -> str | None:
    from qlik_tui.core.qlik_cli_contexts import ContextsFileError, parse_contexts

    try:
        parse_contexts(new.decode("utf-8"), path)
    except (ContextsFileError, UnicodeDecodeError):
        return "without that line qlik-cli could no longer read it; edit it by hand"
    return None


def _replace_keeping_mode(path: Path, data: bytes) -> None:
    """Write beside ``path`` with its permissions, sync, rename over it (atomic)."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            os.fchmod(stream.fileno(), mode)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
