"""Baseline B of exec-token: the least code that does what ``qlik-tui exec NAME -- CMD`` does
for an OAuth client's profile whose access token is cached.

Reads the cached token (JSON) from the Secret Service through keyring's SecretService backend,
checks that it has more than 60 s left, and runs the command with it in its environment.

    python benchmarks/minimal_exec.py PROFILE COMMAND [ARG...]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone

from keyring.backends.SecretService import Keyring


def main(argv: list[str]) -> int:
    profile, command = argv[0], argv[1:]
    cached = Keyring().get_password("qlik-tui access-token", profile)
    if cached is None:
        print(f"no token cached for {profile}", file=sys.stderr)
        return 1
    entry = json.loads(cached)
    left = datetime.fromisoformat(entry["expires_at"]) - datetime.now(timezone.utc)
    if left.total_seconds() <= 60:
        print("the cached token is about to expire", file=sys.stderr)
        return 1
    env = {**os.environ, "QCS_ACCESS_TOKEN": entry["access_token"]}
    return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
