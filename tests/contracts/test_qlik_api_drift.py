"""``scripts/qlik_api_drift.py`` lists what a newer ``@qlik/api`` changed in the recorded types.

The fixture ``fixtures/qlik-api-next`` is a made-up later release holding only a changed
``api-keys.d.ts`` (its header says what changed)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.contracts.spec import QLIK_API_VERSION, SCHEMA_DIR

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "qlik_api_drift.py"
NEXT = Path(__file__).parent / "fixtures" / "qlik-api-next"


def run_drift(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_drift_lists_each_changed_member_and_type() -> None:
    result = run_drift(str(NEXT))
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        f"schemas read from @qlik/api {QLIK_API_VERSION}; compared with 2.99.0",
        "api-keys.d.ts ApiKey.created: now required",
        "api-keys.d.ts ApiKey.createdByUser: removed (was string, required)",
        "api-keys.d.ts ApiKey.lastUsed: added (string, optional)",
        "api-keys.d.ts ApiKey.status: enum values added ['disabled']",
        "api-keys.d.ts ApiKeyWithToken: no longer published (recorded as ApiKeyWithToken)",
        "api-keys.d.ts ApiKeysConfig.max_keys_per_user: type number -> string",
        "oauth-clients.d.ts: not in the package (recorded in oauth-clients.schema.json)",
        "oauth-tokens.d.ts: not in the package (recorded in oauth-tokens.schema.json)",
        "tenants.d.ts: not in the package (recorded in tenants.schema.json)",
        "users.d.ts: not in the package (recorded in users.schema.json)",
    ]


def test_drift_reports_nothing_when_the_types_are_unchanged(tmp_path: Path) -> None:
    # the schemas of the types the fixture did not change (Link, Error, Errors, ApiKeyPage)
    api_keys = json.loads((SCHEMA_DIR / "api-keys.schema.json").read_text("utf-8"))
    unchanged = ("Link", "Error", "Errors", "ApiKeyPage", "ApiKey")
    api_keys["$defs"] = {k: v for k, v in api_keys["$defs"].items() if k in unchanged}
    api_keys["$defs"]["ApiKey"].pop("$comment")  # referenced by ApiKeyPage, not compared
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "api-keys.schema.json").write_text(json.dumps(api_keys), "utf-8")
    result = run_drift(str(NEXT), "--schemas", str(schemas))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[1:] == ["no changes in the types the schemas record"]


def test_drift_reads_a_tarballs_package_folder_or_the_folder_above() -> None:
    inner = run_drift(str(NEXT / "package"))
    outer = run_drift(str(NEXT))
    assert inner.stdout == outer.stdout and inner.returncode == outer.returncode == 1


def test_drift_refuses_a_folder_that_is_not_a_package(tmp_path: Path) -> None:
    shutil.copy(NEXT / "package" / "api-keys.d.ts", tmp_path)
    result = run_drift(str(tmp_path))
    assert result.returncode == 2
    assert "cannot read" in result.stderr and result.stdout == ""
