"""Qlik's published types as JSON Schemas (``schemas/``), and what the contract tests ask of them.

A schema is named ``"<file>#<Type>"``: ``"users#User"`` is ``$defs/User`` of
``schemas/users.schema.json``. Each ``$def`` names in its ``$comment`` the ``@qlik/api`` version,
``.d.ts`` file and type it was read from (``scripts/qlik_api_drift.py`` compares them with a newer
release).

CONTRACT:
    QLIK_API_VERSION                      the @qlik/api release the schemas were read from
    schema(name) -> dict                  a standalone schema (its file's $defs, $ref to the type)
    problems(name, instance) -> [str]     validation errors (empty: it conforms)
    undeclared(name, instance) -> [str]   member paths the type does not declare ("a.b[].c")
    ANSWER_SCHEMAS / schemas_for(method, path, status) -> tuple of names, any of which may fit
    all_texts(value) -> [str]             every string a parsed record holds, however nested
"""

from __future__ import annotations

import dataclasses
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

SCHEMA_DIR = Path(__file__).parent / "schemas"
QLIK_API_VERSION = "2.19.0"
SchemaDict = dict[str, Any]


@cache
def _defs(file: str) -> SchemaDict:
    document: SchemaDict = json.loads((SCHEMA_DIR / f"{file}.schema.json").read_text("utf-8"))
    return document["$defs"]  # type: ignore[no-any-return]


def schema(name: str) -> SchemaDict:
    file, _, type_name = name.partition("#")
    defs = _defs(file)
    if type_name not in defs:
        raise KeyError(f"{name}: no such type in {file}.schema.json")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": defs,
        "$ref": f"#/$defs/{type_name}",
    }


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name))


def problems(name: str, instance: object) -> list[str]:
    """One line per failed check; for a union (anyOf) the failures of its branches."""

    def leaves(error: ValidationError) -> list[ValidationError]:
        return [leaf for sub in error.context for leaf in leaves(sub)] if error.context else [error]

    found = [leaf for e in _validator(name).iter_errors(instance) for leaf in leaves(e)]
    lines = [f"{name} at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found]
    return list(dict.fromkeys(lines))


def _deref(node: SchemaDict, defs: SchemaDict) -> SchemaDict:
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _declared(node: SchemaDict, defs: SchemaDict) -> dict[str, SchemaDict] | None:
    """The members an object type declares (all branches of allOf/anyOf); None: not an object
    type the schema describes (``unknown`` members such as ``meta`` hold anything)."""
    node = _deref(node, defs)
    if not any(k in node for k in ("properties", "allOf", "anyOf")):
        return None
    members: dict[str, SchemaDict] = dict(node.get("properties", {}))
    for branch in node.get("allOf", []) + node.get("anyOf", []):
        members.update(_declared(branch, defs) or {})
    return members


def undeclared(name: str, instance: object) -> list[str]:
    file, _, type_name = name.partition("#")
    defs = _defs(file)
    found: list[str] = []

    def walk(value: object, node: SchemaDict, path: str) -> None:
        node = _deref(node, defs)
        if isinstance(value, dict):
            members = _declared(node, defs)
            if members is None:
                return
            for member, inner in value.items():
                where = f"{path}.{member}" if path else member
                if member in members:
                    walk(inner, members[member], where)
                else:
                    found.append(where)
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            for item in value:
                walk(item, node["items"], f"{path}[]")

    walk(instance, defs[type_name], "")
    return found


# -- which answer has which type ---------------------------------------------------------------

_ID = r"[^/]+"
# Errors as the tenant's gateway answers them for any path (a bad key's 401, an unknown path's
# 404, a wrong method's 405): not one service's type, so any of the published envelopes; their
# ``status`` is a number in users.d.ts and api-keys.d.ts, a string in tenants.d.ts and
# oauth-tokens.d.ts.
ANY_ERRORS = ("api-keys#Errors", "users#Errors", "tenants#Errors", "oauth-tokens#Errors")
ANSWER_SCHEMAS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    # method, path pattern, status pattern, schema names (any may fit); the first match counts
    ("GET", rf"/api/v1/users/{_ID}", "200", ("users#User",)),
    ("GET", "/api/v1/api-keys", "200", ("api-keys#ApiKeyPage",)),
    ("POST", "/api/v1/api-keys", "201", ("api-keys#ApiKeyWithToken",)),
    ("GET", rf"/api/v1/api-keys/configs/{_ID}", "200", ("api-keys#ApiKeysConfig",)),
    ("GET", rf"/api/v1/api-keys/{_ID}", "200", ("api-keys#ApiKey",)),
    ("GET", rf"/api/v1/tenants/{_ID}", "200", ("tenants#Tenant",)),
    # OAuth (issue 20 item 6: the sandbox's endpoints, once merged); the token endpoint's errors
    # come as RFC 6749's object or as Qlik's envelope, its 401 included
    ("POST", "/oauth/token", "200", ("oauth-token-endpoint#TokenAnswer",)),
    ("POST", "/oauth/token", r"4\d\d", ("oauth-token-endpoint#OAuthError", "oauth-tokens#Errors")),
    ("GET", rf"/api/v1/oauth-clients/{_ID}", "200", ("oauth-clients#OAuthClient",)),
    (
        "POST",
        rf"/api/v1/oauth-clients/{_ID}/client-secrets",
        "201",
        ("oauth-clients#OAuthClientSecretResponse",),
    ),
    # the gateway's answers before any service: a bad key, a wrong method, a rate limit, a fault
    ("[A-Z]+", r".*", r"401|405|429|5\d\d", ANY_ERRORS),
    ("[A-Z]+", r"/api/v1/api-keys(/.*)?", r"4\d\d", ("api-keys#Errors",)),
    ("[A-Z]+", r"/api/v1/users(/.*)?", r"4\d\d", ("users#Errors",)),
    ("[A-Z]+", r"/api/v1/tenants(/.*)?", r"4\d\d", ("tenants#Errors",)),
    ("[A-Z]+", r"/api/v1/oauth-clients(/.*)?", r"4\d\d", ("oauth-clients#ErrorResponse",)),
    ("[A-Z]+", r".*", "404", ANY_ERRORS),  # a path no service answers
)


def schemas_for(method: str, path: str, status: int) -> tuple[str, ...]:
    """The schemas an answer may fit: the first row whose patterns all match; () for none."""
    for row_method, row_path, row_status, names in ANSWER_SCHEMAS:
        if (
            re.fullmatch(row_method, method)
            and re.fullmatch(row_path, path)
            and re.fullmatch(row_status, str(status))
        ):
            return names
    return ()


def all_texts(value: object) -> list[str]:
    """Every string in a parsed value: dataclass fields, tuples, lists, dict values."""
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [t for f in dataclasses.fields(value) for t in all_texts(getattr(value, f.name))]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in all_texts(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in all_texts(item)]
    return []
