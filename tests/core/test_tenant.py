from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qlik_tui.core.apikey import make_fake_key
from qlik_tui.core.tenant import REGION_NAMES, Tenant, TenantError, parse_tenant

FUZZ = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("text", "origin", "region", "region_name"),
    [
        ("acme.eu.qlikcloud.com", "https://acme.eu.qlikcloud.com", "eu", "Europe (Ireland)"),
        ("https://Acme.EU.qlikcloud.com/hub/home", "https://acme.eu.qlikcloud.com", "eu", None),
        ("acme.eu.qlikcloud.com/", "https://acme.eu.qlikcloud.com", "eu", None),
        ("  acme.de.qlikcloud.com  \n", "https://acme.de.qlikcloud.com", "de", None),
        ("acme.de.qlikcloud.com.", "https://acme.de.qlikcloud.com", "de", "Germany (Frankfurt)"),
        ("acme.ap.qlikcloud.com///", "https://acme.ap.qlikcloud.com", "ap", "Australia (Sydney)"),
        ("HTTPS://ACME.UK.QLIKCLOUD.COM", "https://acme.uk.qlikcloud.com", "uk", None),
        ("acme.sg.qlikcloud.com?x=1#frag", "https://acme.sg.qlikcloud.com", "sg", None),
        ("acme.jp.qlikcloud.com#/hub", "https://acme.jp.qlikcloud.com", "jp", None),
        ("https://acme.eu.qlikcloud.com:443/x", "https://acme.eu.qlikcloud.com", "eu", None),
        ("acme.eu.qlikcloud.com:", "https://acme.eu.qlikcloud.com", "eu", None),
        ("//acme.fr.qlikcloud.com/hub", "https://acme.fr.qlikcloud.com", "fr", None),
        (
            "acme.eu.qlikcloud.com/login?next=https://elsewhere.example",
            "https://acme.eu.qlikcloud.com",
            "eu",
            None,
        ),
        (
            "a1b2c3d4e5f6g7h.br.qlikcloud.com",
            "https://a1b2c3d4e5f6g7h.br.qlikcloud.com",
            "br",
            None,
        ),
        ("acme.eu.qlikcloud.com\\hub", "https://acme.eu.qlikcloud.com", "eu", None),
    ],
)
def test_qlik_cloud_addresses_reduce_to_the_origin(
    text: str, origin: str, region: str, region_name: str | None
) -> None:
    tenant = parse_tenant(text)
    assert tenant.origin == origin
    assert tenant.region == region
    assert tenant.is_qlik_cloud
    assert not tenant.is_government
    assert not tenant.is_loopback
    assert tenant.scheme == "https"
    assert tenant.port is None
    if region_name is not None:
        assert tenant.region_name == region_name


@pytest.mark.parametrize("code", sorted(REGION_NAMES))
def test_every_region_code_is_named(code: str) -> None:
    tenant = parse_tenant(f"acme.{code}.qlikcloud.com")
    assert tenant.region == code
    assert tenant.region_name == REGION_NAMES[code]
    assert tenant.region_name


def test_region_names_cover_the_documented_codes() -> None:
    documented = {"us", "eu", "de", "uk", "fr", "sg", "ap", "jp", "in", "il", "ae", "br", "se"}
    assert set(REGION_NAMES) == documented
    assert REGION_NAMES["ap"] == "Australia (Sydney)"


def test_tenant_without_region_is_legacy_us() -> None:
    tenant = parse_tenant("acme.qlikcloud.com")
    assert tenant.is_qlik_cloud
    assert tenant.region == "us"
    assert tenant.region_name == REGION_NAMES["us"]


def test_unknown_region_label_is_kept_without_a_name() -> None:
    tenant = parse_tenant("acme.zz.qlikcloud.com")
    assert tenant.is_qlik_cloud
    assert tenant.region == "zz"
    assert tenant.region_name is None


def test_government_cloud() -> None:
    tenant = parse_tenant("https://acme.us.qlikcloudgov.com/hub")
    assert tenant.origin == "https://acme.us.qlikcloudgov.com"
    assert tenant.is_qlik_cloud
    assert tenant.is_government
    assert tenant.region == "us"
    assert tenant.region_name == "US Government"


@pytest.mark.parametrize(
    ("text", "origin", "display_host"),
    [
        ("analytics.example.com", "https://analytics.example.com", "analytics.example.com"),
        ("proxy.example.com:8443/hub", "https://proxy.example.com:8443", "proxy.example.com:8443"),
        ("https://10.0.0.5:9443", "https://10.0.0.5:9443", "10.0.0.5:9443"),
        ("qlikcloud.com.evil.example", "https://qlikcloud.com.evil.example", None),
        ("acme-qlikcloud.com", "https://acme-qlikcloud.com", None),
        ("https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443", "[2001:db8::1]:8443"),
        ("[2001:DB8:0:0::1]", "https://[2001:db8::1]", "[2001:db8::1]"),
    ],
)
def test_other_hosts_are_allowed_but_not_qlik_cloud(
    text: str, origin: str, display_host: str | None
) -> None:
    tenant = parse_tenant(text)
    assert tenant.origin == origin
    assert not tenant.is_qlik_cloud
    assert tenant.region is None
    assert tenant.region_name is None
    if display_host is not None:
        assert tenant.display_host == display_host


