"""Where ``qlik-tui scan`` looks: files and trees on disk, shell histories, git blobs.

CONTRACT:
    scan_places(places, tokens=False) -> ScanReport    # files and directory trees
    scan_git_history(repo, tokens=False) -> ScanReport # every reachable blob, once
    scan_staged(repo, tokens=False) -> ScanReport      # the blobs the next commit would add
    history_files(home, environ) -> list[Path]         # bash, zsh, fish histories that exist
    read_regular_file(path, limit) -> bytes | SkipReason

Reading without surprises: a file is opened with ``O_NOFOLLOW | O_NONBLOCK`` (a FIFO never
blocks the open, a link is never followed) and kept only when ``fstat`` says it is a regular
file no larger than ``MAX_FILE_BYTES``: a huge (or sparse) file is skipped from its size alone,
never read. Walking a tree never follows a symbolic link (a link's target inside the tree is
scanned at its own place; one outside is not the tree's), and skips ``.git`` (its history is
``--git``'s). A file reached twice (the same device and inode) is scanned once. Paths named
on the command line are resolved first: the user chose them.

Git is run with ``core.fsmonitor`` off, so that scanning a repository never runs a program its
configuration names; blobs are read through one ``git cat-file --batch`` after their sizes were
checked.
"""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import IO

from qlik_tui.core.scan import Finding, looks_binary, might_hold_credentials, scan_text
from qlik_tui.core.untrusted import neutralise

MAX_FILE_BYTES = 4 * 1024 * 1024  # notebooks and lock files fit; disk images and dumps do not
SKIPPED_DIRECTORIES = frozenset({".git"})
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
)
_GIT = ("git", "-c", "core.fsmonitor=false", "-c", "core.quotePath=false")
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class PlaceKind(str, Enum):
    FILE = "file"
    GIT = "git"  # a blob of the repository's history
    STAGED = "staged"  # a blob in the index


class SkipReason(str, Enum):
    NOT_REGULAR = "not a regular file (FIFO, device, socket or link)"
    TOO_LARGE = "larger than the size limit"
    BINARY = "binary"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Place:
    kind: PlaceKind
    label: str  # neutralised: a path, or "commit:path"
    path: Path | None = None  # the file on disk (None for a git blob)


@dataclass(frozen=True)
class Located:
    place: Place
    finding: Finding

    @property
    def where(self) -> str:
        return f"{self.place.label}:{self.finding.line}"


@dataclass
class ScanReport:
    findings: list[Located] = field(default_factory=list)
    skipped: list[tuple[str, SkipReason]] = field(default_factory=list)  # (label, why)
    scanned: int = 0  # files or blobs read

    def extend(self, other: ScanReport) -> None:
        self.findings.extend(other.findings)
        self.skipped.extend(other.skipped)
        self.scanned += other.scanned


class GitUnavailable(Exception):
    """Not a git repository, or git is not installed. ``str(err)`` says which."""


def read_regular_file(path: Path | str, limit: int = MAX_FILE_BYTES) -> bytes | SkipReason:
    data = _read_once(path, limit, None)
    assert data is not None  # without ``seen`` nothing is a repeat
    return data


