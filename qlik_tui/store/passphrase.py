"""Where the encrypted key file's passphrase comes from: a hidden prompt, or a file named by
``QLIK_TUI_PASSPHRASE_FILE`` (for scheduled jobs without a terminal).

Never from the command line (shell history, ``ps``) and never from an environment variable
holding the passphrase itself (inherited by every child process, visible in
``/proc/<pid>/environ`` and in crash reports): the variable only names a file.

The passphrase file must be a regular file owned by the user running qlik-tui (or by root) that
no group or other user can read or write (mode 0600 or 0400), like ssh's private keys: a
passphrase that others can read protects nothing. Its first line is the passphrase (one
trailing newline is dropped; every other character counts).
"""

from __future__ import annotations

import getpass
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from qlik_tui.store.encrypted_errors import PassphraseTooShort, PassphraseUnavailable

PASSPHRASE_FILE_VARIABLE = "QLIK_TUI_PASSPHRASE_FILE"
MIN_NEW_PASSPHRASE_CHARS = 8  # a new file's passphrase; shorter ones are refused
_MAX_FILE_BYTES = 4096

PassphraseSource = Callable[[], str]


def passphrase_file_configured() -> bool:
    return bool(os.environ.get(PASSPHRASE_FILE_VARIABLE, "").strip())


def passphrase_from_environment() -> str:
    """The passphrase in the file ``QLIK_TUI_PASSPHRASE_FILE`` names; raises
    ``PassphraseUnavailable`` saying what is wrong with the variable or the file."""
    named = os.environ.get(PASSPHRASE_FILE_VARIABLE, "").strip()
    if not named:
        raise PassphraseUnavailable(
            problem=f"{PASSPHRASE_FILE_VARIABLE} is not set, so there is no passphrase file.",
            fix=f"Set {PASSPHRASE_FILE_VARIABLE} to the path of a file (mode 0600) holding the "
            "passphrase, or run qlik-tui in a terminal to type it.",
        )
    return read_passphrase_file(Path(named).expanduser())


def read_passphrase_file(path: Path) -> str:
    """The passphrase in ``path``, after checking who can read it (see the module's rules)."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)  # O_NONBLOCK: a FIFO must not hang us
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise PassphraseUnavailable(
            problem=f"The passphrase file {path} ({PASSPHRASE_FILE_VARIABLE}) cannot be "
            f"opened: {reason}.",
            fix=f"Point {PASSPHRASE_FILE_VARIABLE} at an existing file you can read.",
        ) from None
    try:
        info = os.fstat(fd)
        _check_file(path, info)
        data = os.read(fd, _MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > _MAX_FILE_BYTES:
        raise PassphraseUnavailable(
            problem=f"The passphrase file {path} is larger than {_MAX_FILE_BYTES} bytes; it "
            "should hold only the passphrase.",
            fix="Put only the passphrase in the file.",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PassphraseUnavailable(
            problem=f"The passphrase file {path} is not UTF-8 text.",
            fix="Save the passphrase as UTF-8 text.",
        ) from None
    first_line = text.split("\n", 1)[0].removesuffix("\r")
    if not first_line:
        raise PassphraseUnavailable(
            problem=f"The passphrase file {path} is empty (its first line holds nothing).",
            fix="Write the passphrase on the file's first line.",
        )
    return first_line


def _check_file(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise PassphraseUnavailable(
            problem=f"The passphrase file {path} is not a regular file.",
            fix=f"Point {PASSPHRASE_FILE_VARIABLE} at a regular file holding the passphrase.",
        )
    if sys.platform == "win32":  # POSIX modes mean nothing there; the profile directory's ACL
        return
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise PassphraseUnavailable(
            problem=f"The passphrase file {path} can be accessed by other users (mode "
            f"{mode:04o}); a passphrase others can read protects nothing.",
            fix=f"Restrict it to yourself: `chmod 600 {path}`.",
        )
    if info.st_uid not in (os.getuid(), 0):
        raise PassphraseUnavailable(
            problem=f"The passphrase file {path} belongs to another user (uid {info.st_uid}), "
            "who could change it.",
            fix="Use a passphrase file you own.",
        )


def prompt_for_passphrase(prompt: str = "Passphrase for qlik-tui's encrypted key file: ") -> str:
    """Ask on the terminal without echo (``getpass``)."""
    try:
        typed = getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        typed = ""
    if not typed:
        raise PassphraseUnavailable(problem="No passphrase was typed.")
    return typed


PROMPT_TRIES = 3  # at a prompt: a typo is forgiven twice


def prompt_for_new_passphrase() -> str:
    """Ask twice without echo, for a file about to be created: the length is checked before
    the second question, and a too-short or mismatched pair is asked again (three tries)."""
    for attempt in range(1, PROMPT_TRIES + 1):
        last = attempt == PROMPT_TRIES
        first = prompt_for_passphrase("New passphrase for qlik-tui's encrypted key file: ")
        if len(first) < MIN_NEW_PASSPHRASE_CHARS:
            if last:
                raise PassphraseTooShort(MIN_NEW_PASSPHRASE_CHARS)
            _say(f"Too short: at least {MIN_NEW_PASSPHRASE_CHARS} characters. Try again.")
            continue
        again = prompt_for_passphrase("The same passphrase again: ")
        if first == again:
            return first
        if last:
            break
        _say("The two passphrases differ. Try again.")
    raise PassphraseUnavailable(
        problem="The two passphrases differ.", fix="Type the same passphrase twice."
    )


def _say(line: str) -> None:
    """A line beside the hidden prompt (getpass writes its prompts to the terminal too)."""
    print(line, file=sys.stderr, flush=True)


def default_passphrase_source(creating: Callable[[], bool]) -> PassphraseSource:
    """The passphrase file when ``QLIK_TUI_PASSPHRASE_FILE`` is set, else a hidden prompt (asked
    twice when ``creating()`` says the file does not exist yet)."""

    def source() -> str:
        if passphrase_file_configured():
            return passphrase_from_environment()
        return prompt_for_new_passphrase() if creating() else prompt_for_passphrase()

    return source
