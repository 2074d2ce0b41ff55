"""HTTP/2 against HTTP/1.1 for many keys, without the keyring: ``N`` keys proven at once
(``verify_key``, the one-round-trip proof, over one shared client) against a sandbox offering
HTTP/2 and one offering HTTP/1.1 only, both answering after ``--delay`` seconds; interleaved
runs, medians, and the TLS handshakes (connections) each run cost.

    python benchmarks/protocols.py [--keys 200] [--delay 0.3] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qlik_tui.core.apikey import ApiKey, parse_key
from qlik_tui.core.client import ClientSettings, make_http_client
from qlik_tui.core.outcomes import OutcomeKind
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.services.verify import Detail, verify_key
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.tls import server_context


async def prove_all(sandbox: FaultySandbox, keys: list[ApiKey]) -> tuple[float, int]:
    settings = ClientSettings()
    tenant = parse_tenant(sandbox.origin)
    before = sandbox.connections
    started = time.perf_counter()
    async with make_http_client(settings) as http:
        reports = await asyncio.gather(
            *(verify_key(tenant, k, settings=settings, http=http, detail=Detail.KEY_RECORD)
              for k in keys)
        )  # fmt: skip
    elapsed = time.perf_counter() - started
    if {r.outcome.kind for r in reports} != {OutcomeKind.VALID}:
        raise RuntimeError("a key was not proven")
    return elapsed, sandbox.connections - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ca = trustme.CA()
    ca_path = Path(tempfile.mkdtemp()) / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    os.environ["SSL_CERT_FILE"] = str(ca_path)
    tenants = {
        "HTTP/2": FaultySandbox(ssl_context=server_context(ca, "127.0.0.1"), delay=args.delay),
        "HTTP/1.1": FaultySandbox(
            ssl_context=server_context(ca, "127.0.0.1"), delay=args.delay, http2=False
        ),
    }
    results: dict[str, list[tuple[float, int]]] = {name: [] for name in tenants}
    try:
        keys = {}
        for name, sandbox in tenants.items():
            sandbox.start()
            keys[name] = [parse_key(sandbox.issue_key()) for _ in range(args.keys)]
        for run in range(args.runs):
            order = list(tenants) if run % 2 == 0 else list(reversed(tenants))
            for name in order:
                results[name].append(asyncio.run(prove_all(tenants[name], keys[name])))
    finally:
        for sandbox in tenants.values():
            sandbox.stop()
    for name, runs in results.items():
        median = statistics.median(seconds for seconds, _ in runs)
        handshakes = [count for _, count in runs]
        print(f"{name:8}  {args.keys} keys, {args.delay:g} s: median {median:.2f} s, "
              f"TLS handshakes per run {handshakes}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
