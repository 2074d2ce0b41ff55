from __future__ import annotations
import os, subprocess, sys, time
from pathlib import Path
import pytest
from qlik_tui.sandbox import SandboxTenant

REPO = Path(__file__).resolve().parents[2]

@pytest.mark.parametrize("site", ["none", "welcome", "live-test-worker", "discard", "rescue-worker"])
def test_child(site, sandbox: SandboxTenant, secret_store, isolated_home: Path, tmp_path: Path) -> None:
    key = sandbox.issue_key()
    out = tmp_path / "out"; out.mkdir()
    log = tmp_path / "textual.log"
    env = {**os.environ, "TEXTUAL_DRIVER": "textual.drivers.headless_driver:HeadlessDriver", "PYTHONPATH": str(REPO), "TEXTUAL_LOG": str(log)}
    if site == "discard":
        p = isolated_home / ".config/qlik-tui/profiles.json"; p.parent.mkdir(parents=True); p.write_text("{ broken")
    argv = [sys.executable, "-m", "tests.security.wizard_child", "--origin", sandbox.origin, "--out", str(out), "--site", site]
    if site == "rescue-worker": argv += ["--store", "none"]
    t = time.monotonic()
    done = subprocess.run(argv, input=key + "\n", capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    print("TIME", time.monotonic() - t)
    print("RC", done.returncode); print("OUT", done.stdout[-2000:]); print("ERR", done.stderr[-3000:])
    print(sorted(p.name for p in out.iterdir()))
    text = log.read_text() if log.exists() else ""
    sig = key.rsplit(".", 1)[1]
    print("LOG has key:", key in text, sig in text, len(text))
    for line in text.splitlines():
        if sig in line: print("LEAKLINE", line[:300])
    assert False
