"""``qlik-tui exec``: the key only in COMMAND's environment, COMMAND's exit code, signals."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from qlik_tui.sandbox import SandboxTenant
from qlik_tui.store.secrets import SecretStore
from tests.cli.use_helpers import child_env, qlik_tui_argv, run_qlik_tui, store_in_default_place
from tests.fixtures.cli import RunCli

# The child reports what it got: hashes of secret values, never the values themselves.
REPORT_ENV = """
import hashlib, json, os, sys
def seen(name):
    value = os.environ.get(name)
    if value is None:
        return None
    if name.endswith("KEY"):
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return value
names = sys.argv[1:]
print(json.dumps({name: seen(name) for name in names}))
"""

# Installs handlers, says it is ready (and its pid), then waits for a signal.
WAIT_FOR_SIGNAL = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(42))
signal.signal(signal.SIGINT, lambda *_: sys.exit(21))
print("ready", os.getpid(), flush=True)
time.sleep(60)
sys.exit(99)
"""


def signature(key: str) -> str:
    return key.rsplit(".", 1)[1]


def sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def stored_key(sandbox: SandboxTenant, secret_store: SecretStore) -> str:
    key = sandbox.issue_key()
    store_in_default_place(secret_store, "prod", sandbox.origin, key)
    return key


def test_command_gets_the_variables(sandbox: SandboxTenant, stored_key: str) -> None:
    names = ["QCS_SERVER", "QCS_HOST", "QCS_API_KEY", "QLIK_TUI_PROFILE", "QLIK_TUI_EXEC"]
    names += ["QLIK_API_KEY", "URL"]
    done = run_qlik_tui(
        "exec", "prod", "--key-var", "QLIK_API_KEY", "--server-var", "URL", "--",
        sys.executable, "-c", REPORT_ENV, *names,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "QCS_SERVER": sandbox.origin,
        "QCS_HOST": f"127.0.0.1:{sandbox.port}",
        "QCS_API_KEY": sha(stored_key),
        "QLIK_TUI_PROFILE": "prod",
        "QLIK_TUI_EXEC": "prod",
        "QLIK_API_KEY": sha(stored_key),
        "URL": sandbox.origin,
    }
    assert signature(stored_key) not in done.stdout + done.stderr


def test_exit_code_is_the_commands(stored_key: str) -> None:
    done = run_qlik_tui("exec", "prod", "--", sys.executable, "-c", "import sys; sys.exit(7)")
    assert done.returncode == 7
    assert done.stdout == "" and done.stderr == ""


def test_death_by_signal_exits_128_plus_n(stored_key: str) -> None:
    kill_self = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    done = run_qlik_tui("exec", "prod", "--", sys.executable, "-c", kill_self)
    assert done.returncode == 128 + signal.SIGKILL


def start_waiting_child(
    *extra: str, command: tuple[str, ...] = (sys.executable, "-c", WAIT_FOR_SIGNAL)
) -> tuple[subprocess.Popen[str], int]:
    """``qlik-tui exec prod -- <a child waiting for a signal>`` in its own process group (as a
    shell's job is); returns the process and the child's pid once it is ready."""
    process = subprocess.Popen(
        qlik_tui_argv("exec", "prod", *extra, "--", *command),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        start_new_session=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("ready "), process.stderr.read() if process.stderr else ""
    return process, int(line.split()[1])


def test_sigterm_to_qlik_tui_is_forwarded_to_the_command(stored_key: str) -> None:
    process, _ = start_waiting_child()
    process.send_signal(signal.SIGTERM)  # to qlik-tui alone
    assert process.wait(timeout=30) == 42  # the child's SIGTERM handler ran


def test_ctrl_c_from_the_terminal_reaches_the_command_and_not_only_qlik_tui(
    stored_key: str,
) -> None:
    process, _ = start_waiting_child()
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole job
    assert process.wait(timeout=30) == 21  # the child's handler decided, qlik-tui waited


def test_a_command_with_default_handlers_dies_of_ctrl_c_and_exec_says_130(
    stored_key: str,
) -> None:
    sleeper = ("sh", "-c", "echo ready $$; exec sleep 60")
    process, _ = start_waiting_child(command=sleeper)
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=30) == 128 + signal.SIGINT