@pytest.mark.parametrize(
    ("text", "origin", "host"),
    [
        ("http://localhost:8443", "http://localhost:8443", "localhost"),
        ("http://localhost:80/x", "http://localhost", "localhost"),
        ("localhost:8443", "https://localhost:8443", "localhost"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000", "127.0.0.1"),
        ("http://127.8.9.10", "http://127.8.9.10", "127.8.9.10"),
        ("http://[::1]:8443/api", "http://[::1]:8443", "::1"),
        ("[::1]:8443", "https://[::1]:8443", "::1"),
        ("::1", "https://[::1]", "::1"),
        ("HTTP://LOCALHOST.:9000", "http://localhost:9000", "localhost"),
    ],
)
def test_loopback_hosts(text: str, origin: str, host: str) -> None:
    tenant = parse_tenant(text)
    assert tenant.origin == origin
    assert tenant.host == host
    assert tenant.is_loopback
    assert not tenant.is_qlik_cloud


def test_default_https_port_is_dropped_but_others_kept() -> None:
    assert parse_tenant("acme.eu.qlikcloud.com:443").port is None
    assert parse_tenant("acme.eu.qlikcloud.com:8443").port == 8443
    assert parse_tenant("https://localhost:80").port == 80


def test_idna_host_is_encoded_never_unhandled() -> None:
    tenant = parse_tenant("https://bücher.example.com/x")
    assert tenant.host == "xn--bcher-kva.example.com"
    assert tenant.host.isascii()
    assert not tenant.is_qlik_cloud


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Type your tenant address, like acme.eu.qlikcloud.com"),
        ("   \n\t ", "Type your tenant address, like acme.eu.qlikcloud.com"),
        ("acme eu.qlikcloud.com", "no spaces"),
        ("https://acme .eu.qlikcloud.com/", "no spaces"),
        ("https://user:pass@acme.eu.qlikcloud.com", "Never put a user name, password or key"),
        ("bob@acme.eu.qlikcloud.com", "Never put"),
        ("acme.eu.qlikcloud.com:0", "port"),
        ("acme.eu.qlikcloud.com:65536", "1 to 65535"),
        ("acme.eu.qlikcloud.com:99999999999", "1 to 65535"),
        ("acme.eu.qlikcloud.com:https", "port"),
        ("acme.eu.qlikcloud.com:-1", "port"),
        ("ftp://acme.eu.qlikcloud.com", "Only https://"),
        ("file:///etc/passwd", "Only https://"),
        ("file:/etc/passwd", "Only https://"),
        ("mailto:admin@acme.com", "Only https://"),
        ("javascript:alert(1)", "Only https://"),
        ("://acme.eu.qlikcloud.com", "does not look like an address"),
        ("https:acme.eu.qlikcloud.com", "missing '//'"),
        ("http://acme.eu.qlikcloud.com", "use https://"),
        ("http://10.0.0.1:8080", "use https://"),
        ("http://[2001:db8::1]", "use https://"),
        ("acme_1.example.com", "not a valid host name"),
        ("-acme.example.com", "not a valid host name"),
        ("acme..eu.qlikcloud.com", "not a valid host name"),
        ("a" * 64 + ".example.com", "not a valid host name"),
        ("ac%6de.eu.qlikcloud.com", "not a valid host name"),
        ("acme", "not just the tenant name"),
        ("1.2.3", "not a valid IP address"),
        ("999.1.1.1", "not a valid IP address"),
        ("eu.qlikcloud.com", "like acme.eu.qlikcloud.com"),
        ("https://qlikcloud.com/", "missing the tenant name"),
        ("www.qlikcloud.com", "missing the tenant name"),
        ("us.qlikcloudgov.com", "like acme.us.qlikcloudgov.com"),
        ("https://", "no host name"),
        ("https://:8443", "no host name"),
        ("[::1", "closing ']'"),
        ("[::1]x", "Unexpected text"),
        ("[not-ipv6]", "not an IPv6 address"),
        ("[]:80", "no host name"),
        ("fe80::1::2", "too many ':'"),
        ("[fe80::1%eth0]", "zone"),
        ("...", "no host name"),
        ("xn--\u00e9.com", "cannot be used"),
    ],
)
def test_rejections_say_what_to_type(text: str, fragment: str) -> None:
    with pytest.raises(TenantError) as caught:
        parse_tenant(text)
    message = str(caught.value)
    assert fragment in message
    # Every message shows an address to type instead.
    assert re.search(r"(?:like|Type) \S*[.:]\S", message), message


