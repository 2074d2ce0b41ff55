"""Shared checks for the store tests."""

from __future__ import annotations

import secrets
import traceback
from collections.abc import Iterable
from pathlib import Path

import qlik_tui
from qlik_tui.core.apikey import make_fake_key

_PACKAGE_DIR = Path(qlik_tui.__file__).resolve().parent


def fake_key_text(**extra: object) -> str:
    """A JWT-shaped key with a random id; ``extra`` goes into its payload."""
    return make_fake_key(
        key_id=f"key-{secrets.token_hex(8)}",
        tenant_id="tenant-1",
        sub="user-1",
        extra_payload=dict(extra),
    )


def assert_no_secret(error: BaseException, secret: str) -> None:
    """The error, anything chained to it and every qlik_tui frame of its traceback (locals
    included, as crash reports show them) are free of the secret and of its long parts."""
    needles = [secret, *(part for part in secret.split(".") if len(part) >= 16)]
    links: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in links:
        links.append(current)
        current = current.__cause__ or current.__context__
    assert error.__cause__ is None
    assert error.__context__ is None
    texts: list[str] = []
    for link in links:
        texts.append(str(link))
        texts.append(repr(link))
        texts.extend(repr(value) for value in vars(link).values())
        texts.extend("".join(traceback.format_exception(link)).splitlines())
        for frame, _ in traceback.walk_tb(link.__traceback__):
            if Path(frame.f_code.co_filename).is_relative_to(_PACKAGE_DIR):  # not the test's own
                texts.extend(repr(value) for value in frame.f_locals.values())
    for text in texts:
        for needle in needles:
            assert needle not in text


def files_containing(roots: Iterable[Path], needles: Iterable[bytes]) -> list[Path]:
    """Every regular file under ``roots`` whose raw bytes contain one of ``needles``."""
    wanted = [needle for needle in needles if needle]
    found: list[Path] = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                if any(needle in data for needle in wanted):
                    found.append(path)
    return found


def secret_needles(secret: str) -> list[bytes]:
    """The key and its parts as they could appear in a file: UTF-8 and UTF-16."""
    texts = [secret, *secret.split(".")]
    return [text.encode(encoding) for text in texts for encoding in ("utf-8", "utf-16-le")]


class BusCalls:
    """The method calls made on a private D-Bus bus while the ``with`` block runs, seen by a
    monitor connection (``BecomeMonitor``): ``.members`` lists each call's member name (e.g.
    ``Hello``, ``SearchItems``, ``GetSecret``) in order."""

    _MARKER = "qlik-tui.test.end-of-watch"

    def __init__(self, address: str) -> None:
        self.address = address
        self.members: list[str] = []

    def __enter__(self) -> BusCalls:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        self._marker = open_dbus_connection(self.address)  # its Hello comes before the watch
        self._monitor = open_dbus_connection(self.address)
        monitoring = DBusAddress(
            "/org/freedesktop/DBus",
            bus_name="org.freedesktop.DBus",
            interface="org.freedesktop.DBus.Monitoring",
        )
        self._monitor.send_and_get_reply(
            new_method_call(monitoring, "BecomeMonitor", "asu", ([], 0))
        )
        return self

    def __exit__(self, *_: object) -> None:
        from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call

        bus = DBusAddress("/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus")
        self._marker.send(new_method_call(bus, "NameHasOwner", "s", (self._MARKER,)))
        try:
            while True:
                message = self._monitor.receive(timeout=10)
                if message.header.message_type is not MessageType.method_call:
                    continue
                member = message.header.fields.get(HeaderFields.member)
                if member == "NameHasOwner" and message.body == (self._MARKER,):
                    break
                self.members.append(str(member))
        finally:
            self._monitor.close()
            self._marker.close()