def test_no_argv_holds_the_key_while_the_command_runs(stored_key: str) -> None:
    process, child_pid = start_waiting_child("--key-var", "OTHER_KEY")
    try:
        argvs = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    argvs[entry.name] = (entry / "cmdline").read_bytes()
                except OSError:  # the process ended meanwhile
                    continue
        # The scan saw qlik-tui and its child: the run was under way.
        assert str(process.pid) in argvs and str(child_pid) in argvs
        leaks = [pid for pid, argv in argvs.items() if signature(stored_key).encode() in argv]
        assert leaks == []
        # The honest limit: the same user can read a child's environment.
        assert stored_key.encode() in Path(f"/proc/{child_pid}/environ").read_bytes()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_nesting_is_refused(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QLIK_TUI_EXEC", "outer")
    result = run_cli("exec", "prod", "--", "true")
    assert result.code == 2
    assert 'already running inside `qlik-tui exec` (profile "outer"' in result.stderr


def test_check_refuses_a_rejected_key_and_does_not_run_the_command(
    sandbox: SandboxTenant, secret_store: SecretStore, tmp_path: Path
) -> None:
    key = sandbox.issue_key("revoked")
    store_in_default_place(secret_store, "old", sandbox.origin, key)
    marker = tmp_path / "ran"
    done = run_qlik_tui(
        "exec", "old", "--check", "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')"
    )
    assert done.returncode == 1
    assert "Key rejected (401)" in done.stderr
    assert "cause:" in done.stderr and "next:" in done.stderr
    assert "The command was not run." in done.stderr
    assert not marker.exists()
    assert done.stdout == ""
    assert signature(key) not in done.stderr


def test_check_runs_the_command_when_the_key_works(stored_key: str) -> None:
    done = run_qlik_tui("exec", "prod", "--check", "--", sys.executable, "-c", "print('ran')")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ran\n"


def test_missing_command_exits_127(stored_key: str) -> None:
    done = run_qlik_tui("exec", "prod", "--", "no-such-command-qlik-tui-test")
    assert done.returncode == 127
    assert "command not found" in done.stderr


def test_no_command_and_bad_variable_names_are_usage_errors(run_cli: RunCli) -> None:
    assert run_cli("exec", "prod").code == 2
    bad = run_cli("exec", "prod", "--key-var", "NOT-A-NAME", "--", "true")
    assert bad.code == 2
    assert "not a valid environment variable name" in bad.stderr


def test_unknown_profile_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli("exec", "nope", "--", "true")
    assert result.code == 2
    assert 'no profile named "nope"' in result.stderr


def test_collection_is_back_on_after_exec_in_process(run_cli: RunCli) -> None:
    # exec runs without garbage collection; a caller in the same process gets it back
    assert gc.isenabled()
    assert run_cli("exec", "nope", "--", "true").code == 2
    assert gc.isenabled()


@pytest.mark.parametrize(
    ("argv", "name", "command", "check", "key_vars"),
    [
        (["exec", "p", "--", "tool", "--check"], "p", ["tool", "--check"], False, []),
        (["exec", "p", "--check", "--", "tool"], "p", ["tool"], True, []),
        (["exec", "--check", "p", "--", "tool"], "p", ["tool"], True, []),
        (["exec", "p", "--key-var=A", "--key-var", "B", "x", "-v"], "p", ["x", "-v"], False,
         ["A", "B"]),
        (["exec", "p", "tool", "--", "x"], "p", ["tool", "--", "x"], False, []),
        (["exec", "--", "tool"], None, ["tool"], False, []),
        (["exec", "--check", "--", "tool", "p"], None, ["tool", "p"], True, []),
    ],
)  # fmt: skip
def test_exec_options_may_follow_the_name_and_never_reach_into_the_command(
    argv: list[str], name: str | None, command: list[str], check: bool, key_vars: list[str]
) -> None:
    from qlik_tui.cli import build_parser
    from qlik_tui.commands.exec_cmd import take_options

    args = build_parser().parse_args(argv)
    assert take_options(list(args.argv), args) == (name, command)
    assert args.check is check
    assert args.key_var == key_vars


def test_a_key_typed_as_the_command_is_not_echoed(stored_key: str) -> None:
    done = run_qlik_tui("exec", "prod", "--", stored_key)
    assert done.returncode == 2
    assert "looks like an API key" in done.stderr
    assert signature(stored_key) not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("flag", "name"),
    [
        ("--key-var", "LD_PRELOAD"),
        ("--key-var", "DYLD_INSERT_LIBRARIES"),
        ("--key-var", "BASH_ENV"),
        ("--key-var", "PYTHONSTARTUP"),
        ("--key-var", "https_proxy"),
        ("--server-var", "PATH"),
        ("--server-var", "NODE_OPTIONS"),
    ],
)
def test_a_name_a_loader_shell_or_interpreter_acts_on_is_refused(
    stored_key: str, tmp_path: Path, flag: str, name: str
) -> None:
    ran = tmp_path / "ran"
    done = run_qlik_tui(
        "exec", "prod", flag, name, "--",
        sys.executable, "-c", f"open({str(ran)!r}, 'w').close()",
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"{flag} {name}: " in done.stderr
    assert "choose a name of your own" in done.stderr
    assert not ran.exists()  # COMMAND never started
    assert signature(stored_key) not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "name",
    ["LD_LIBRARY_PATH", "ld_audit", "IFS", "ENV", "PERL5OPT", "RUBYOPT", "JAVA_TOOL_OPTIONS",
     "_JAVA_OPTIONS", "LC_ALL", "SSL_CERT_FILE", "GIT_SSH_COMMAND", "QLIK_TUI_PROFILE", "HOME"],
)  # fmt: skip
def test_the_refused_names(name: str) -> None:
    from qlik_tui.commands.exec_names import why_refused

    assert why_refused(name) is not None


@pytest.mark.parametrize("name", ["QLIK_API_KEY", "QCS_API_KEY", "MY_PATH", "URL", "TOKEN"])
def test_names_of_ones_own_are_free(name: str) -> None:
    from qlik_tui.commands.exec_names import why_refused

    assert why_refused(name) is None