def _read_once(
    path: Path | str, limit: int, seen: set[tuple[int, int]] | None
) -> bytes | SkipReason | None:
    """The file's bytes, why it was skipped, or None when ``seen`` holds it already."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return SkipReason.NOT_REGULAR if _is_link_refusal(exc) else SkipReason.UNREADABLE
    try:
        status = os.fstat(descriptor)
        if seen is not None:
            identity = (status.st_dev, status.st_ino)
            if identity in seen:
                return None
            seen.add(identity)
        if not stat.S_ISREG(status.st_mode):
            return SkipReason.NOT_REGULAR
        if status.st_size > limit:
            return SkipReason.TOO_LARGE
        chunks, total = [], 0
        while total <= limit:
            # What fstat said plus one byte to see the end, never a limit-sized buffer per file;
            # a file that grows meanwhile is read on in 64 KiB steps up to the limit.
            if total < status.st_size:
                wanted = status.st_size - total + 1
            else:
                wanted = 1 if total == status.st_size else 65536
            wanted = min(wanted, limit + 1 - total)
            chunk = os.read(descriptor, wanted)
            chunks.append(chunk)
            total += len(chunk)
            if len(chunk) < wanted:  # a regular file reads short only at its end
                break
        if total > limit:  # it grew while read
            return SkipReason.TOO_LARGE
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except OSError:
        return SkipReason.UNREADABLE
    finally:
        os.close(descriptor)


def _is_link_refusal(exc: OSError) -> bool:
    import errno

    return exc.errno in (errno.ELOOP, errno.EMLINK)


def scan_places(
    places: Iterable[Path],
    *,
    tokens: bool = False,
    limit: int = MAX_FILE_BYTES,
    base: Path | None = None,
) -> ScanReport:
    """Files and trees; a path under ``base`` is shown relative to it."""
    report = ScanReport()
    seen: set[tuple[int, int]] = set()
    prefix = os.path.join(os.path.realpath(base), "") if base is not None else None
    for given in places:
        for path in _files_under(os.path.realpath(given)):
            data = _read_once(path, limit, seen)
            if data is None:
                continue
            if isinstance(data, SkipReason):
                report.skipped.append((_label(path, prefix), data))
                continue
            report.scanned += 1
            if might_hold_credentials(data):  # the label only for the few that may
                place = Place(PlaceKind.FILE, _label(path, prefix), Path(path))
                _add_findings(report, place, data, tokens)
    return report


def _label(path: str, prefix: str | None) -> str:
    """The path, relative to the base folder when under it, neutralised (names are data)."""
    shown = path[len(prefix) :] if prefix is not None and path.startswith(prefix) else path
    return neutralise(shown, 1000)


def _files_under(root: str) -> Iterator[str]:
    try:
        is_directory = stat.S_ISDIR(os.lstat(root).st_mode)
    except OSError:
        return
    if not is_directory:
        yield root
        return
    pending = [root]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as entries:
                children = sorted(entries, key=lambda entry: entry.name)
        except OSError:
            continue
        subdirectories = []
        for entry in children:
            try:
                if entry.is_symlink():
                    continue  # never followed: out of the tree, or scanned at its own place
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED_DIRECTORIES:
                        subdirectories.append(entry.path)
                    continue
            except OSError:
                continue
            yield entry.path
        pending.extend(reversed(subdirectories))


def _add_findings(report: ScanReport, place: Place, data: bytes, tokens: bool) -> None:
    if not might_hold_credentials(data):
        return
    if looks_binary(data):
        report.skipped.append((place.label, SkipReason.BINARY))
        return
    report.findings.extend(Located(place, finding) for finding in scan_text(data, tokens=tokens))


def history_files(home: Path, environ: Mapping[str, str]) -> list[Path]:
    """The shell history files that exist: $HISTFILE, bash, zsh and fish."""
    data_home = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    candidates = [
        home / ".bash_history",
        home / ".zsh_history",
        home / ".zhistory",
        data_home / "fish" / "fish_history",
    ]
    if environ.get("HISTFILE"):
        candidates.insert(0, Path(environ["HISTFILE"]).expanduser())
    return [path for path in candidates if path.is_file()]


# -- git ---------------------------------------------------------------------------------------


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            [*_GIT, "-C", str(repo), *args],
            input=stdin,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise GitUnavailable("git could not be run; install git or scan without --git") from exc
    if done.returncode != 0:
        raise GitUnavailable(f"{neutralise(str(repo))} is not inside a git repository")
    return done.stdout


def scan_git_history(
    repo: Path, *, tokens: bool = False, limit: int = MAX_FILE_BYTES
) -> ScanReport:
    """Every blob any reachable commit added, once, labelled with the oldest such commit."""
    _git(repo, "rev-parse", "--git-dir")
    log = _git(
        repo, "log", "--all", "--reverse", "-m", "--raw", "--no-abbrev", "--no-renames",
        "-z", "--format=%x01%H",
    )  # fmt: skip
    first_seen: dict[str, str] = {}  # blob -> "commit:path"
    commit = ""
    fields = log.split(b"\0")
    index = 0
    while index < len(fields):
        item = fields[index].lstrip(b"\n")
        index += 1
        if item.startswith(b"\x01"):  # a commit's own line
            commit = item[1:].decode("ascii", "replace").strip()
        elif item.startswith(b":") and index < len(fields):  # ":modes blobs status" then path
            path = fields[index]
            index += 1
            parts = item.split()
            if len(parts) >= 5 and parts[4][:1] != b"D":
                first_seen.setdefault(parts[3].decode("ascii"), f"{commit[:12]}:{_path_text(path)}")
    return _scan_blobs(repo, PlaceKind.GIT, first_seen, tokens, limit)


def scan_staged(repo: Path, *, tokens: bool = False, limit: int = MAX_FILE_BYTES) -> ScanReport:
    """The blobs the index would commit that differ from HEAD (added, copied, modified)."""
    _git(repo, "rev-parse", "--git-dir")
    try:
        base = _git(repo, "rev-parse", "--verify", "-q", "HEAD").decode().strip()
    except GitUnavailable:
        base = EMPTY_TREE  # the first commit: everything staged is new
    raw = _git(
        repo, "diff-index", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames",
        "--diff-filter=ACM", base,
    )  # fmt: skip
    fields = raw.split(b"\0")
    blobs: dict[str, str] = {}
    for index in range(0, len(fields) - 1, 2):
        parts = fields[index].split()
        if len(parts) >= 4:
            blobs.setdefault(parts[3].decode("ascii"), f"(staged):{_path_text(fields[index + 1])}")
    return _scan_blobs(repo, PlaceKind.STAGED, blobs, tokens, limit)


def _path_text(path: bytes) -> str:
    return neutralise(path.decode("utf-8", "replace"), 1000)


def _scan_blobs(
    repo: Path, kind: PlaceKind, blobs: Mapping[str, str], tokens: bool, limit: int
) -> ScanReport:
    report = ScanReport()
    if not blobs:
        return report
    checked = _git(repo, "cat-file", "--batch-check", stdin="\n".join(blobs).encode() + b"\n")
    wanted = []
    for line in checked.splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[1] != b"blob":
            continue
        blob = parts[0].decode("ascii")
        if int(parts[2]) > limit:
            report.skipped.append((blobs[blob], SkipReason.TOO_LARGE))
        else:
            wanted.append(blob)
    if not wanted:
        return report
    for blob, data in zip(wanted, _blob_contents(repo, wanted), strict=False):
        report.scanned += 1
        _add_findings(report, Place(kind, blobs[blob]), data, tokens)
    return report


def _blob_contents(repo: Path, blobs: list[str]) -> Iterator[bytes]:
    """Each blob's bytes in order, streamed from one ``git cat-file --batch`` (a history of
    many large blobs is never held in memory at once). The names are fed from a thread: git
    answers while it reads, and a full pipe either way would otherwise block both."""
    process = subprocess.Popen(
        [*_GIT, "-C", str(repo), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdin is not None and process.stdout is not None
    feeder = threading.Thread(target=_feed, args=(process.stdin, blobs), daemon=True)
    feeder.start()
    try:
        for _ in blobs:
            header = process.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                return
            data = process.stdout.read(int(header[2]))
            process.stdout.read(1)  # the newline after the content
            yield data
    finally:
        process.stdout.close()
        if process.poll() is None:
            process.kill()
        process.wait()
        feeder.join()


def _feed(stream: IO[bytes], blobs: list[str]) -> None:
    try:
        for blob in blobs:
            stream.write(blob.encode("ascii") + b"\n")
        stream.close()
    except (BrokenPipeError, OSError, ValueError):  # git ended first: nothing more to say
        pass
