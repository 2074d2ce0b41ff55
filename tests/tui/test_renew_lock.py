"""The dashboard's renewal beside a ``rotate`` of the same profile in another process: it stops
before making a key and says why; the other renewal is the only one. Over the TLS sandbox and the
real Secret Service."""

from __future__ import annotations

import json
from pathlib import Path

from qlik_tui.core.outcomes import OutcomeKind
from qlik_tui.services.rotation import RotationStatus
from qlik_tui.store.secrets import SecretStore
from qlik_tui.tui.app import QlikTuiApp
from qlik_tui.tui.screens.renew import RenewModal
from tests.fixtures.cli import cli_process
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import key_id_of
from tests.fixtures.services import make_services
from tests.tui.helpers import open_dashboard, screen_text, settle, store, text_of

API = "/api/v1"
WAIT_S = 30.0  # a deadline, not a measurement


async def test_the_dashboards_renewal_stops_while_a_rotate_of_the_profile_runs(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    old_id = key_id_of(store(services, sandbox, "prod"))
    sandbox.set_fault("hold_answer", count=1, path=f"{API}/api-keys", method="POST", delay=WAIT_S)
    rotate = cli_process(services.profiles.path, "rotate", "prod", "--json")
    try:
        assert sandbox.held.wait(WAIT_S), "the rotate's create never arrived"
        app = QlikTuiApp(services, start="dashboard")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_dashboard(pilot)
            modal = RenewModal("prod")
            await app.push_screen(modal)
            await settle(pilot)
            result = modal.result
            assert result is not None and result.status is RotationStatus.FAILED
            assert result.outcome is not None
            assert result.outcome.kind is OutcomeKind.RENEWAL_IN_PROGRESS
            assert text_of(pilot, "#renew-heading") == (
                f"✗ Not renewed: profile prod still holds key {old_id}"
            )
            assert "Another renewal of this key is running" in screen_text(pilot)
        sandbox.release_held()
        out, err = rotate.communicate(timeout=WAIT_S)
    finally:
        if rotate.poll() is None:
            rotate.kill()
            rotate.communicate()
    assert rotate.returncode == 0, err
    new_id = json.loads(out)["new_key_id"]
    posts = [r for r in sandbox.requests if r.method == "POST" and r.path == f"{API}/api-keys"]
    assert len(posts) == 1
    assert sandbox.key_ids("admin") == [new_id]
    assert services.secrets.load("prod").info.key_id == new_id
