"""The throwaway world every benchmark runs in (not part of the package, not a test).

``bench_world()`` starts, and tears down again:

- a temporary root with its own HOME and XDG dirs;
- a private D-Bus session with an unlocked gnome-keyring Secret Service (the tests' fixture,
  ``tests.fixtures.keyring_daemon.start_secret_service``);
- a trustme CA (``SSL_CERT_FILE`` for the subprocesses) and two HTTPS sandbox tenants on
  127.0.0.1 (the tests' ``FaultySandbox``): ``fast`` (no delay) and ``slow`` (``delay``
  seconds on every request);
- stored profiles, made with ``qlik_tui.services.login.store_login`` after a real verification:
  ``bench-fast`` and ``bench-many-001`` .. ``bench-many-NNN`` on the fast sandbox and
  ``bench-slow-001`` .. ``bench-slow-NNN`` on the slow one;
- for the dashboard, one config dir per profile count (``world.dashboard_env(n)``): the first
  ``n`` of the fast sandbox's many profiles (their keys in the same keyring).

``world.env`` is the environment for every subprocess (A and B alike): with
``bytecode_cache`` (the default) a throwaway ``PYTHONPYCACHEPREFIX`` and no
``PYTHONDONTWRITEBYTECODE``, so both run from cached bytecode after the warm-up, as after a pip
install. Only loopback addresses.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme

from qlik_tui.core.apikey import parse_key
from qlik_tui.core.oauth import ClientSecret
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.services.login import store_login
from qlik_tui.services.oauth_clients import prove_client
from qlik_tui.services.storing import store_client
from qlik_tui.services.token_cache import save_cached_token
from qlik_tui.services.verify import Detail, verify_key
from qlik_tui.store.profiles import ProfileStore
from qlik_tui.store.secrets import SecretStore
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.keyring_daemon import (
    SESSION_VARIABLES,
    start_secret_service,
    stop_secret_service,
)
from tests.fixtures.tls import SERVER_NAMES, server_context

FAST_PROFILE = "bench-fast"
CLIENT_PROFILE = "bench-client"  # an OAuth client's profile, with a cached access token
SLOW_PREFIX = "bench-slow-"
MANY_PREFIX = "bench-many-"
DASHBOARD_SIZES = (1, 20, 200, 500)
VERIFY_BATCH = 50  # keys verified at once while the world is built
KEYRING_PASSWORD = "qlik-tui-bench"
# Variables that would reach the developer's own session, display, proxies or logs.
_SCRUBBED = (
    *SESSION_VARIABLES,
    "TEXTUAL_LOG",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "NO_COLOR",
    "PYTHONPROFILEIMPORTTIME",
    "PYTHONPYCACHEPREFIX",
)


@dataclass(frozen=True)
class World:
    root: Path
    env: dict[str, str]
    fast: FaultySandbox
    slow: FaultySandbox
    slow_profiles: tuple[str, ...]
    many_profiles: tuple[str, ...]  # on the fast sandbox
    dashboard_configs: dict[int, Path]

    @property
    def fast_profile(self) -> str:
        return FAST_PROFILE

    def dashboard_env(self, count: int) -> dict[str, str]:
        """The environment of a dashboard holding ``count`` profiles (of ``many_profiles``)."""
        return {**self.env, "XDG_CONFIG_HOME": str(self.dashboard_configs[count])}


def _environment(
    root: Path, home: Path, bus_address: str, ca_path: Path, bytecode_cache: bool
) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in _SCRUBBED}
    if bytecode_cache:
        # As after a pip install, every module runs from cached bytecode (the warm-up runs
        # write it), here into a throwaway tree: nothing is written next to the sources, and
        # an inherited PYTHONDONTWRITEBYTECODE would otherwise recompile qlik_tui (an editable
        # install) from source on every launch while B's libraries come precompiled.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_RUNTIME_DIR=str(root / "secret-service" / "run"),
        DBUS_SESSION_BUS_ADDRESS=bus_address,
        SSL_CERT_FILE=str(ca_path),
        NO_PROXY="*",
        TERM="xterm-256color",
    )
    return env


def _store_profiles(
    services: Services, sandbox: FaultySandbox, names: list[str], user: str = "admin"
) -> None:
    tenant = parse_tenant(sandbox.origin)

    async def verify_all() -> list[object]:
        keys = [parse_key(sandbox.issue_key("valid", user=user)) for _ in names]
        reports: list[object] = []
        for start in range(0, len(keys), VERIFY_BATCH):
            batch = keys[start : start + VERIFY_BATCH]
            reports += await asyncio.gather(
                *(verify_key(tenant, key, detail=Detail.KEY_RECORD) for key in batch)
            )
        return list(zip(keys, reports, strict=True))

    for name, (key, report) in zip(names, asyncio.run(verify_all()), strict=True):
        if report.outcome.kind.value != "valid":
            raise RuntimeError(f"the sandbox did not accept the key for {name}: {report.outcome}")
        store_login(services, name=name, tenant=tenant, key=key, report=report)


def _dashboard_configs(root: Path, source: ProfileStore, names: list[str]) -> dict[int, Path]:
    """A config dir per dashboard size holding the first ``n`` of ``names``."""
    by_name = {profile.name: profile for profile in source.all()}
    configs: dict[int, Path] = {}
    for count in DASHBOARD_SIZES:
        if count > len(names):
            continue
        config = root / f"dashboard-{count}"
        with ProfileStore(config / "qlik-tui" / "profiles.json").editing() as edit:
            for name in names[:count]:
                edit.put(by_name[name])
            edit.commit()
        configs[count] = config
    return configs


def _store_client(services: Services, sandbox: FaultySandbox, name: str) -> None:
    """An OAuth client's profile, proven (its token cached, as ``login`` leaves it)."""
    tenant = parse_tenant(sandbox.origin)
    client_id, secret = sandbox.create_oauth_client("bench")
    proof = asyncio.run(prove_client(tenant, client_id, ClientSecret(secret)))
    if proof.token is None:
        raise RuntimeError(f"the sandbox did not accept the client for {name}: {proof.outcome}")
    stored = store_client(
        services,
        name=name,
        tenant=tenant,
        client_id=client_id,
        secret=ClientSecret(secret),
        proof=proof,
        replace=True,
    )
    save_cached_token(services, stored.profile, proof.token)


