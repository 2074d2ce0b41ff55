"""``qlik-tui scan`` over a generated tree, side by side with ``git grep`` of the JWT prefix.

    python benchmarks/scan_tree.py [--files 10000] [--runs 9]

A throwaway git repository of ``--files`` text files (source-like lines in nested folders, a
few ``.env`` files, ~2 KiB each) with 5 planted Qlik API keys and decoy JWTs, committed. Then,
interleaved, one warm-up pair and ``--runs`` pairs:

A  ``qlik-tui scan --json TREE``    (a fresh process: start-up, walk, read, decode candidates)
B  ``git grep -l -F eyJ``           (a fresh process, in the tree: only finds the prefix)

and the medians' ratio A/B (target: at most 2). For where A's time goes, C, the interpreter's
own start-up (``python -c pass``), is timed in the same rounds: A - C is the scan itself.
A's findings must be the 5 planted keys, or no number is given. Timings belong here, never in
the tests. Only files under a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from qlik_tui.core.apikey import make_fake_key  # noqa: E402

TARGET = 2.0
PLANTED = 5
_WORDS = [
    "def",
    "return",
    "import",
    "class",
    "self",
    "value",
    "data",
    "config",
    "result",
    "items",
    "path",
    "name",
    "for",
    "in",
    "if",
]


def build_tree(root: Path, files: int, seed: int = 7) -> list[str]:
    """The tree and its git repository; the planted keys' ids."""
    rng = random.Random(seed)
    planted_at = set(rng.sample(range(files), PLANTED))
    key_ids = []
    for index in range(files):
        folder = root / f"pkg{index % 50:02d}" / f"mod{index % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        name = ".env" if index % 1000 == 0 else f"file{index:05d}.py"
        lines = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 12))) for _ in range(40)]
        if index % 97 == 0:  # a decoy: a JWT that is not a Qlik key
            lines.append("TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'")
        if index in planted_at:
            key_id = f"{rng.getrandbits(128):032x}"
            key_id = f"{key_id[:8]}-{key_id[8:12]}-{key_id[12:16]}-{key_id[16:20]}-{key_id[20:]}"
            key = make_fake_key(key_id=key_id, tenant_id="BenchTenant", sub="bench-user")
            lines.insert(rng.randint(0, len(lines)), f"QLIK_API_KEY={key}")
            key_ids.append(key_id)
        (folder / name).write_text("\n".join(lines) + "\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "tree"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env)
    return sorted(key_ids)


def timed(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{argv[:3]} exited {done.returncode}: {done.stderr[-500:]}")
    return elapsed, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="qlik-tui-scan-bench-"))
    try:
        home = root / "home"
        home.mkdir()
        tree = root / "tree"
        tree.mkdir()
        key_ids = build_tree(tree, args.files)
        env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
        env["PYTHONPATH"] = str(HERE.parent)
        scan = [sys.executable, "-m", "qlik_tui", "scan", "--json", str(tree)]
        grep = ["git", "grep", "-l", "-F", "eyJ"]
        _, output = timed(scan, tree, env)  # warm-up, and the proof it finds what it should
        found = sorted(row["key_id"] for row in json.loads(output)["findings"])
        if found != key_ids:
            print(f"scan found {found}, planted {key_ids}: no number", file=sys.stderr)
            return 2
        timed(grep, tree, env)
        bare = [sys.executable, "-c", "pass"]
        a: list[float] = []
        b: list[float] = []
        c: list[float] = []
        for run in range(args.runs):
            rounds = [(a, scan), (b, grep), (c, bare)]
            for samples, argv in rounds if run % 2 == 0 else reversed(rounds):
                samples.append(timed(argv, tree, env)[0])
        median_a, median_b = statistics.median(a), statistics.median(b)
        median_c = statistics.median(c)
        ratio = median_a / median_b
        print(f"tree: {args.files} files, {PLANTED} planted keys (all found, no decoy)")
        print(f"A qlik-tui scan --json  median {median_a * 1000:.0f} ms")
        print(f"B git grep -l -F eyJ    median {median_b * 1000:.0f} ms")
        print(f"C python -c pass        median {median_c * 1000:.0f} ms (interpreter start-up)")
        print(
            f"A/B {ratio:.2f} (target <= {TARGET}); (A-C)/B {(median_a - median_c) / median_b:.2f}"
        )
        return 0 if ratio <= TARGET else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
