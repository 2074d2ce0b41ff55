"""The fault matrix, CLI side: every network and keyring fault through ``check`` and ``login``.

Each case asserts the outcome row, the exit code, that the stored key survives, and that the
next run (fault gone) is back to valid — the tool stays usable.
"""

from __future__ import annotations

import json
import shutil
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keyring.backends.fail
import pytest
import trustme

from qlik_tui.core.client import ClientSettings
from qlik_tui.services.context import Services
from qlik_tui.store.secrets import SecretStore
from tests.fixtures.cli import (
    RunCli,
    cli_in_subprocess,
    closed_port_origin,
    store_profile,
)
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import OffsiteRecorder
from tests.fixtures.services import make_services
from tests.fixtures.tls import TlsCa
from tests.store.doubles import HangingKeyring, MemoryKeyring, TruncatingKeyring

USERS_ME = "/api/v1/users/me"


@dataclass(frozen=True)
class NetworkFault:
    name: str
    arm: Callable[[FaultySandbox, OffsiteRecorder], None]
    outcome: str
    exit_code: int


def fault(name: str, *, path: str | None = USERS_ME, **params: object) -> Callable[..., None]:
    def arm(sandbox: FaultySandbox, recorder: OffsiteRecorder) -> None:
        if name == "offsite_redirect":
            params["target"] = recorder.origin
        sandbox.set_fault(name, path=path, **params)

    return arm


NETWORK_FAULTS = [
    NetworkFault("slow beyond timeout", fault("slow", delay=3), "timeout", 3),
    NetworkFault("reset mid-response", fault("reset"), "connection_reset", 3),
    NetworkFault("429 then success", fault("rate_limit", retry_after=1, count=1), "valid", 0),
    NetworkFault(
        "429 without retry-after", fault("rate_limit_no_retry_after", count=1), "valid", 0
    ),
    NetworkFault(
        "429 beyond the longest wait", fault("rate_limit", retry_after=90), "rate_limited", 3
    ),
    NetworkFault("500", fault("status_500"), "server_error", 3),
    NetworkFault("HTML 502", fault("html_502"), "server_error", 3),
    NetworkFault("malformed JSON", fault("malformed_json"), "malformed_response", 3),
    NetworkFault("oversized body", fault("oversized", mb=50), "response_too_large", 3),
    NetworkFault("offsite redirect", fault("offsite_redirect"), "offsite_redirect", 3),
    NetworkFault("redirect loop", fault("redirect_loop", growing=True), "redirect_loop", 3),
    NetworkFault("403", fault("forbidden_me"), "forbidden", 1),
    NetworkFault("404", fault("not_found"), "not_found", 3),
]


@pytest.fixture
def fast_services(services: Services) -> Services:
    services.client_settings = ClientSettings(
        connect_timeout=2.0, read_timeout=0.5, max_retry_wait=2.0, default_retry_wait=0.2
    )
    return services


def check_json(run_cli: RunCli, *names: str) -> tuple[int, list[dict[str, object]]]:
    result = run_cli("check", "--json", *names)
    return result.code, json.loads(result.stdout) if result.stdout else []


@pytest.mark.parametrize("case", NETWORK_FAULTS, ids=lambda c: c.name)
def test_check_explains_each_network_fault(
    case: NetworkFault,
    run_cli: RunCli,
    sandbox: FaultySandbox,
    offsite_recorder: OffsiteRecorder,
    fast_services: Services,
) -> None:
    key = sandbox.issue_key()
    store_profile(fast_services, "p", sandbox.origin, key)
    case.arm(sandbox, offsite_recorder)
    code, results = check_json(run_cli)
    assert code == case.exit_code
    assert results[0]["outcome"] == case.outcome
    assert results[0]["cause"] and results[0]["next_step"]
    if case.name.startswith("429") and case.outcome == "valid":
        assert float(str(results[0]["rate_limit_waited_s"])) > 0
    assert offsite_recorder.requests == []  # the key never went anywhere else
    assert fast_services.secrets.load("p").reveal() == key  # the stored key survives

    sandbox.clear_faults()
    assert check_json(run_cli)[0] == 0  # and the next check is back to valid


