"""The kinds of outcome and their verdicts: shared by the error classes and the outcome table.

Their values are written to the profiles file and to ``check --json``: never rename a value.
"""

from __future__ import annotations

from enum import Enum


class KeyStoreKind(str, Enum):
    """Where a key is kept: the one word for it outside the TUI (the profiles file's ``store``
    field, ``--store`` choices, ``--json``)."""

    KEYRING = "keyring"
    ENCRYPTED_FILE = "encrypted-file"

    @property
    def label(self) -> str:
        return "OS keyring" if self is KeyStoreKind.KEYRING else "encrypted file"


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
    # the encrypted key file: wrong passphrase, damaged, newer format (INCONCLUSIVE)
    KEY_FILE_UNAVAILABLE = "key_file_unavailable"
    UNEXPECTED_ERROR = "unexpected_error"  # a bug or an exception nobody foresaw (INCONCLUSIVE)
    STORED_KEY_INVALID = "stored_key_invalid"  # the keyring entry is not a key (REJECTED)
    CA_CERTIFICATES_UNREADABLE = "ca_certificates_unreadable"  # SSL_CERT_FILE / SSL_CERT_DIR
    PROXY_SETTING_INVALID = "proxy_setting_invalid"  # HTTPS_PROXY etc. unusable as written
    PROXY_FAILED = "proxy_failed"  # the proxy named in the environment could not be reached
    NOT_HTTPS = "not_https"  # the port answered, but not with TLS (plain HTTP)
    SPEAKS_HTTPS = "speaks_https"  # http:// to a port that answers TLS: needs https://
    LOOKALIKE_REDIRECT = "lookalike_redirect"  # redirect to an internationalised host name
    REDIRECT_DOWNGRADE = "redirect_downgrade"  # https -> http on the tenant's own host
    RATE_LIMIT_WAIT_REFUSED = "rate_limit_wait_refused"  # retry-after beyond check's deadline
    KEY_LIMIT_REACHED = "key_limit_reached"  # creating a key: the user has the most allowed
    KEY_CREATE_FORBIDDEN = "key_create_forbidden"  # creating a key: 403, permission missing
    EXPIRY_TOO_LONG = "expiry_too_long"  # creating a key: above the tenant's maximum expiry
    # renewing: another run is renewing this profile's key right now (the lock is held)
    RENEWAL_IN_PROGRESS = "renewal_in_progress"
    # renewing: the stored key changed while this renewal ran (another run renewed it first)
    STORED_KEY_CHANGED = "stored_key_changed"
    # OAuth M2M clients, minting an access token at /oauth/token
    OAUTH_SECRET_REJECTED = "oauth_secret_rejected"  # invalid_client: the secret is wrong
    OAUTH_CLIENT_UNAVAILABLE = "oauth_client_unavailable"  # the client is deleted or disabled
    OAUTH_M2M_NOT_ENABLED = "oauth_m2m_not_enabled"  # no client_credentials grant
    OAUTH_CONSENT_NOT_TRUSTED = "oauth_consent_not_trusted"  # consent method is not Trusted
    OAUTH_SCOPE_NOT_ALLOWED = "oauth_scope_not_allowed"  # a scope the client lacks
    OAUTH_SECRET_LIMIT_REACHED = "oauth_secret_limit_reached"  # renewing: five secrets already
    KEY_ID_UNKNOWN = "key_id_unknown"  # revoke: the tenant shows no key with this id (404)
    KEY_RENEWED_ELSEWHERE = "key_renewed_elsewhere"  # 401: another profile renewed this key
    NOT_A_REGULAR_FILE = "not_a_regular_file"  # a FIFO, directory, socket or device: not read
    # the store holds a key other than the one the profile recorded (an older copy put back)
    STORED_KEY_MISMATCH = "stored_key_mismatch"
    PROFILE_FORGOTTEN = "profile_forgotten"  # removed (forget) while it was being checked
