"""Baseline B of benchmark (a): the least code that does what ``qlik-tui check NAME`` does.

Reads the profile's key from the Secret Service through keyring's SecretService backend, sends
``GET /api/v1/users/me`` (following the same-origin redirect to ``/users/{id}``) and prints the
user's name. No key record, no metadata write-back, no outcome table.

    python benchmarks/minimal_check.py [--async] PROFILE ORIGIN

``--async`` is not the baseline: it sends the same request with ``httpx.AsyncClient`` under
``asyncio.run`` (what qlik-tui's client is built on), so that the difference to the default
sizes the async stack alone (benchmarks/profile_misses.py).

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


def fetch_async(url: str, key: str) -> httpx.Response:
    import asyncio

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(follow_redirects=True) as client:
            return await client.get(url, headers={"Authorization": f"Bearer {key}"})

    return asyncio.run(get())


def main(argv: list[str]) -> int:
    use_async = "--async" in argv
    profile, origin = [arg for arg in argv if arg != "--async"][:2]
    key = Keyring().get_password("qlik-tui", profile)
    if key is None:
        print(f"no key stored for {profile}", file=sys.stderr)
        return 1
    response = (fetch_async if use_async else fetch)(f"{origin}/api/v1/users/me", key)
    response.raise_for_status()
    print(response.json()["name"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
