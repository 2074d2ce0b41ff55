"""One exit-code table (``commands/exits.py``): main --help and the README show it, rendered."""

from __future__ import annotations

from pathlib import Path

from qlik_tui.cli import build_parser
from qlik_tui.commands import exits

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_shows_the_exit_code_table() -> None:
    readme = README.read_text(encoding="utf-8")
    section = readme[readme.index("### Exit codes") :]
    section = section[: section.index("\n### ")]
    assert exits.markdown(exits.CODES) in section


def test_main_help_shows_every_shared_exit_code() -> None:
    shown = build_parser().format_help()
    assert exits.HELP in shown
    for code, _meaning in exits.CODES:
        assert f"\n  {code:<5}" in shown


def test_every_command_help_shows_its_codes_or_points_at_the_table() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, sub in commands.items():
        epilog = sub.epilog or ""
        assert epilog.startswith((exits.SEE_MAIN_HELP, "exit codes:")) or "\nexit codes:\n" in (
            epilog
        ), name
