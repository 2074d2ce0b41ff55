"""What proving a key and re-checking stored keys answer with, apart from the other results
(``services.results``) so that ``qlik-tui check`` loads only these.

Proving a key (``services.verify.verify_key``):
    VerifyReport          the live test of one key; ``Detail`` says how much it asked
Re-checking stored keys (``services.check.check_profiles``):
    CheckResult           the re-check of one stored profile
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import NamedTuple

from qlik_tui.core.models import ApiKeyConfig, ApiKeyRecord, User
from qlik_tui.core.outcomes import Outcome
from qlik_tui.core.timestamps import parse_iso_datetime
from qlik_tui.store.profiles import Profile


class Detail(IntEnum):
    """How much the live test asks after a successful ``/users/me``; each level adds to the one
    before, so levels compare with ``>=``."""

    NONE = 0
    KEY_RECORD = 1  # the key's own status and expiry (check)
    FULL = 2  # and, for a TenantAdmin, the tenant's key config and active key count (wizard)


class VerifyReport(NamedTuple):
    """The live test of one key."""

    outcome: Outcome
    user: User | None = None
    key_record: ApiKeyRecord | None = None  # None: the API would not say (never guessed)
    config: ApiKeyConfig | None = None  # only for TenantAdmins
    active_key_count: int | None = None
    tenant_matches: bool | None = None  # key's tenantId == user's tenantId (None: unknown)


class CheckResult(NamedTuple):
    """The re-check of one stored profile."""

    profile: Profile  # as updated by this check
    outcome: Outcome
    user: User | None = None

    @property
    def expiry(self) -> datetime | None:
        return parse_iso_datetime(self.profile.expiry)
