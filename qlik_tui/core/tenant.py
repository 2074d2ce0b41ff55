"""Turn whatever a user types into a tenant origin ``https://host[:port]``.

CONTRACT (filled in by the tenant/apikey work):
    parse_tenant(text) -> Tenant, or raises TenantError whose str() says what to type instead.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

EXAMPLE_HOST = "acme.eu.qlikcloud.com"
_TYPE_INSTEAD = f"Type your tenant address, like {EXAMPLE_HOST}"

QLIK_CLOUD_DOMAIN = "qlikcloud.com"
QLIK_GOV_DOMAIN = "qlikcloudgov.com"
GOVERNMENT_REGION_NAME = "US Government"

# Region labels of <tenant>.<region>.qlikcloud.com, with the place they are hosted.
REGION_NAMES: dict[str, str] = {
    "us": "United States (N. Virginia)",
    "eu": "Europe (Ireland)",
    "de": "Germany (Frankfurt)",
    "uk": "United Kingdom (London)",
    "fr": "France (Paris)",
    "sg": "Singapore",
    "ap": "Australia (Sydney)",
    "jp": "Japan (Tokyo)",
    "in": "India (Mumbai)",
    "il": "Israel (Tel Aviv)",
    "ae": "United Arab Emirates",
    "br": "Brazil (São Paulo)",
    "se": "Sweden (Stockholm)",
}

# Labels that cannot be a tenant name: a bare region host or the marketing site.
_NOT_A_TENANT = frozenset(REGION_NAMES) | {"www"}

_DEFAULT_PORTS = {"https": 443, "http": 80}

# Schemes people paste by mistake; anything else before a ':' is read as host:port.
_OTHER_SCHEMES = frozenset(
    {
        "file", "ftp", "ftps", "sftp", "ssh", "scp", "mailto", "data", "javascript", "about",
        "blob", "ws", "wss", "git", "smb", "ldap", "ldaps", "telnet", "tel", "chrome", "edge",
        "view-source", "irc", "news", "nntp", "gopher", "vnc", "rdp", "s3", "jdbc", "odbc",
    }
)  # fmt: skip

_SCHEME_PREFIX = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_SCHEME_WITH_SLASHES = re.compile(r"([^/?#\\]*)://")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PORT = re.compile(r"[0-9]{1,5}")
_WHITESPACE = re.compile(r"\s")
_PATH_START = re.compile(r"[/?#\\]")
# The start of a base64url JSON object ('{"'): a JWT such as an API key, pasted in the wrong box.
_LOOKS_LIKE_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]{8,}")


class TenantError(ValueError):
    """The text cannot be a tenant address. ``str(err)`` is a user-facing sentence."""


class Tenant(NamedTuple):
    scheme: str  # "https", or "http" for loopback hosts only
    host: str  # lower-cased; IPv6 without brackets
    port: int | None  # None when default for the scheme
    region: str | None  # e.g. "eu" for acme.eu.qlikcloud.com; None when unknown
    region_name: str | None  # e.g. "Europe (Ireland)"
    is_qlik_cloud: bool  # *.qlikcloud.com or *.qlikcloudgov.com
    is_government: bool  # *.qlikcloudgov.com
    is_loopback: bool  # localhost, 127.0.0.0/8, ::1

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` with IPv6 hosts bracketed."""
        return f"{self.scheme}://{self.display_host}"

    @property
    def display_host(self) -> str:
        """host[:port] as a person would write it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


def parse_tenant(text: str) -> Tenant:
    """Read a tenant address the way people paste it; keep only the origin."""
    if not isinstance(text, str):
        raise TenantError(_TYPE_INSTEAD + ".")
    stripped = text.strip()
    if not stripped:
        raise TenantError(_TYPE_INSTEAD + ".")

    if _LOOKS_LIKE_JWT.search(stripped):
        # Never echo it, never turn it into a host name to look up.
        raise TenantError(
            "That looks like it contains an API key, not a tenant address. Paste the key in the "
            f"key field; here, {_TYPE_INSTEAD[0].lower()}{_TYPE_INSTEAD[1:]}."
        )
    scheme, rest = _split_scheme(stripped)
    authority = _PATH_START.split(rest, maxsplit=1)[0]
    if _WHITESPACE.search(scheme + authority):
        raise TenantError(
            f"A tenant address has no spaces inside it. {_TYPE_INSTEAD}, without spaces."
        )
    if "@" in authority:
        raise TenantError(
            "Never put a user name, password or key in the address. "
            f"{_TYPE_INSTEAD}; the key is asked for separately."
        )
    if not authority:
        raise TenantError(f"There is no host name in that address. {_TYPE_INSTEAD}.")

    raw_host, port = _split_port(authority)
    host, ip = _normalise_host(raw_host)
    is_loopback = _is_loopback(host, ip)

    if scheme == "http" and not is_loopback:
        raise TenantError(
            "Tenant addresses must use https:// (http:// is only allowed for this computer, "
            f"localhost). Type https://{_bracket(host)} or just {EXAMPLE_HOST}."
        )
    if port == _DEFAULT_PORTS[scheme]:
        port = None

    region, region_name, is_qlik, is_gov = (
        _classify(host) if ip is None else (None, None, False, False)
    )
    return Tenant(
        scheme=scheme,
        host=host,
        port=port,
        region=region,
        region_name=region_name,
        is_qlik_cloud=is_qlik,
        is_government=is_gov,
        is_loopback=is_loopback,
    )


def _split_scheme(text: str) -> tuple[str, str]:
    """Return (scheme, everything after it); a missing scheme means https."""
    with_slashes = _SCHEME_WITH_SLASHES.match(text)  # not a "://" later in a path or query
    if with_slashes:
        scheme, rest = with_slashes.group(1).lower(), text[with_slashes.end() :]
        if scheme in _DEFAULT_PORTS:
            return scheme, rest
        if not re.fullmatch(r"[a-z][a-z0-9+\-]{0,15}", scheme):  # don't echo arbitrary text
            raise TenantError(f"That does not look like an address. {_TYPE_INSTEAD}.")
        raise TenantError(
            f"Only https:// addresses work for a tenant, not {scheme}://. {_TYPE_INSTEAD}."
        )
    if text.startswith("//"):  # scheme-relative URL
        return "https", text[2:]
    match = _SCHEME_PREFIX.match(text)
    if match:
        name = match.group(1).lower()
        if name in _DEFAULT_PORTS:
            raise TenantError(
                f"The address is missing '//' after '{name}:'. {_TYPE_INSTEAD}, "
                f"or https://{EXAMPLE_HOST}."
            )
        if name in _OTHER_SCHEMES:
            raise TenantError(
                f"Only https:// addresses work for a tenant, not {name}:. {_TYPE_INSTEAD}."
            )
    return "https", text


def _split_port(authority: str) -> tuple[str, int | None]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise TenantError(
                "The IPv6 address is missing its closing ']'. Type it like [::1]:8443, "
                f"or {EXAMPLE_HOST}."
            )
        host, after = authority[1:end], authority[end + 1 :]
        if not host:
            raise TenantError(f"There is no host name in that address. {_TYPE_INSTEAD}.")
        if after and not after.startswith(":"):
            raise TenantError(
                f"Unexpected text after the IPv6 address. Type it like [::1]:8443. {_TYPE_INSTEAD}."
            )
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise TenantError(
                f"The part in [brackets] is not an IPv6 address. {_TYPE_INSTEAD}."
            ) from None
        return host, _parse_port(after[1:]) if after else None
    if authority.count(":") > 1:  # a bare IPv6 address, which cannot carry a port
        try:
            ipaddress.IPv6Address(authority)
        except ValueError:
            raise TenantError(
                "That address has too many ':' in it. Write IPv6 addresses in brackets, "
                f"like [::1]:8443. {_TYPE_INSTEAD}."
            ) from None
        return authority, None
    host, colon, port_text = authority.partition(":")
    return host, _parse_port(port_text) if colon else None


def _parse_port(text: str) -> int | None:
    if text == "":  # "host:" — browsers read it as the default port too
        return None
    port = int(text) if _PORT.fullmatch(text) else -1
    if not 1 <= port <= 65535:
        raise TenantError(
            "The port after ':' must be a number from 1 to 65535 (or leave it out). "
            f"{_TYPE_INSTEAD}."
        )
    return port


def _normalise_host(
    raw: str,
) -> tuple[str, ipaddress.IPv4Address | ipaddress.IPv6Address | None]:
    """Lower-case, drop trailing dots, IDNA-encode; return the host and its IP form, if any."""
    if ":" in raw:  # only IPv6 reaches here with a colon; already validated
        ip6 = ipaddress.IPv6Address(raw)
        if ip6.scope_id:
            raise TenantError(f"IPv6 zone ids (%…) are not supported. {_TYPE_INSTEAD}.")
        return ip6.compressed, ip6
    host = raw.rstrip(".").lower()
    if not host:
        raise TenantError(f"There is no host name in that address. {_TYPE_INSTEAD}.")
    if not host.isascii():
        host = _idna_encode(host).rstrip(".")
    labels = host.split(".")
    if labels[-1].isdigit():  # numeric top label: only a dotted-quad IPv4 address fits
        try:
            ip4 = ipaddress.IPv4Address(host)
        except ValueError:
            raise TenantError(
                f"That is not a valid IP address or host name. {_TYPE_INSTEAD}."
            ) from None
        return str(ip4), ip4
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise TenantError(
            "That is not a valid host name: use only letters, digits, '-' and dots between "
            f"names. {_TYPE_INSTEAD}."
        )
    if len(labels) == 1 and host != "localhost":
        # A single word is almost always the tenant name alone, not a reachable host.
        raise TenantError(
            f"Type the full address, not just the tenant name: like {EXAMPLE_HOST} "
            "(your tenant name, then your region)."
        )
    return host, None


def _idna_encode(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        raise TenantError(
            f"That host name has characters that cannot be used in an address. {_TYPE_INSTEAD}."
        ) from None


def _is_loopback(host: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
    if ip is None:
        return host == "localhost"
    if isinstance(ip, ipaddress.IPv6Address):
        return ip == ipaddress.IPv6Address("::1")
    return ip.is_loopback


def _classify(host: str) -> tuple[str | None, str | None, bool, bool]:
    """Return (region, region_name, is_qlik_cloud, is_government) for a DNS host name."""
    for domain, is_gov in ((QLIK_CLOUD_DOMAIN, False), (QLIK_GOV_DOMAIN, True)):
        if host != domain and not host.endswith("." + domain):
            continue
        labels = host[: -len(domain)].rstrip(".").split(".") if host != domain else []
        if not labels or (len(labels) == 1 and labels[0] in _NOT_A_TENANT):
            example = f"acme.{host}" if labels and labels[0] != "www" else EXAMPLE_HOST
            raise TenantError(
                f"{host} is missing the tenant name in front. Type your tenant address, like "
                f"{example}, with your tenant's name first."
            )
        if len(labels) == 1:
            # Decision: <tenant>.qlikcloud.com without a region label is a legacy US tenant
            # (the US region predates regional host names), so it counts as region "us".
            region: str | None = "us"
        else:
            region = labels[-1]
        if is_gov:
            return region, GOVERNMENT_REGION_NAME, True, True
        # An unknown region label is kept as-is (new regions appear) but gets no name.
        return region, REGION_NAMES.get(region) if region else None, True, False
    return None, None, False, False


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
