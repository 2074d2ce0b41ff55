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
