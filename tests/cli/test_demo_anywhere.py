"""``qlik-tui demo`` finishes on a machine where no OS keyring runs (no D-Bus session: SSH, WSL,
containers): from the keyboard, in a real 80x24 pseudo-terminal, through every step to "stored
and proven", then the dashboard re-checks the key. Either in memory for the session (what the
demo preselects there) or in the demo's own encrypted file after a passphrase."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.terminal import Terminal, shown_text

CTRL_N, CTRL_Q, CTRL_S, SHIFT_TAB, UP = b"\x0e", b"\x11", b"\x13", b"\x1b[Z", b"\x1b[A"
PASSPHRASE = b"correcthorsebattery"

# (keys, what the screen shows next): what a newcomer types, Enter taking each default.
TO_THE_LIVE_TEST: tuple[tuple[bytes | None, bytes], ...] = (
    (b"\r", b"Step 2 of 7"),  # Welcome
    (b"\r", b"Step 3 of 7"),  # the sandbox tenant, filled in
    (b"\r", b"Step 4 of 7"),  # permission
    (CTRL_N, b"Step 5 of 7"),  # on past Generate: the paste step issues the practice key too
    (b"\t", b"Show key"),
    (b"\t", b"Use the sandbox key"),
    (b"\r", b"This looks like a Qlik Cloud API key"),
    (b"\r", b"Key works"),  # Next: the live test
    # The store lookup has answered: no keyring here, so the session store is preselected.
    (None, b"Enter keeps it for this session only"),
)
KEEP_FOR_THE_SESSION = ((b"\r", b"Step 7 of 7"),)  # Store key: the preselected session store
INTO_THE_ENCRYPTED_FILE = (
    (SHIFT_TAB, b"Back"),
    (SHIFT_TAB, b"Store key"),  # the store choice
    (b"\r", b"OS keyring"),  # its list opens
    (UP, b"Encrypted file"),
    (b"\r", b"Enter: passphrase, then the encrypted file"),
    (CTRL_S, b"Choose a passphrase"),
    (PASSPHRASE + b"\t", "•".encode()),
    (PASSPHRASE + b"\r", b"Step 7 of 7"),
)


@pytest.mark.parametrize(
    ("store_keys", "said"),
    [
        (KEEP_FOR_THE_SESSION, b"kept in memory for this demo session only"),
        (INTO_THE_ENCRYPTED_FILE, b"in the demo's own encrypted file"),
    ],
    ids=["session-only", "encrypted-file"],
)
def test_the_demo_finishes_in_a_terminal_without_a_dbus_session(
    store_keys: tuple[tuple[bytes | None, bytes], ...],
    said: bytes,
    isolated_home: Path,
    no_dbus: None,
) -> None:
    with Terminal(["demo", "--port", "0"], isolated_home) as terminal:
        assert terminal.wait_for(b"DEMO")
        for keys, marker in (*TO_THE_LIVE_TEST, *store_keys):
            if keys is not None:  # None: one more thing the same keys bring
                terminal.send(keys)
            assert terminal.wait_for(marker), shown_text(terminal.output)[-3000:]
        assert terminal.wait_for(b"The key is stored and proven to work")
        assert terminal.wait_for(said)
        terminal.send(b"\r")  # Check stored keys: the dashboard re-checks it
        assert terminal.wait_for(b"1 valid"), shown_text(terminal.output)[-3000:]
        terminal.send(CTRL_Q)
        code = terminal.finish()
    assert code == 0
    data = isolated_home / ".local" / "share" / "qlik-tui"
    assert not (data / "keys.encrypted").exists()  # a real key's file is never touched
    assert (data / "demo" / "keys.encrypted").exists() is (store_keys is INTO_THE_ENCRYPTED_FILE)
