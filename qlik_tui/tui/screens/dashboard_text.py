"""The dashboard's words: the summary line, the empty and broken panes, the forget question."""

from __future__ import annotations

from datetime import datetime

from qlik_tui.core.outcomes import Verdict
from qlik_tui.core.timestamps import parse_iso_datetime
from qlik_tui.store.profiles import Profile
from qlik_tui.tui.widgets.profile_table import ProfileRow, ago

EMPTY_TEXT = (
    "No API keys are stored yet. The setup walks you through it: check that you may generate "
    "keys, generate one in Qlik Cloud, paste it once, prove it works, and keep it in the OS "
    "keyring or qlik-tui's encrypted file."
)
UNREADABLE_HEADING = "✗ The profiles file cannot be read"
UNREADABLE_AFTER = "After fixing or removing the file, choose Reload."


def forget_question(name: str, backend: str | None) -> str:
    where = backend or "the OS keyring"
    return f"Forget profile {name}? This removes its key from {where} and its metadata."


KEY_AT_RISK = "A pasted key is not stored yet: store it or discard it in the setup first."
FORGET_DETAIL = (
    "The key itself keeps working in Qlik Cloud until it expires or is deleted there "
    "(Profile settings > API keys)."
)


def renew_confirm_question(profile: Profile, others: list[str]) -> str:
    moment = parse_iso_datetime(profile.expiry)
    expiry = f" (expires {moment.strftime('%Y-%m-%d %H:%M UTC')})" if moment else ""
    return (
        f"Renew the key of profile {profile.name}? A new key is created on {profile.origin}, "
        f"then the old key {profile.key_id or '(no key id)'}{expiry} is deleted there."
        + (f" Profile {', '.join(others)} holds the same key and is renewed too." if others else "")
    )


RENEW_DETAIL = "Enter renews; Esc keeps the current key."


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_text(rows: list[ProfileRow], now: datetime) -> str:
    """ "3 keys · 2 valid · 1 rejected · checked 5 min ago" (zero counts left out)."""
    counts = {verdict: 0 for verdict in Verdict}
    unchecked = 0
    for row in rows:
        if row.outcome is None:
            unchecked += 1
        else:
            counts[row.outcome.verdict] += 1
    parts = [plural(len(rows), "key")]
    parts += [f"{counts[verdict]} {verdict.value}" for verdict in Verdict if counts[verdict] > 0]
    if unchecked:
        parts.append(f"{unchecked} not checked")
    moments = {
        r.profile.last_checked_at: parse_iso_datetime(r.profile.last_checked_at) for r in rows
    }
    checked = sorted((moment, iso) for iso, moment in moments.items() if moment and iso)
    if checked:
        newest, oldest = ago(checked[-1][1], now), ago(checked[0][1], now)
        if newest == oldest:
            parts.append(f"checked {newest}")
        else:  # "checked 5 min-2 d ago", with an en dash
            parts.append(f"checked {newest.removesuffix(' ago')}\u2013{oldest}")
    return " · ".join(parts)


KEYS_TITLE = "Keys on the dashboard"
# What each of the dashboard's keys does (by action), for ? and F1; the app's keys follow.
KEYS_WORDS = {
    "recheck_selected": "read the stored profiles again, then check the selected key",
    "recheck_all": "check every stored key",
    "forget": "forget the selected key (asks first)",
    "new_setup": "add a key: the setup",
    "renew": "renew the selected key: a successor made, proven and stored",
    "keys": "the tenant's keys of the selected key's user",
    "cancel_recheck": "cancel a running check",
    "back": "back to the step you came from",
    "toggle_help": "this list",
    "quit": "quit",
    "toggle_theme": "light or dark theme",
}
MOVING_WORDS = (
    ("↑ ↓", "move between the stored keys"),
    ("enter", "the selected key's details (Replace key is there)"),
)
