"""Baseline B of check-one: the least code that does what ``qlik-tui check NAME`` does.

Reads the profile's key from the Secret Service through keyring's SecretService backend, sends
``GET /api/v1/users/me`` (following the same-origin redirect to ``/users/{id}``) and prints the
user's name. No key record, no metadata write-back, no outcome table.

    python benchmarks/minimal_check.py PROFILE ORIGIN

The key is read from the keyring, never from argv. TLS trust comes from SSL_CERT_FILE
(httpx honours it for ``verify=True``), as for qlik-tui.
"""

from __future__ import annotations

import sys

import httpx
from keyring.backends.SecretService import Keyring


def fetch(url: str, key: str) -> httpx.Response:
    return httpx.get(
        url,
        headers={"Authorization": f"Bearer {key}"},
        follow_redirects=True,  # httpx keeps the header only for the same origin
    )


def main(argv: list[str]) -> int:
    profile, origin = argv[:2]
    key = Keyring().get_password("qlik-tui", profile)
    if key is None:
        print(f"no key stored for {profile}", file=sys.stderr)
        return 1
    response = fetch(f"{origin}/api/v1/users/me", key)
    response.raise_for_status()
    print(response.json()["name"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
