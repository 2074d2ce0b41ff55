"""``qlik-tui completion SHELL``: a real bash completes commands, options and profile names
from the generated script; the script calls back into ``qlik-tui completion --profile-names``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qlik_tui.store.profiles import Profile, ProfileStore
from tests.cli.use_helpers import child_env, run_qlik_tui

COMPLETE = r"""
source "$1"
fn=$(complete -p qlik-tui | sed -E 's/.* -F ([^ ]+) .*/\1/')
shift
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
"$fn" qlik-tui "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


@pytest.fixture
def bash_script(tmp_path: Path) -> Path:
    """The generated bash script, and a ``qlik-tui`` on PATH running this checkout."""
    ProfileStore().put(Profile(name="prod", origin="https://prod.example.com"))
    ProfileStore().put(Profile(name="dev", origin="https://dev.example.com"))
    done = run_qlik_tui("completion", "bash")
    assert done.returncode == 0, done.stderr
    script = tmp_path / "qlik-tui.bash"
    script.write_text(done.stdout)
    shim = tmp_path / "bin" / "qlik-tui"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m qlik_tui "$@"\n')
    shim.chmod(0o755)
    return script


def complete(script: Path, *words: str) -> set[str]:
    env = child_env({"PATH": f"{script.parent / 'bin'}{os.pathsep}{os.environ['PATH']}"})
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", COMPLETE, "complete", str(script), *words],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (("qlik-tui", "token", ""), {"dev", "prod"}),
        (("qlik-tui", "rotate", "p"), {"prod"}),
        (("qlik-tui", "use", "d"), {"dev"}),
        (("qlik-tui", "login", "pr"), {"prod"}),
        (("qlik-tui", "st"), {"status"}),
        (("qlik-tui", "check", "--j"), {"--json"}),
        (("qlik-tui", "completion", "f"), {"fish"}),
    ],
)
def test_bash_completes_commands_options_and_profile_names(
    bash_script: Path, words: tuple[str, ...], expected: set[str]
) -> None:
    assert complete(bash_script, *words) == expected


def test_profile_names_are_read_without_a_key_store() -> None:
    ProfileStore().put(Profile(name="prod", origin="https://prod.example.com"))
    # No D-Bus at all: a key store could not even be asked, and is not.
    env = child_env()
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    done = run_qlik_tui("completion", "--profile-names", env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "prod\n", "")


@pytest.mark.parametrize(("shell", "option"), [("zsh", '"--json['), ("fish", "-l json")])
def test_zsh_and_fish_scripts_complete_profile_names(shell: str, option: str) -> None:
    done = run_qlik_tui("completion", shell)
    assert done.returncode == 0, done.stderr
    assert "qlik-tui completion --profile-names" in done.stdout
    assert "status" in done.stdout and option in done.stdout


def test_other_commands_never_import_shtab() -> None:
    code = (
        "import sys\nfrom qlik_tui.cli import main\n"
        "rc = main(['list', '--json'])\nprint('shtab' in sys.modules, rc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=child_env(), timeout=60)  # fmt: skip
    assert done.stdout.splitlines()[-1] == "False 0", done.stderr
