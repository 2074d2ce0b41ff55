"""Reading qlik-cli's contexts file: classification, refusals, and no value ever echoed."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from qlik_tui.core.apikey import make_fake_key
from qlik_tui.core.qlik_cli_contexts import (
    MAX_ALIASES,
    MAX_EVENTS,
    ContextKind,
    ContextsFileError,
    parse_contexts,
    shown,
)

FUZZ = settings(max_examples=200, deadline=None)
HERE = Path("contexts.yml")
KEY = make_fake_key(key_id="7d9a0b4e-0000-4000-8000-000000000001", tenant_id="t1", sub="u1")
SIGNATURE = KEY.rsplit(".", 1)[1]


def one(body: dict[str, object]) -> ContextKind:
    text = yaml.safe_dump({"contexts": {"c": body}})
    (context,) = parse_contexts(text, HERE).contexts
    return context.kind


def test_each_kind_of_context_is_told_apart() -> None:
    cloud = "https://acme.eu.qlikcloud.com"
    bearer = {"Authorization": f"Bearer {KEY}"}
    assert one({"server": cloud, "server-type": "cloud", "headers": bearer}) is ContextKind.API_KEY
    assert one({"server": cloud, "headers": bearer}) is ContextKind.API_KEY  # no server-type
    assert one({"server": cloud, "oauth-client-id": "x"}) is ContextKind.OAUTH
    assert one({"server": cloud}) is ContextKind.NO_KEY
    assert one({"server": cloud, "headers": {"Authorization": "Basic abc"}}) is ContextKind.NO_KEY
    windows = {"server": "https://sense.example.com", "server-type": "Windows", "headers": bearer}
    assert one(windows) is ContextKind.NOT_CLOUD
    assert one({"headers": bearer}) is ContextKind.BAD_SERVER
    assert one({"server": "http://acme.example.com", "headers": bearer}) is ContextKind.BAD_SERVER
    cut = {"Authorization": f"Bearer {KEY[:-20]}"}
    assert one({"server": cloud, "headers": cut}) is ContextKind.BAD_KEY
    assert one("not a mapping") is ContextKind.NO_KEY  # type: ignore[arg-type]


def test_the_key_is_held_hidden() -> None:
    text = yaml.safe_dump(
        {"contexts": {"c": {"server": "acme.eu.qlikcloud.com", "headers": {"authorization":
         f"Bearer {KEY}"}}}}
    )  # fmt: skip
    (context,) = parse_contexts(text, HERE).contexts
    assert context.key is not None and context.key.reveal() == KEY
    assert SIGNATURE not in repr(context)
    assert context.tenant is not None and context.tenant.origin == "https://acme.eu.qlikcloud.com"


def test_an_empty_file_has_no_contexts() -> None:
    assert parse_contexts("", HERE).contexts == ()
    assert parse_contexts("current-context: x\n", HERE).current_context == "x"


def test_aliases_up_to_the_limit_are_fine_beyond_it_refused() -> None:
    uses = "\n".join(f"  c{i}: *base" for i in range(MAX_ALIASES))
    fine = f"base: &base {{server: acme.eu.qlikcloud.com}}\ncontexts:\n{uses}\n"
    assert len(parse_contexts(fine, HERE).contexts) == MAX_ALIASES
    try:
        parse_contexts(fine + "  one-more: *base\n", HERE)
    except ContextsFileError as exc:
        assert exc.line == MAX_ALIASES + 3
    else:
        raise AssertionError("the alias beyond the limit was accepted")


def test_python_tags_are_not_constructed() -> None:
    try:
        parse_contexts("contexts: !!python/object/apply:os.system ['true']\n", HERE)
    except ContextsFileError as exc:
        assert exc.line == 1
    else:
        raise AssertionError("a python tag was accepted")


@FUZZ
@given(st.text(max_size=400))
def test_any_text_parses_or_is_refused_with_a_sentence(text: str) -> None:
    try:
        parsed = parse_contexts(text, HERE)
    except ContextsFileError as exc:
        assert str(exc).startswith(str(HERE))
        assert exc.line is None or exc.line >= 1
    else:
        assert all(isinstance(c.kind, ContextKind) for c in parsed.contexts)


@FUZZ
@given(st.text(max_size=200))
def test_a_broken_line_holding_a_key_is_never_quoted(noise: str) -> None:
    text = f"contexts:\n  c:\n    headers: {{Authorization: Bearer {KEY}\n{noise}"
    try:
        parse_contexts(text, HERE)
    except ContextsFileError as exc:
        assert SIGNATURE not in str(exc)


@FUZZ
@given(st.text(max_size=120))
def test_shown_text_is_one_line_and_short(text: str) -> None:
    result = shown(text)
    assert result.isprintable()
    assert len(result) <= 61


def test_a_file_with_far_more_nodes_than_contexts_is_refused_unparsed() -> None:
    many = "contexts:\n" + "".join(f"  c{i}: {{server: x}}\n" for i in range(MAX_EVENTS // 4))
    try:
        parse_contexts(many, HERE)
    except ContextsFileError as exc:
        assert f"more than {MAX_EVENTS} YAML nodes" in exc.problem
    else:
        raise AssertionError("the huge file was parsed")
