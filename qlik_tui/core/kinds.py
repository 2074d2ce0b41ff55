"""The kinds of outcome and their verdicts: shared by the error classes and the outcome table.

Their values are written to the profiles file and to ``check --json``: never rename a value.
"""

from __future__ import annotations

from enum import Enum


class Verdict(str, Enum):
    VALID = "valid"
    REJECTED = "rejected"  # the key itself is bad: exit 1
    INCONCLUSIVE = "inconclusive"  # could not tell (network, TLS, 5xx, 429): exit 3


class OutcomeKind(str, Enum):
    VALID = "valid"
    KEY_REJECTED = "key_rejected"  # 401
    KEY_OTHER_TENANT = "key_other_tenant"  # 401 and the key's tenantId is not this tenant's
    KEY_REVOKED = "key_revoked"  # known from the key record
    KEY_EXPIRED = "key_expired"  # known from the key record
    FORBIDDEN = "forbidden"  # 403
    NOT_FOUND = "not_found"  # 404: wrong host or region
    DNS_FAILURE = "dns_failure"
    CONNECTION_REFUSED = "connection_refused"
    CONNECTION_RESET = "connection_reset"
    NETWORK_ERROR = "network_error"  # any other transport failure
    TLS_FAILURE = "tls_failure"
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"  # 5xx, including HTML bodies
    MALFORMED_RESPONSE = "malformed_response"
    RESPONSE_TOO_LARGE = "response_too_large"
    OFFSITE_REDIRECT = "offsite_redirect"
    REDIRECT_LOOP = "redirect_loop"
    UNEXPECTED_STATUS = (
        "unexpected_status"  # an error status the API does not use here (400, 405..)
    )
    CANCELLED = "cancelled"
    KEY_NOT_STORED = "key_not_stored"  # profile exists, keyring has no key for it (REJECTED)
    KEYRING_UNAVAILABLE = "keyring_unavailable"  # locked, no backend, deadline (INCONCLUSIVE)
    UNEXPECTED_ERROR = "unexpected_error"  # a bug or an exception nobody foresaw (INCONCLUSIVE)
    KEY_LIMIT_REACHED = "key_limit_reached"  # creating a key: the user has the most allowed
    KEY_CREATE_FORBIDDEN = "key_create_forbidden"  # creating a key: 403, permission missing
    EXPIRY_TOO_LONG = "expiry_too_long"  # creating a key: above the tenant's maximum expiry