@pytest.mark.parametrize("case", NETWORK_FAULTS, ids=lambda c: c.name)
def test_login_explains_each_network_fault_and_stores_nothing(
    case: NetworkFault,
    run_cli: RunCli,
    sandbox: FaultySandbox,
    offsite_recorder: OffsiteRecorder,
    fast_services: Services,
) -> None:
    key = sandbox.issue_key()
    case.arm(sandbox, offsite_recorder)
    result = run_cli("login", "--tenant", sandbox.origin, "--name", "p", "--with-token", stdin=key)
    assert result.code == case.exit_code, result.output
    if case.exit_code:
        assert "cause:" in result.stderr
        assert fast_services.profiles.all() == []
    else:
        assert fast_services.secrets.load("p").reveal() == key
    assert offsite_recorder.requests == []


def tls_server(context: ssl.SSLContext) -> FaultySandbox:
    return FaultySandbox(ssl_context=context).start()


def stranger_context() -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)  # a CA not in SSL_CERT_FILE
    return context


@pytest.mark.parametrize("server", ["untrusted CA", "certificate for another host", "refused"])
def test_check_and_login_explain_connection_faults(
    server: str, run_cli: RunCli, tls_ca: TlsCa, fast_services: Services
) -> None:
    if server == "refused":
        origin, key, expected = closed_port_origin(), None, "connection_refused"
        tenant = None
    else:
        context = (
            stranger_context()
            if server == "untrusted CA"
            else tls_ca.server_context_for("tenant.example")
        )
        tenant = tls_server(context)
        origin, key, expected = tenant.origin, tenant.issue_key(), "tls_failure"
    try:
        key = key or FaultySandbox().issue_key()
        store_profile(fast_services, "p", origin, key)
        code, results = check_json(run_cli)
        assert (code, results[0]["outcome"]) == (3, expected)
        login = run_cli("login", "--tenant", origin, "--name", "q", "--with-token", stdin=key)
        assert login.code == 3
        assert [p.name for p in fast_services.profiles.all()] == ["p"]
        if tenant is not None:
            assert tenant.requests == []  # nothing got through the failed handshake
    finally:
        if tenant is not None:
            tenant.stop()


@pytest.mark.skipif(shutil.which("unshare") is None, reason="util-linux unshare is not installed")
def test_check_explains_a_dns_failure(
    sandbox: FaultySandbox, fast_services: Services, tmp_path: Path
) -> None:
    # A fresh network namespace has no route anywhere: the lookup fails on this machine, and no
    # query leaves it. The D-Bus socket is a path, so the keyring still works inside.
    store_profile(fast_services, "dns", "https://acme.eu.qlikcloud.com", sandbox.issue_key())
    done = cli_in_subprocess(
        fast_services.profiles.path, "check", "--json", wrapper=["unshare", "--net"]
    )
    if done.returncode != 3 and "Operation not permitted" in done.stderr:
        pytest.skip("creating a network namespace is not permitted here")
    assert done.returncode == 3, done.stderr
    result = json.loads(done.stdout)[0]
    assert result["outcome"] == "dns_failure"
    assert "region part (here: eu)" in str(result["cause"])


# -- keyring faults ---------------------------------------------------------------------------


def services_over(backend: object, tmp_path: Path, deadline_s: float = 3.0) -> Services:
    return make_services(tmp_path / "cfg", SecretStore(deadline_s=deadline_s, backend=backend))  # type: ignore[arg-type]


def test_check_with_no_keyring_backend_is_inconclusive(
    run_cli: RunCli, sandbox: FaultySandbox, tmp_path: Path
) -> None:
    working = services_over(MemoryKeyring(), tmp_path)
    store_profile(working, "p", sandbox.origin, sandbox.issue_key())
    broken = services_over(keyring.backends.fail.Keyring(), tmp_path)
    result = run_cli("check", "--json", using=broken)
    assert result.code == 3
    assert json.loads(result.stdout)[0]["outcome"] == "keyring_unavailable"


def test_check_with_a_hanging_keyring_hits_the_deadline(
    run_cli: RunCli, sandbox: FaultySandbox, tmp_path: Path
) -> None:
    memory = MemoryKeyring()
    store_profile(services_over(memory, tmp_path), "p", sandbox.origin, sandbox.issue_key())
    hanging = HangingKeyring()
    hanging.items = memory.items
    try:
        result = run_cli("check", "--json", using=services_over(hanging, tmp_path, deadline_s=0.3))
    finally:
        hanging.release.set()
    assert result.code == 3
    entry = json.loads(result.stdout)[0]
    assert entry["outcome"] == "keyring_unavailable"
    assert "did not answer" in str(entry["cause"])


