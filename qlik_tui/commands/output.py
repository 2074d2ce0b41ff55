"""Plain-text rendering shared by the subcommands: outcomes, users, store warnings."""

from __future__ import annotations

from typing import TextIO

from qlik_tui.core.outcomes import Outcome
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import SecretStore, StoreError


def error(stderr: TextIO, message: str) -> None:
    print(f"qlik-tui: error: {message}", file=stderr)


def warn(stderr: TextIO, message: str) -> None:
    print(f"qlik-tui: warning: {message}", file=stderr)


def explain_outcome(outcome: Outcome, stream: TextIO, *, indent: str = "") -> None:
    """Title, cause and next step: the same three lines the TUI's result panel shows."""
    print(f"{indent}{outcome.spec.mark} {outcome.title}", file=stream)
    print(f"{indent}  cause: {outcome.cause}", file=stream)
    print(f"{indent}  next:  {outcome.next_step}", file=stream)


def explain_store_error(exc: StoreError, stream: TextIO) -> None:
    print(f"qlik-tui: error: {exc.problem}", file=stream)
    if exc.fix:
        print(f"  fix: {exc.fix}", file=stream)


def insecure_backend_notice(secrets: SecretStore, stream: TextIO) -> None:
    """Every status output says so when the user chose an insecure keyring backend."""
    try:
        notice = secrets.insecure_notice
    except StoreError:
        return  # no usable backend at all: the command reports that where it matters
    if notice:
        warn(stream, notice)


def profile_json(profile: Profile) -> dict[str, object]:
    return {
        "name": profile.name,
        "tenant": profile.origin,
        "user_name": profile.user_name,
        "user_email": profile.user_email,
        "user_id": profile.user_id,
        "key_id": profile.key_id,
        "key_tenant_id": profile.key_tenant_id,
        "backend": profile.backend,
        "last_outcome": profile.last_outcome,
        "last_checked_at": profile.last_checked_at,
        "created_at": profile.created_at,
        "expiry": profile.expiry,
        "key_status": profile.key_status,
    }
