"""The one table of outcomes: what happened, the likely cause, and the user's next step.

Used by every caller (wizard, dashboard, ``login``, ``check``) so the same failure is explained
the same way everywhere.

CONTRACT:
    OUTCOMES[kind] -> OutcomeSpec            (every OutcomeKind has exactly one row)
    Outcome                                  (one observed result, with context)
    outcome_from_error(exc, *, tenant, key_info, latency_ms, expected_tenant_id, key_record)
        -> Outcome                           (never raises; any exception gives a safe outcome)
    make_outcome(kind, *, tenant, key_info, http_status, latency_ms, ..., **context) -> Outcome
    outcome_table_markdown() -> str          (the table, for the README and closing notes)
    key_store_context(encrypted_file=..., backend=...) -> KeyStoreWords  (where a key is kept,
                                             for KEY_NOT_STORED and STORED_KEY_INVALID)
    Verdict: VALID / REJECTED / INCONCLUSIVE  (drives exit codes 0 / 1 / 3)

Placeholders in the texts: {host} {origin} {region} {tenant} (the tenant id the caller expected)
{key_tenant} {key_id} {target_host} {status} {retry_after} {waited} {reason} {phase} {timeout}
{limit} {max_redirects} {detail} {backend} {error_type} {fix} {login_command} {setting} {proxy}
{deadline} {why} {holder} {path} {file_kind} {found_key_id} {store} {store_where}
{store_why} (the last three from ``key_store_context``) {store_new} (a sentence naming the
command that stores a new key). A missing one is replaced by a neutral phrase ("the tenant",
"unknown", ...), never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, NamedTuple, TypedDict

from qlik_tui.core import errors
from qlik_tui.core.kinds import OutcomeKind as OutcomeKind
from qlik_tui.core.kinds import Verdict as Verdict
from qlik_tui.core.models import ApiKeyRecord, KeyStatus

if TYPE_CHECKING:
    from qlik_tui.core.apikey import KeyInfo
    from qlik_tui.core.tenant import Tenant


class OutcomeSpec(NamedTuple):
    kind: OutcomeKind
    verdict: Verdict
    title: str  # short, e.g. "Key rejected (401)"
    cause: str  # may contain {host}, {region}, {key_tenant}, {tenant}, {target_host}, {status}
    next_step: str  # same placeholders
    mark: str  # one-character status mark for lists: "✓", "✗", "?" ...


_OK, _BAD, _UNSURE, _ALERT, _STOPPED = "✓", "✗", "?", "!", "\u2013"  # en dash
_V, _R, _I = Verdict.VALID, Verdict.REJECTED, Verdict.INCONCLUSIVE
_K = OutcomeKind

_NEW_KEY = "Profile settings > API keys > Generate new key"
_PERMISSION = (
    "the Manage API keys permission (granted through the User Default role or a custom role; "
    "since 2026 it replaces the old Developer role)"
)

_ROWS: tuple[OutcomeSpec, ...] = (
    OutcomeSpec(
        _K.VALID,
        _V,
        "{what} works",
        "{host} accepted the key and answered with its user's record.",
        "Nothing to fix: the key can be stored and used.",
        _OK,
    ),
    OutcomeSpec(
        _K.KEY_REJECTED,
        _R,
        "Key rejected (401)",
        "{host} did not accept the key. Either the key is wrong (mistyped, or cut off when "
        "pasting), it expired (keys live 24 hours unless an admin raised the maximum) or was "
        "revoked, or its user no longer has " + _PERMISSION + ": keys of users who were not "
        "migrated from the Developer role started failing with 401.",
        "Generate a new key (" + _NEW_KEY + ") and paste it whole.{store_new} If a fresh key "
        "fails too, ask a tenant admin to give you " + _PERMISSION + ".",
        _BAD,
    ),
    OutcomeSpec(
        _K.KEY_OTHER_TENANT,
        _R,
        "Key is for another tenant (401)",
        "The key was issued by tenant {key_tenant}, but {host} is tenant {tenant}. A key only "
        "works on the tenant that issued it.",
        "Enter the address of the tenant where you generated the key, or generate a new key "
        "on {host} (" + _NEW_KEY + ").{store_new}",
        _BAD,
    ),
    OutcomeSpec(
        _K.KEY_REVOKED,
        _R,
        "Key revoked (401)",
        "The key {key_id} was deleted by its owner or revoked by a tenant admin, so {host} "
        "rejects it.",
        "Generate a new key (" + _NEW_KEY + ") and replace the stored one.{store_new}",
        _BAD,
    ),
    OutcomeSpec(
        _K.KEY_EXPIRED,
        _R,
        "Key expired (401)",
        "The key {key_id} is past its expiry date, so {host} rejects it. Keys live 24 hours "
        "unless a tenant admin raised the maximum expiry.",
        "Generate a new key (" + _NEW_KEY + "), with a longer expiry if your tenant allows "
        "it, and replace the stored one.{store_new}",
        _BAD,
    ),
    OutcomeSpec(
        _K.FORBIDDEN,
        _R,
        "Not allowed (403)",
        "{host} recognised the key (you are authenticated) but does not allow its user to do "
        "this: a role or permission is missing.",
        "Ask a tenant admin to assign the missing role; for API keys that is " + _PERMISSION + ".",
        _BAD,
    ),
    OutcomeSpec(
        _K.NOT_FOUND,
        _I,
        "Not found (404): wrong host or region?",
        "{host} has no Qlik Cloud API at this path, so it is probably not your tenant: the "
        "hostname or its region part (here: {region}) is wrong. The key was not tested.",
        "Copy the hostname from the browser's address bar while signed in to the tenant "
        "(<tenant>.<region>.qlikcloud.com, e.g. acme.eu.qlikcloud.com) and check the region part.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.DNS_FAILURE,
        _I,
        "Hostname not found (DNS)",
        "The name {host} does not exist: a typo, a wrong region part (here: {region}), or no "
        "working DNS right now (offline, VPN down).",
        "Check the spelling and the region part of the hostname (<tenant>.<region>.qlikcloud.com; "
        "regions such as us, eu, de, uk, fr, sg, ap, jp, in) and your network connection.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.CONNECTION_REFUSED,
        _I,
        "Connection refused",
        "{host} refused the connection: nothing is listening on that port, or a firewall or "
        "proxy turned it away.",
        "Check the port in the address (Qlik Cloud uses 443) and your proxy settings "
        "(HTTPS_PROXY, NO_PROXY), then retry.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.CONNECTION_RESET,
        _I,
        "Connection dropped",
        "The connection to {host} was cut in the middle of the answer, typically by a proxy, "
        "a firewall or an unstable network.",
        "Retry. If it keeps happening, check the proxy, VPN or firewall between you and the "
        "tenant.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.NETWORK_ERROR,
        _I,
        "Network error",
        "Talking to {host} failed ({detail}).",
        "Check your network and proxy settings (HTTPS_PROXY, NO_PROXY), then retry.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.TLS_FAILURE,
        _I,
        "Secure connection not trusted (TLS)",
        "The certificate of {host} could not be verified: {reason}. Usually a corporate proxy "
        "or antivirus re-signs HTTPS traffic with its own certificate authority.",
        "Point SSL_CERT_FILE at a CA bundle that includes your proxy's CA certificate (ask IT "
        "for it), e.g. export SSL_CERT_FILE=/path/to/ca-bundle.pem, then retry. Never turn "
        "certificate verification off: anyone in between could read the key.",
        _ALERT,
    ),
    OutcomeSpec(
        _K.NOT_HTTPS,
        _I,
        "Port does not speak HTTPS",
        "{host} answered, but not with a TLS handshake ({why}): that port serves plain "
        "HTTP or another protocol, not HTTPS. The key was not sent.",
        "Check the address: Qlik Cloud answers HTTPS on port 443 (https://<tenant>.<region>"
        ".qlikcloud.com, no port number).",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.SPEAKS_HTTPS,
        _I,
        "This address speaks HTTPS",
        "{host} answers with HTTPS (TLS), but the address starts with http://, so it dropped "
        "the plain HTTP request.",
        "Start the address with https:// instead of http://, e.g. --tenant https://{host}, "
        "and retry.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.CA_CERTIFICATES_UNREADABLE,
        _I,
        "CA certificates unreadable ({setting})",
        "The CA certificates named by {setting} cannot be loaded ({why}), so no secure "
        "connection can be made. The key was not tested.",
        "Point {setting} at a readable PEM file of CA certificates (e.g. export "
        "SSL_CERT_FILE=/path/to/ca-bundle.pem), or unset it to use the bundled ones, then retry.",
        _ALERT,
    ),
    OutcomeSpec(
        _K.PROXY_SETTING_INVALID,
        _I,
        "Proxy setting unusable ({setting})",
        "{setting} (a proxy setting) cannot be used as written ({why}). Every request "
        "would go through that proxy, so none was made; the key was not tested.",
        "Set {setting} to the proxy's address as http://host:port (ask IT for it), or unset "
        "it to connect directly, then retry.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.PROXY_FAILED,
        _I,
        "Proxy failed",
        "The proxy {proxy} (from {setting}) could not be used to reach {host}: {why}. "
        "The tenant was not reached and the key was not tested.",
        "Check {setting}: the proxy's address and port, and that the proxy is running (ask "
        "IT); to connect directly, unset it or add the tenant to NO_PROXY. Then retry.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.TIMEOUT,
        _I,
        "Timed out",
        "{host} did not answer in time ({phase} timeout after {timeout}): the tenant or the "
        "network is slow.",
        "Retry in a moment. If it persists, check your network, VPN or proxy.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.RATE_LIMITED,
        _I,
        "Rate limited (429)",
        "{host} is limiting requests and asked to wait {retry_after}; qlik-tui waited "
        "{waited} in total before giving up. The key was not judged.",
        "Wait {retry_after} and retry. Other scripts using keys of the same user count "
        "towards the same limit.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.RATE_LIMIT_WAIT_REFUSED,
        _I,
        "Rate limited (429): wait refused",
        "{host} is limiting requests and asked to wait {retry_after}; the check did not wait "
        "that long, as it must finish within {deadline}. The key was not judged.",
        "Wait {retry_after} and retry, or allow the check more time (qlik-tui check "
        "--deadline SECONDS).",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.SERVER_ERROR,
        _I,
        "Server error ({status})",
        "{host} answered HTTP {status}: a fault on the tenant's side or at a proxy or gateway "
        "in between (an HTML error page means a gateway answered, not the Qlik API). The key "
        "was not judged.",
        "Retry in a few minutes; check status.qlik.com for incidents.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.MALFORMED_RESPONSE,
        _I,
        "Unexpected answer",
        "{host} did not answer with the JSON the Qlik API sends ({detail}). A captive portal, "
        "a proxy's sign-in page or a server that is not Qlik Cloud would do this.",
        "Open {origin} in a browser to see what answers; sign in to the network if asked, "
        "and check the address.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.RESPONSE_TOO_LARGE,
        _I,
        "Answer too large",
        "{host} sent more than {limit}, far more than an API answer here; reading stopped "
        "there. Something other than the Qlik API is answering.",
        "Check the address and any proxy in between, then retry.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.OFFSITE_REDIRECT,
        _I,
        "Redirected to another host",
        "{host} redirected the request to {target_host}. The redirect was not followed and the "
        "key was NOT sent there. A proxy or captive portal, or a wrong address, usually does "
        "this.",
        "On a guest or hotel network, sign in to it first. Otherwise check the address; if the "
        "tenant really lives at {target_host}, enter that address instead.",
        _ALERT,
    ),
    OutcomeSpec(
        _K.LOOKALIKE_REDIRECT,
        _I,
        "Redirected to a look-alike host",
        "{host} redirected the request to {target_host}: an internationalised name, shown "
        "here in its ASCII (punycode) form, that differs from the tenant's host even where its "
        "letters look alike. The redirect was not followed and the key was NOT sent there.",
        "Do not enter that address. Check the tenant address you typed, and the network or "
        "proxy you are on; the tenant's own host is {host}.",
        _ALERT,
    ),
    OutcomeSpec(
        _K.REDIRECT_DOWNGRADE,
        _I,
        "Redirect to unencrypted HTTP",
        "{host} redirected the request from https to plain http ({target_host}): a downgrade "
        "that would send the key unencrypted. The redirect was not followed and the key was "
        "NOT sent.",
        "Keep the https:// address. A proxy or captive portal in between usually does this: "
        "sign in to the network or check the proxy, then retry.",
        _ALERT,
    ),
    OutcomeSpec(
        _K.REDIRECT_LOOP,
        _I,
        "Redirect loop",
        "{host} kept redirecting (back to an address already visited, or more than "
        "{max_redirects} times) without ever answering.",
        "Check the address (use <tenant>.<region>.qlikcloud.com rather than an alias) and any "
        "proxy in between, then retry.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.UNEXPECTED_STATUS,
        _I,
        "Unexpected answer (HTTP {status})",
        "{host} answered HTTP {status}, which the Qlik API does not use for this request; "
        "something other than the tenant may be answering.",
        "Check the address and any proxy in between, then retry.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.CANCELLED,
        _I,
        "Cancelled",
        "The check was cancelled before an answer arrived.",
        "Run the check again when ready; nothing was changed.",
        _STOPPED,
    ),
    OutcomeSpec(
        _K.KEY_NOT_STORED,
        _R,
        "Key missing from {store}",
        "The profile exists but {store_where} holds no key for it: {store_why}.",
        "Log in again to store a key for this profile (paste it, or generate a new one with "
        + _NEW_KEY
        + ").{store_new}",
        _BAD,
    ),
    OutcomeSpec(
        _K.KEYRING_UNAVAILABLE,
        _I,
        "Keyring unavailable",
        "The OS keyring could not be used ({detail}): it is locked, missing, or did not answer "
        "in time.",
        "{fix}",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.STORED_KEY_INVALID,
        _R,
        "Stored key unreadable",
        "This profile's entry in {store_where} does not hold a valid API key: it is empty, cut "
        "off, too long or not a key at all.",
        "Log in again to store the key for this profile ({login_command}), with the key "
        "pasted whole or a new one from " + _NEW_KEY + ".",
        _BAD,
    ),
    OutcomeSpec(
        _K.KEY_FILE_UNAVAILABLE,
        _I,
        "Encrypted key file unavailable",
        "qlik-tui's encrypted key file could not be used ({detail}).",
        "Give the passphrase the file was created with (at the prompt or through "
        "QLIK_TUI_PASSPHRASE_FILE), or restore the file from a backup, then retry; the file "
        "was not changed.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.UNEXPECTED_ERROR,
        _I,
        "Internal error",
        "qlik-tui hit an unexpected {error_type}; the key was not judged.",
        "Retry. If it happens again, report it with the steps that led there (never the key).",
        _UNSURE,
    ),
    # Refusals to create a key. Their status codes are not documented: the rows show the
    # tenant's own words ({detail}) and are chosen from them, not from a status code.
    OutcomeSpec(
        _K.KEY_LIMIT_REACHED,
        _R,
        "Too many API keys",
        "{host} refused to create another key ({detail}): a user may hold at most {max_keys} "
        "active keys (max_keys_per_user). Your active keys: {active_keys}.",
        "Revoke a key you no longer use with `qlik-tui revoke {profile} KEY_ID` (or Profile "
        "settings > API keys > Delete), or ask a tenant admin to raise the limit; then retry.",
        _BAD,
    ),
    OutcomeSpec(
        _K.KEY_CREATE_FORBIDDEN,
        _R,
        "Not allowed to create API keys (403)",
        "{host} does not let this user create API keys ({detail}). Creating keys needs "
        + _PERMISSION
        + ".",
        "Ask a tenant admin to give you " + _PERMISSION + "; the stored key keeps working "
        "until it expires.",
        _BAD,
    ),
    OutcomeSpec(
        _K.EXPIRY_TOO_LONG,
        _R,
        "Expiry above the tenant's maximum",
        "{host} refused the expiry {expiry} ({detail}). A tenant admin sets the longest "
        "expiry a key may have (max_api_key_expiry, 24 hours unless raised).",
        "Ask for a shorter expiry (e.g. --expiry PT24H), or leave --expiry out: the new key "
        "then gets the tenant's maximum.",
        _BAD,
    ),
    OutcomeSpec(
        _K.RENEWAL_IN_PROGRESS,
        _I,
        "Another renewal of this key is running",
        "Another qlik-tui (a `rotate`, a `check --renew-within` or the dashboard's R) is "
        "renewing the key of profile {profile} right now; two at once would each make a key. "
        "This run made none, and the stored key is unchanged.",
        "Let that renewal finish, then check the profile with `qlik-tui check {profile}`; "
        "renew again only if it is still due.",
        _STOPPED,
    ),
    OutcomeSpec(
        _K.STORED_KEY_CHANGED,
        _I,
        "The stored key changed during the renewal",
        "While this renewal ran, the key stored for profile {profile} was replaced (another "
        "renewal or a login stored a different key): storing this run's key would have "
        "overwritten it. The key this run made was not stored.",
        "Nothing to fix: `qlik-tui check {profile}` shows the key the profile holds now.",
        _STOPPED,
    ),
    OutcomeSpec(
        _K.OAUTH_SECRET_REJECTED,
        _R,
        "Client secret rejected (401)",
        "{host} did not accept the client ID and secret together ({detail}): the secret is "
        "mistyped or cut off, it was deleted from the client, or the ID belongs to another "
        "client.",
        "Copy the client ID again from Administration > OAuth, and paste the secret whole. If "
        "the secret was lost, a tenant admin creates a new secret for the client and deletes "
        "the lost one.",
        _BAD,
    ),
    OutcomeSpec(
        _K.OAUTH_CLIENT_UNAVAILABLE,
        _R,
        "OAuth client deleted or disabled",
        "{host} knows no usable client with this ID ({detail}): a tenant admin deleted or "
        "disabled it, or it was created on another tenant.",
        "Ask a tenant admin to check the client under Administration > OAuth: enable it, or "
        "create a new machine-to-machine client and log in with its ID and secret.",
        _BAD,
    ),
    OutcomeSpec(
        _K.OAUTH_M2M_NOT_ENABLED,
        _R,
        "Machine-to-machine not enabled on the client",
        "{host} refused the client credentials grant ({detail}): the client was created "
        'without the "Machine-to-machine" option, so it cannot get tokens on its own.',
        'Ask a tenant admin to create a client of type Web with "Machine-to-machine" ticked '
        "(it cannot be added later), then log in with the new client's ID and secret.",
        _BAD,
    ),
    OutcomeSpec(
        _K.OAUTH_CONSENT_NOT_TRUSTED,
        _R,
        'Client consent is not "Trusted"',
        "{host} wants a user's consent before this client acts ({detail}): its consent method "
        'is still "Required", which a machine-to-machine client can never give.',
        "Ask a tenant admin to open the client's menu under Administration > OAuth and choose "
        "Change consent method > Trusted, then check again.",
        _BAD,
    ),
    OutcomeSpec(
        _K.OAUTH_SCOPE_NOT_ALLOWED,
        _R,
        "Scope not allowed for the client",
        "{host} refused the scope asked for ({detail}): the client was not given that scope "
        "when it was created or since.",
        "Ask a tenant admin to add the scope to the client (Administration > OAuth > the "
        "client > Scopes), or ask for a scope it has (qlik-tui asks for user_default).",
        _BAD,
    ),
    OutcomeSpec(
        _K.OAUTH_SECRET_LIMIT_REACHED,
        _R,
        "The client has five secrets already",
        "{host} allows at most five secrets per OAuth client, and this one has five "
        "(hints: {hints}), so no new secret can be made. Nothing was created.",
        "Ask a tenant admin to delete a secret nothing uses any more (Administration > OAuth), "
        "then run `qlik-tui rotate {profile}` again.",
        _BAD,
    ),
    OutcomeSpec(
        _K.KEY_ID_UNKNOWN,
        _R,
        "No such key on the tenant",
        "{host} shows no key {key_id} to this profile's key: the id is mistyped or is not a "
        "key id, the key was deleted already, or it belongs to another user (only a "
        "TenantAdmin sees other users' keys). Nothing was deleted.",
        "List the keys with `qlik-tui keys {profile}` and copy the id from there.",
        _BAD,
    ),
    OutcomeSpec(
        _K.KEY_RENEWED_ELSEWHERE,
        _R,
        "Key renewed in another profile (401)",
        "The key {key_id} was renewed through profile {holder}, which holds its successor; the "
        "renewal deleted this key, so {host} rejects it.",
        "Use profile {holder}, or forget this one (`qlik-tui forget {profile}`); to keep both, "
        "log this profile in again with a key of its own.",
        _BAD,
    ),
    OutcomeSpec(
        _K.NOT_A_REGULAR_FILE,
        _I,
        "Not a regular file",
        "{path} is {file_kind}, not a regular file, so it was not read: reading it could wait "
        "forever.",
        "Move it out of the way (`mv {path} {path}.moved`) and put the real file back if you "
        "have a copy, then retry.",
        _UNSURE,
    ),
    OutcomeSpec(
        _K.STORED_KEY_MISMATCH,
        _R,
        "Stored key is not this profile's",
        "This profile recorded the key {key_id}, but {store_where} holds a different key "
        "({found_key_id}): an older copy of the key store put back? The stored key was not used.",
        "If you restored an old copy of {store}, put the newer one back; otherwise store this "
        "profile's key again ({login_command}).",
        _BAD,
    ),
    OutcomeSpec(
        _K.PROFILE_FORGOTTEN,
        _I,
        "Forgotten meanwhile",
        "The profile was removed (qlik-tui forget) while it was being checked, so there is no "
        "key left to check.",
        "Nothing to do; `qlik-tui list` shows the profiles that remain.",
        _STOPPED,
    ),
)

OUTCOMES: dict[OutcomeKind, OutcomeSpec] = {row.kind: row for row in _ROWS}

# What a missing placeholder reads as, so every text stays a sentence.
_FALLBACKS: dict[str, str] = {
    "host": "the tenant",
    "origin": "the tenant address",
    "region": "unknown",
    "tenant": "unknown",
    "key_tenant": "unknown",
    "key_id": "(id unknown)",
    "target_host": "another host",
    "status": "?",
    "retry_after": "an unspecified time",
    "waited": "0 s",
    "reason": "the certificate was rejected",
    "phase": "network",
    "timeout": "the time limit",
    "limit": "the size limit",
    "max_redirects": "the allowed number of",
    "detail": "no details",
    "backend": "the keyring",
    "store": "the keyring",
    "store_where": "the keyring",
    "store_why": "it was removed there, or saved with another keyring backend",
    "error_type": "error",
    "fix": "Unlock the keyring (sign in to the desktop session) or start a Secret Service such "
    "as gnome-keyring, then retry.",
    "login_command": "qlik-tui login --name PROFILE",
    # A stored profile's rejected key: the command that stores a new one (nothing otherwise).
    "store_new": "",
    "setting": "the environment variable",
    "why": "details unknown",
    "proxy": "in use",
    "deadline": "its deadline",
    "max_keys": "a limited number of",
    "active_keys": "not known",
    "profile": "NAME",
    "expiry": "asked for",
    "hints": "not listed",
    "what": "Key",  # "Client" for an OAuth client's profile
    "holder": "another profile",
    "path": "the file",
    "file_kind": "not a regular file",
    "found_key_id": "id unknown",
}


class _Placeholders(dict[str, str]):
    def __missing__(self, key: str) -> str:
        backend = self.get("backend")
        if key == "store_where" and backend:  # a caller that named only the keyring's backend
            return f"the keyring ({backend})"
        return _FALLBACKS.get(key, "unknown")


def _render(template: str, values: dict[str, str]) -> str:
    try:
        return template.format_map(_Placeholders(values))
    except (ValueError, IndexError, AttributeError, KeyError, TypeError):
        return template  # a malformed template is shown raw rather than crashing a screen


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    http_status: int | None = None
    server_message: str | None = None  # the error envelope's title/detail, if any
    latency_ms: float | None = None
    rate_limit_waited_s: float = 0.0  # total time spent honouring retry-after
    context: dict[str, str] = field(default_factory=dict)  # placeholder values

    def with_context(self, **values: str) -> Outcome:
        """The same outcome with more placeholder values (e.g. ``store_new`` for a profile)."""
        return replace(self, context={**self.context, **values})

    @property
    def spec(self) -> OutcomeSpec:
        return OUTCOMES[self.kind]

    @property
    def verdict(self) -> Verdict:
        return self.spec.verdict

    @property
    def mark(self) -> str:
        return self.spec.mark

    @property
    def title(self) -> str:
        return _render(self.spec.title, self._values())

    @property
    def cause(self) -> str:
        return _render(self.spec.cause, self._values())

    @property
    def next_step(self) -> str:
        return _render(self.spec.next_step, self._values())

    @property
    def latency_text(self) -> str | None:
        """ "183 ms", as every front end shows the time the answer took; None when unknown."""
        return None if self.latency_ms is None else f"{self.latency_ms:.0f} ms"

    def _values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        if self.http_status is not None:
            values["status"] = str(self.http_status)
        values.update({k: v for k, v in self.context.items() if v})
        return values


def _seconds(value: float) -> str:
    return f"{value:g} s" if value < 120 else f"{value / 60:.0f} min"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


def _base_context(
    tenant: Tenant | None, key_info: KeyInfo | None, expected_tenant_id: str | None
) -> dict[str, str]:
    context: dict[str, str] = {}
    if tenant is not None:
        context["host"] = _safe(lambda: tenant.display_host)
        context["origin"] = _safe(lambda: tenant.origin)
        if tenant.region:
            context["region"] = tenant.region
    if key_info is not None:
        if key_info.tenant_id:
            context["key_tenant"] = key_info.tenant_id
        if key_info.key_id:
            context["key_id"] = key_info.key_id
    if expected_tenant_id:
        context["tenant"] = expected_tenant_id
    return {k: v for k, v in context.items() if v}


def _safe(get: object) -> str:
    try:
        value = get() if callable(get) else get
    except Exception:
        return ""
    return value if isinstance(value, str) else ""


def make_outcome(
    kind: OutcomeKind,
    *,
    tenant: Tenant | None = None,
    key_info: KeyInfo | None = None,
    expected_tenant_id: str | None = None,
    http_status: int | None = None,
    server_message: str | None = None,
    latency_ms: float | None = None,
    rate_limit_waited_s: float = 0.0,
    **context: str,
) -> Outcome:
    """An outcome with the usual context filled in from the tenant and the key's claims."""
    values = _base_context(tenant, key_info, expected_tenant_id)
    values.update({k: v for k, v in context.items() if isinstance(v, str) and v})
    return Outcome(
        kind=kind,
        http_status=http_status,
        server_message=server_message,
        latency_ms=latency_ms,
        rate_limit_waited_s=rate_limit_waited_s,
        context=values,
    )