def test_check_with_a_locked_keyring_is_inconclusive(
    run_cli: RunCli,
    sandbox: FaultySandbox,
    tmp_path: Path,
    locked_secret_service: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import keyring.backends.SecretService as secret_service

    from tests.fixtures.keyring_daemon import LOCKED_PROFILE

    services = services_over(secret_service.Keyring(), tmp_path)
    services.profiles.put(
        __import__("qlik_tui.store.profiles", fromlist=["Profile"]).Profile(
            name=LOCKED_PROFILE, origin=sandbox.origin
        )
    )
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", locked_secret_service.address)  # type: ignore[attr-defined]
    result = run_cli("check", "--json", using=services)
    assert result.code == 3
    entry = json.loads(result.stdout)[0]
    assert entry["outcome"] == "keyring_unavailable"
    assert "locked" in str(entry["cause"]).lower()


def test_login_with_a_truncating_keyring_stores_nothing_and_exits_4(
    run_cli: RunCli, sandbox: FaultySandbox, tmp_path: Path
) -> None:
    truncating = TruncatingKeyring(limit=200)  # shorter than any key, like a 1280-char cap
    key = sandbox.issue_key()
    result = run_cli(
        "login",
        "--tenant",
        sandbox.origin,
        "--name",
        "t",
        "--with-token",
        stdin=key,
        using=services_over(truncating, tmp_path),
    )
    assert result.code == 4
    assert "fix:" in result.stderr or "truncat" in result.stderr.lower()
    assert truncating.items == {}
    assert key.rsplit(".", 1)[1] not in result.output


@pytest.mark.parametrize("backend", ["none", "hanging", "locked"])
def test_login_keyring_faults_exit_4_and_store_nothing(
    backend: str,
    run_cli: RunCli,
    sandbox: FaultySandbox,
    tmp_path: Path,
    locked_secret_service: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import keyring.backends.SecretService as secret_service

    hanging = HangingKeyring()
    chosen: object = {
        "none": keyring.backends.fail.Keyring(),
        "hanging": hanging,
        "locked": secret_service.Keyring(),
    }[backend]
    if backend == "locked":
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", locked_secret_service.address)  # type: ignore[attr-defined]
    services = services_over(chosen, tmp_path, deadline_s=0.3)
    try:
        result = run_cli(
            "login",
            "--tenant",
            sandbox.origin,
            "--with-token",
            stdin=sandbox.issue_key(),
            using=services,
        )
    finally:
        hanging.release.set()
    assert result.code == 4, result.output
    assert "fix:" in result.stderr
    assert "The key was not stored" in result.stderr
    assert services.profiles.all() == []


def test_http_to_an_https_tenant_says_to_write_https(
    sandbox: FaultySandbox, run_cli: RunCli, services: Services
) -> None:
    plain = sandbox.origin.replace("https://", "http://")
    login = run_cli("login", "--tenant", plain, "--name", "p", "--with-token",
                    stdin=sandbox.issue_key())  # fmt: skip
    assert login.code == 3
    assert "This address speaks HTTPS" in login.stderr
    host = plain.removeprefix("http://")
    assert f"--tenant https://{host}" in login.stderr
    assert "proxy" not in login.stderr and "firewall" not in login.stderr
    assert services.profiles.all() == []

    store_profile(services, "p", plain, sandbox.issue_key())
    code, results = check_json(run_cli)
    assert (code, results[0]["outcome"]) == (3, "speaks_https")


def test_http_to_a_port_that_drops_everything_stays_connection_dropped(
    run_cli: RunCli, services: Services
) -> None:
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def drop_each() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.recv(65536)
            connection.close()

    threading.Thread(target=drop_each, daemon=True).start()
    try:
        store_profile(services, "p", f"http://127.0.0.1:{port}", FaultySandbox().issue_key())
        code, results = check_json(run_cli)
        assert (code, results[0]["outcome"]) == (3, "connection_reset")
    finally:
        listener.close()
