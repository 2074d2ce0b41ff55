"""Where a new key would go: probe the OS keyring (within the keyring deadline, never showing an
unlock prompt) and explain an unusable one: why, the fix for this platform, and the alternative
(qlik-tui's encrypted file). For the wizard's Welcome and Generate steps, ``login`` and ``check``.

CONTRACT:
    probe = probe_key_store(stores)          # blocking, at most about the keyring deadline
    probe.usable -> bool
    probe.headline -> str                    # "SecretService Keyring, unlocked", ...
    probe.problem -> ProbeProblem | None     # why not, as a value (None when usable)
    probe.why / probe.fix / probe.alternative -> str | None   # sentences; alternative always set
    probe.reason -> str | None               # why not, in a few words ("no D-Bus session, ...")
    probe.platform -> Platform               # what the fix was written for
    probe.encrypted_file_path -> Path; probe.encrypted_file_exists -> bool
    probe.explanation() -> list[str]         # the lines to show, in order
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from qlik_tui.store.errors import (
    _START_DBUS_FIX,
    DeadlineExceeded,
    InsecureBackend,
    KeyringLocked,
    NoBackend,
    NoDBusSession,
    PromptDismissed,
    StoreError,
)
from qlik_tui.store.key_stores import KeyStores


class ProbeProblem(str, Enum):
    NO_DBUS_SESSION = "no-dbus-session"
    LOCKED = "locked"
    NO_BACKEND = "no-backend"
    INSECURE_BACKEND = "insecure-backend"
    NOT_ANSWERING = "not-answering"
    OTHER = "other"


class Platform(str, Enum):
    WSL = "wsl"
    CONTAINER = "container"
    SSH = "ssh"
    LINUX_HEADLESS = "linux-headless"
    LINUX_DESKTOP = "linux-desktop"
    MACOS = "macos"
    WINDOWS = "windows"
    OTHER = "other"


@dataclass(frozen=True)
class StoreProbe:
    usable: bool
    headline: str
    problem: ProbeProblem | None
    why: str | None
    fix: str | None
    alternative: str
    platform: Platform
    encrypted_file_path: Path
    encrypted_file_exists: bool
    backend_name: str | None = None

    @property
    def reason(self) -> str | None:
        """Why not, in a few words ("no D-Bus session"), for one line; None when usable."""
        if self.problem is None:
            return None
        return _REASONS.get(self.problem) or self.headline

    def explanation(self) -> list[str]:
        """What to show, in order: the headline, then why, the fix and the alternative."""
        lines = [self.headline]
        if self.why:
            lines.append(f"why: {self.why}")
        if self.fix:
            lines.append(f"fix: {self.fix}")
        if not self.usable:
            lines.append(f"or: {self.alternative}")
        return lines


_REASONS = {
    ProbeProblem.NO_DBUS_SESSION: "no D-Bus session, so no Secret Service",
    ProbeProblem.LOCKED: "the keyring is locked and cannot be unlocked here",
    ProbeProblem.NO_BACKEND: "no keyring backend is installed",
    ProbeProblem.INSECURE_BACKEND: "only a backend that is not secure",
    ProbeProblem.NOT_ANSWERING: "the keyring does not answer",
}


def detect_platform(environ: dict[str, str] | None = None) -> Platform:
    env = os.environ if environ is None else environ
    if sys.platform == "win32":
        return Platform.WINDOWS
    if sys.platform == "darwin":
        return Platform.MACOS
    if not sys.platform.startswith("linux"):
        return Platform.OTHER
    if env.get("WSL_DISTRO_NAME") or env.get("WSL_INTEROP") or _kernel_says_wsl():
        return Platform.WSL
    if Path("/.dockerenv").exists() or Path("/run/.containerenv").exists() or env.get("container"):
        return Platform.CONTAINER
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY"):
        return Platform.SSH
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return Platform.LINUX_DESKTOP
    return Platform.LINUX_HEADLESS


def _kernel_says_wsl() -> bool:
    try:
        return "microsoft" in Path("/proc/sys/kernel/osrelease").read_text().lower()
    except OSError:
        return False


_HEADLESS_FIX = (
    "Start a session bus and a keyring for this shell: `dbus-run-session -- $SHELL`, then "
    "`gnome-keyring-daemon --unlock --components=secrets` (type a password, then Ctrl-D), and "
    "run qlik-tui in that shell."
)
_FIXES = {
    Platform.WSL: (
        "WSL runs no keyring of its own. Either install gnome-keyring in WSL and start it in "
        "each shell: `dbus-run-session -- $SHELL`, then `gnome-keyring-daemon --unlock "
        "--components=secrets` (type a password, then Ctrl-D); or use the encrypted file below."
    ),
    Platform.CONTAINER: (
        "Containers rarely run a keyring. Use the encrypted file below (give its passphrase "
        "through QLIK_TUI_PASSPHRASE_FILE, e.g. a mounted secret), or start one in the "
        "container: " + _HEADLESS_FIX
    ),
    Platform.SSH: "Over SSH there is no desktop keyring. " + _HEADLESS_FIX,
    Platform.LINUX_HEADLESS: _HEADLESS_FIX,
    Platform.LINUX_DESKTOP: (
        "Run qlik-tui in a terminal of your desktop session, and make sure a Secret Service "
        "runs there (gnome-keyring or KeePassXC's Secret Service integration)."
    ),
}


LOGIN_WITH_FILE = "qlik-tui login --store encrypted-file ..."


def probe_key_store(
    stores: KeyStores, platform: Platform | None = None, *, command: str = LOGIN_WITH_FILE
) -> StoreProbe:
    """Probe the OS keyring of ``stores``. Never raises a ``StoreError``: the result says.
    ``command`` is the one the alternative names (the command being run, with the file)."""
    platform = detect_platform() if platform is None else platform
    path = stores.encrypted_path
    exists = path.exists()
    alternative = _alternative(path, exists, command)
    failure: StoreError | None = None
    try:
        status = stores.keyring.probe()
    except StoreError as exc:
        failure = exc
    if failure is not None:
        problem = _problem_of(failure)
        return StoreProbe(
            usable=False,
            headline="No usable keyring",
            problem=problem,
            why=failure.problem,
            fix=_fix_for(problem, platform, failure),
            alternative=alternative,
            platform=platform,
            encrypted_file_path=path,
            encrypted_file_exists=exists,
        )
    if status.locked and not _can_prompt(platform):
        return StoreProbe(
            usable=False,
            headline=f"{status.name}, locked",
            problem=ProbeProblem.LOCKED,
            why=f"{status.name} is locked, and without a desktop session no unlock prompt "
            "can be shown.",
            fix=_fix_for(ProbeProblem.LOCKED, platform, KeyringLocked()),
            alternative=alternative,
            platform=platform,
            encrypted_file_path=path,
            encrypted_file_exists=exists,
            backend_name=status.name,
        )
    if status.locked:
        headline = f"{status.name}, locked (you will be asked to unlock it)"
    elif status.locked is None:
        headline = status.name
    else:
        headline = f"{status.name}, unlocked"
    return StoreProbe(
        usable=True,
        headline=headline,
        problem=None,
        why=None,
        fix=None,
        alternative=alternative,
        platform=platform,
        encrypted_file_path=path,
        encrypted_file_exists=exists,
        backend_name=status.name,
    )


def _can_prompt(platform: Platform) -> bool:
    return platform in (Platform.LINUX_DESKTOP, Platform.MACOS, Platform.WINDOWS, Platform.OTHER)


def _problem_of(failure: StoreError) -> ProbeProblem:
    if isinstance(failure, NoDBusSession):
        return ProbeProblem.NO_DBUS_SESSION
    if isinstance(failure, (KeyringLocked, PromptDismissed)):
        return ProbeProblem.LOCKED
    if isinstance(failure, InsecureBackend):
        return ProbeProblem.INSECURE_BACKEND
    if isinstance(failure, DeadlineExceeded):
        return ProbeProblem.NOT_ANSWERING
    if isinstance(failure, NoBackend):
        return ProbeProblem.NO_BACKEND
    return ProbeProblem.OTHER


def _fix_for(problem: ProbeProblem, platform: Platform, failure: StoreError) -> str:
    if problem is ProbeProblem.INSECURE_BACKEND or platform not in _FIXES:
        return failure.fix or _START_DBUS_FIX
    if problem is ProbeProblem.LOCKED and platform is not Platform.WSL:
        return failure.fix
    return _FIXES[platform]


def _alternative(path: Path, exists: bool, command: str) -> str:
    where = f"{path} (it exists)" if exists else f"{path} (created on first use)"
    return (
        "keep keys in qlik-tui's own encrypted file instead, protected by a passphrase you "
        f"choose: `{command}`, or choose it in the wizard. File: {where}."
    )