def test_pasted_api_key_is_refused_without_echo() -> None:
    key = make_fake_key(key_id="k", tenant_id="t", sub="s")
    for text in (key, f"https://acme.eu.qlikcloud.com/?token={key}", key[:60]):
        with pytest.raises(TenantError) as caught:
            parse_tenant(text)
        assert key.split(".")[2] not in str(caught.value)
        assert key[:20] not in str(caught.value)


def test_tenant_is_frozen_and_comparable() -> None:
    tenant = parse_tenant("acme.eu.qlikcloud.com")
    assert tenant == parse_tenant("https://ACME.eu.qlikcloud.com/hub")
    with pytest.raises(AttributeError):
        tenant.host = "evil.example"  # type: ignore[misc]


def test_origin_and_display_host_from_fields() -> None:
    tenant = Tenant(
        scheme="http",
        host="::1",
        port=8443,
        region=None,
        region_name=None,
        is_qlik_cloud=False,
        is_government=False,
        is_loopback=True,
    )
    assert tenant.origin == "http://[::1]:8443"
    assert tenant.display_host == "[::1]:8443"
    plain = tenant._replace(scheme="https", host="acme.eu.qlikcloud.com", port=None)
    assert plain.origin == "https://acme.eu.qlikcloud.com"
    assert plain.display_host == "acme.eu.qlikcloud.com"


# -- properties ----------------------------------------------------------------------------


def _parse_or_error(text: str) -> Tenant | TenantError:
    try:
        return parse_tenant(text)
    except TenantError as err:
        assert str(err)
        return err


@FUZZ
@given(st.text())
def test_any_text_gives_a_tenant_or_a_tenant_error(text: str) -> None:
    result = _parse_or_error(text)
    assert isinstance(result, (Tenant, TenantError))


URLISH = st.text(alphabet="aAeE.-_:/[]@?#%1234567890 \t\n\\é。xnq", max_size=40)


@FUZZ
@given(URLISH)
def test_url_like_text_gives_a_tenant_or_a_tenant_error(text: str) -> None:
    result = _parse_or_error(text)
    if isinstance(result, Tenant):
        # Whatever is accepted is a stable origin: it parses back to itself.
        assert parse_tenant(result.origin) == result
        assert result.origin.isascii()
        assert result.origin == result.origin.lower()


labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)


def _random_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if flip else c for c, flip in zip(text, flips, strict=True))


@st.composite
def qlik_addresses(draw: st.DrawFn) -> tuple[str, str, str]:
    """(typed text, expected origin, expected region)."""
    tenant_name = draw(labels.filter(lambda label: label not in REGION_NAMES and label != "www"))
    region = draw(st.sampled_from(sorted(REGION_NAMES)))
    host = f"{tenant_name}.{region}.qlikcloud.com"
    scheme = draw(st.sampled_from(["", "https://", "HTTPS://", "//"]))
    port = draw(st.sampled_from(["", ":443", ":"]))
    path = draw(st.sampled_from(["", "/", "/hub/home", "/?q=1", "#x", "/a/b?c=d#e", "/x//y"]))
    dots = draw(st.sampled_from(["", "."]))
    space = st.sampled_from(["", " ", "\t", "\n", "  \r\n"])
    typed = draw(space) + _random_case(draw, scheme + host + dots + port + path) + draw(space)
    return typed, f"https://{host}", region


@FUZZ
@given(qlik_addresses())
def test_realistic_addresses_give_their_origin(case: tuple[str, str, str]) -> None:
    typed, origin, region = case
    tenant = parse_tenant(typed)
    assert tenant.origin == origin
    assert tenant.region == region
    assert tenant.is_qlik_cloud


@FUZZ
@given(
    labels,
    labels,
    st.integers(min_value=1, max_value=65535),
    st.sampled_from(["", "/", "/x?y"]),
)
def test_other_hosts_keep_their_port(first: str, second: str, port: int, path: str) -> None:
    host = f"{first}.{second}.example"
    tenant = parse_tenant(f"{host}:{port}{path}")
    assert tenant.host == host
    assert tenant.port == (None if port == 443 else port)
    assert not tenant.is_qlik_cloud


@FUZZ
@given(st.integers(), st.text(alphabet="0123456789abc-+ ", max_size=8))
def test_ports_outside_range_are_refused(number: int, junk: str) -> None:
    for port_text in (str(number), junk):
        result = _parse_or_error(f"acme.eu.qlikcloud.com:{port_text}/hub")
        valid = port_text == "" or (port_text.isdigit() and 1 <= int(port_text) <= 65535)
        if valid and len(port_text) <= 5:
            assert isinstance(result, Tenant)
        else:
            assert isinstance(result, TenantError)