class KeyStoreWords(TypedDict):
    """Placeholders naming where a profile's key is kept (``make_outcome(kind, **words)``)."""

    backend: str
    store: str
    store_where: str
    store_why: str


def key_store_context(*, encrypted_file: bool, backend: str | None = None) -> KeyStoreWords:
    """Where a profile's key is kept, in words: the OS keyring (``backend``: its backend's name)
    or qlik-tui's encrypted file. The caller says which; the core knows no store."""
    if encrypted_file:
        return KeyStoreWords(
            backend=backend or "qlik-tui encrypted file",
            store="the encrypted file",
            store_where="qlik-tui's encrypted key file",
            store_why="it was removed there, or the file was replaced (by an older copy, or one "
            "from another machine)",
        )
    return KeyStoreWords(
        backend=backend or _FALLBACKS["backend"],
        store="the keyring",
        store_where=f"the keyring ({backend})" if backend else "the keyring",
        store_why=_FALLBACKS["store_why"],
    )


def _key_record_kind(record: ApiKeyRecord | None, now: datetime) -> OutcomeKind | None:
    if record is None:
        return None
    if record.status == KeyStatus.REVOKED:
        return OutcomeKind.KEY_REVOKED
    if record.status == KeyStatus.EXPIRED or (record.expiry is not None and record.expiry <= now):
        return OutcomeKind.KEY_EXPIRED
    return None