@contextmanager
def bench_world(
    slow_delay: float = 0.3,
    slow_profiles: int = 20,
    *,
    many_profiles: int = max(DASHBOARD_SIZES),
    bytecode_cache: bool = True,
) -> Iterator[World]:
    """The world, torn down on exit. The sandbox's server is the package's (listen backlog 128,
    TCP_NODELAY on its connections): nothing of it is patched."""
    if shutil.which("gnome-keyring-daemon") is None or shutil.which("dbus-daemon") is None:
        raise SystemExit("benchmarks need gnome-keyring and dbus (apt-get install gnome-keyring)")
    root = Path(tempfile.mkdtemp(prefix="qlik-tui-bench-"))
    saved = dict(os.environ)
    session = None
    sandboxes: list[FaultySandbox] = []
    try:
        session = start_secret_service(root / "secret-service", KEYRING_PASSWORD)
        ca = trustme.CA()
        ca_path = root / "sandbox-ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        env = _environment(root, session.home, session.address, ca_path, bytecode_cache)
        # This process too: store_login below uses the same keyring, config dir and CA.
        os.environ.clear()
        os.environ.update(env)

        tls = server_context(ca, *SERVER_NAMES)
        fast = FaultySandbox(ssl_context=tls).start()
        sandboxes.append(fast)
        slow = FaultySandbox(ssl_context=tls).start()
        sandboxes.append(slow)

        services = Services(
            secrets=SecretStore(),
            profiles=ProfileStore(session.home / ".config" / "qlik-tui" / "profiles.json"),
        )
        slow_names = [f"{SLOW_PREFIX}{i:03d}" for i in range(1, slow_profiles + 1)]
        many_names = [f"{MANY_PREFIX}{i:03d}" for i in range(1, many_profiles + 1)]
        _store_profiles(services, fast, [FAST_PROFILE, *many_names])
        _store_client(services, fast, CLIENT_PROFILE)
        _store_profiles(services, slow, slow_names)
        configs = _dashboard_configs(root, services.profiles, many_names)
        slow.delay = slow_delay  # only now: setting up stays quick
        yield World(root, env, fast, slow, tuple(slow_names), tuple(many_names), configs)
    finally:
        for sandbox in sandboxes:
            sandbox.stop()
        if session is not None:
            stop_secret_service(session)
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(root, ignore_errors=True)