def outcome_from_error(
    exc: BaseException,
    *,
    tenant: Tenant | None = None,
    key_info: KeyInfo | None = None,
    latency_ms: float | None = None,
    expected_tenant_id: str | None = None,
    key_record: ApiKeyRecord | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Explain any exception as an outcome. Never raises, never puts the key in the text.

    A 401 is refined with what the caller knows (the server does not say why):
    ``expected_tenant_id`` (the tenant id this host is known to have, e.g. from an earlier
    successful check) differing from the key's own tenantId gives KEY_OTHER_TENANT; a
    ``key_record`` (the key's record, fetched with another key or remembered) that says revoked
    or expired gives KEY_REVOKED / KEY_EXPIRED.

    Exceptions from other layers can name their row by carrying a ``kind`` attribute that is an
    ``OutcomeKind`` (and optionally a ``problem`` sentence, shown as the detail).
    """
    try:
        return _outcome_from_error(
            exc,
            tenant=tenant,
            key_info=key_info,
            latency_ms=latency_ms,
            expected_tenant_id=expected_tenant_id,
            key_record=key_record,
            now=now or datetime.now(timezone.utc),
        )
    except Exception:  # the explainer itself must never be the next crash
        return Outcome(
            kind=OutcomeKind.UNEXPECTED_ERROR,
            latency_ms=latency_ms,
            context={"error_type": type(exc).__name__},
        )


def _outcome_from_error(
    exc: BaseException,
    *,
    tenant: Tenant | None,
    key_info: KeyInfo | None,
    latency_ms: float | None,
    expected_tenant_id: str | None,
    key_record: ApiKeyRecord | None,
    now: datetime,
) -> Outcome:
    context = _base_context(tenant, key_info, expected_tenant_id)
    import asyncio  # deferred: loading the outcome table must not cost asyncio's ~25 ms

    if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
        return Outcome(OutcomeKind.CANCELLED, latency_ms=latency_ms, context=context)

    if not isinstance(exc, errors.QlikError):
        kind = getattr(exc, "kind", None)
        if isinstance(kind, OutcomeKind):
            problem = getattr(exc, "problem", None)
            if isinstance(problem, str) and problem:
                context["detail"] = problem.rstrip(".")
            return Outcome(kind, latency_ms=latency_ms, context=context)
        context["error_type"] = type(exc).__name__
        return Outcome(OutcomeKind.UNEXPECTED_ERROR, latency_ms=latency_ms, context=context)

    kind = exc.kind
    latency = latency_ms if latency_ms is not None else exc.latency_ms
    status: int | None = getattr(exc, "status_code", None)
    server_message: str | None = None
    if isinstance(exc, errors.StatusError):
        server_message = exc.server_message
    if exc.message:
        context["detail"] = exc.message

    if isinstance(exc, errors.KeyRejected):
        key_tenant = key_info.tenant_id if key_info is not None else None
        if key_tenant and expected_tenant_id and key_tenant != expected_tenant_id:
            kind = OutcomeKind.KEY_OTHER_TENANT
        else:
            kind = _key_record_kind(key_record, now) or kind
            if key_record is not None and "key_id" not in context:
                context["key_id"] = key_record.id
    elif isinstance(exc, errors.RateLimited):
        if exc.retry_after is not None:
            context["retry_after"] = _seconds(exc.retry_after)
        context["waited"] = _seconds(exc.rate_limit_waited_s)
        if isinstance(exc, errors.RateLimitWaitRefused) and exc.deadline_s is not None:
            context["deadline"] = _seconds(exc.deadline_s)
    elif isinstance(exc, errors.SettingError):
        context.update(setting=exc.setting, why=exc.reason)
    elif isinstance(exc, errors.ProxyFailure):
        context.update(proxy=exc.proxy, setting=exc.setting, why=exc.reason)
    elif isinstance(exc, errors.OffsiteRedirect):
        context["target_host"] = exc.target_host
    elif isinstance(exc, errors.TLSFailure):
        if exc.reason:
            context["why" if isinstance(exc, errors.NotHttps) else "reason"] = exc.reason
    elif isinstance(exc, errors.RequestTimedOut):
        if exc.phase:
            context["phase"] = exc.phase
        if exc.seconds is not None:
            context["timeout"] = _seconds(exc.seconds)
    elif isinstance(exc, errors.ResponseTooLarge):
        if exc.limit is not None:
            context["limit"] = _size(exc.limit)
    elif isinstance(exc, errors.RedirectLoop) and exc.max_redirects is not None:
        context["max_redirects"] = str(exc.max_redirects)

    return Outcome(
        kind=kind,
        http_status=status,
        server_message=server_message,
        latency_ms=latency,
        rate_limit_waited_s=exc.rate_limit_waited_s,
        context=context,
    )


_TABLE_EXAMPLES: dict[OutcomeKind, dict[str, str]] = {
    OutcomeKind.SERVER_ERROR: {"status": "5xx"},
    OutcomeKind.UNEXPECTED_STATUS: {"status": "4xx"},
}


def outcome_table_markdown() -> str:
    """The outcome table as Markdown, placeholders read as their neutral phrases."""
    lines = [
        "| | Outcome | Verdict | Likely cause | Next step |",
        "|---|---|---|---|---|",
    ]
    for spec in _ROWS:
        example = _TABLE_EXAMPLES.get(spec.kind, {})
        cells = [
            spec.mark,
            f"{_render(spec.title, example)} (`{spec.kind.value}`)",
            spec.verdict.value,
            _render(spec.cause, example),
            _render(spec.next_step, example),
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
