"""List what changed in Qlik's published types since our contract schemas were read from them.

    python3 scripts/qlik_api_drift.py PATH [--schemas DIR]

PATH is an unpacked ``@qlik/api`` npm tarball (``npm pack @qlik/api && tar xzf qlik-api-*.tgz``
gives ``package/``). Every ``$def`` of the schemas in DIR (default
``tests/contracts/schemas``) whose ``$comment`` names its source as
``@qlik/api <version> <file>.d.ts: <Type>`` is compared with that type in PATH: members added
or removed, optional <-> required, member types, and enum values. Exit status: 0 when nothing
changed, 1 when something did (one line per change), 2 when PATH is not a package.

The ``.d.ts`` reader knows what these generated files use: object literals with (readonly,
optional, quoted) members and ``/** */`` comments, string literal unions, ``T[]``,
parentheses, ``A & B`` and named references. Anything else reads as its text.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SCHEMAS = Path(__file__).resolve().parent.parent / "tests" / "contracts" / "schemas"
SOURCE = re.compile(r"@qlik/api (?P<version>\S+) (?P<file>[\w.-]+\.d\.ts): (?P<type>\w+)(?=\s|$)")


@dataclass(frozen=True)
class Member:
    """One member as both readers describe it: its kind (``string``, ``number``, ``enum``,
    ``object``, ``unknown``, ``array<…>`` or a named type) and its enum values, if any."""

    optional: bool
    kind: str
    enum: tuple[str, ...] = ()


Shape = dict[str, Member]  # "links.self.href" / "[].level" -> Member

# -- the .d.ts reader ------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s+|/\*.*?\*/|//[^\n]*|(?P<tok>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[A-Za-z_$][\w$]*"
    r"|-?\d+(?:\.\d+)?|\[\]|[{}()\[\];:?|&,<>=])",
    re.DOTALL,
)


def _tokens(text: str) -> list[str]:
    return [m.group("tok") for m in _TOKEN.finditer(text) if m.group("tok")]


# A TypeScript type, read: ("obj", {name: (optional, type)}), ("arr", type), ("union", [types]),
# ("inter", [types]), ("lit", value), ("ref", name).
TsType = tuple[str, object]


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.at = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError(f"expected {expected or 'a token'}, found {token!r}")
        self.at += 1
        return token

    def union(self) -> TsType:
        if self.peek() == "|":
            self.take()
        options = [self.intersection()]
        while self.peek() == "|":
            self.take()
            options.append(self.intersection())
        return options[0] if len(options) == 1 else ("union", options)

    def intersection(self) -> TsType:
        parts = [self.postfix()]
        while self.peek() == "&":
            self.take()
            parts.append(self.postfix())
        return parts[0] if len(parts) == 1 else ("inter", parts)

    def postfix(self) -> TsType:
        inner = self.primary()
        while self.peek() == "[]":
            self.take()
            inner = ("arr", inner)
        return inner

    def primary(self) -> TsType:
        token = self.take()
        if token == "(":
            inner = self.union()
            self.take(")")
            return inner
        if token == "{":
            return ("obj", self.members())
        if token[0] in "\"'":
            return ("lit", json.loads('"' + token[1:-1] + '"'))
        if self.peek() == "<":  # a generic's arguments are not compared
            depth = 0
            while True:
                part = self.take()
                depth += {"<": 1, ">": -1}.get(part, 0)
                if depth == 0:
                    break
        return ("ref", token)

    def members(self) -> dict[str, tuple[bool, TsType]]:
        found: dict[str, tuple[bool, TsType]] = {}
        while self.peek() != "}":
            name = self.take()
            if name == "readonly" and self.peek() not in (":", "?"):
                name = self.take()
            if name[0] in "\"'":
                name = name[1:-1]
            optional = self.peek() == "?"
            if optional:
                self.take()
            self.take(":")
            found[name] = (optional, self.union())
            if self.peek() in (";", ","):
                self.take()
        self.take("}")
        return found


def read_dts(text: str) -> dict[str, TsType]:
    """Every ``export type Name = …;`` of a generated ``.d.ts`` file."""
    types: dict[str, TsType] = {}
    for match in re.finditer(r"^export type (\w+)\s*=", text, re.MULTILINE):
        parser = _Parser(_tokens(text[match.end() :]))
        try:
            types[match.group(1)] = parser.union()
        except ValueError:
            continue  # a construct these files do not use for answers (functions, generics)
    return types


def _ts_kind(ts: TsType, types: dict[str, TsType]) -> tuple[str, tuple[str, ...]]:
    tag, value = ts
    if tag == "lit":
        return "enum", (str(value),)
    if tag == "union":
        options = value if isinstance(value, list) else []
        if all(option[0] == "lit" for option in options):
            return "enum", tuple(sorted(str(option[1]) for option in options))
        return "|".join(sorted(_ts_kind(option, types)[0] for option in options)), ()
    if tag == "arr":
        kind, enum = _ts_kind(value, types)  # type: ignore[arg-type]
        return f"array<{kind}>", enum
    if tag in ("obj", "inter"):
        return "object", ()
    return str(value), ()  # string, number, boolean, unknown, null, or a named type


def _ts_members(ts: TsType, types: dict[str, TsType]) -> dict[str, tuple[bool, TsType]] | None:
    """The members of an object type (an intersection's parts merged, references followed)."""
    tag, value = ts
    if tag == "obj":
        return dict(value)  # type: ignore[call-overload]
    if tag == "inter":
        merged: dict[str, tuple[bool, TsType]] = {}
        for part in value:  # type: ignore[attr-defined]
            merged.update(_ts_members(part, types) or {})
        return merged
    if tag == "ref" and value in types:
        return _ts_members(types[str(value)], types)
    return None


def dts_shape(ts: TsType, types: dict[str, TsType], prefix: str = "") -> Shape:
    members = _ts_members(ts, types) if ts[0] != "ref" or not prefix else None
    if members is None:
        if ts[0] == "arr" and ts[1][0] in ("obj", "inter"):  # type: ignore[index]
            return dts_shape(ts[1], types, prefix + "[].")  # type: ignore[arg-type]
        kind, enum = _ts_kind(ts, types)
        return {prefix.rstrip("."): Member(False, kind, enum)}
    shape: Shape = {}
    for name, (optional, member) in members.items():
        kind, enum = _ts_kind(member, types)
        shape[prefix + name] = Member(optional, kind, enum)
        if member[0] in ("obj", "inter"):
            shape.update(dts_shape(member, types, prefix + name + "."))
        elif member[0] == "arr" and member[1][0] in ("obj", "inter"):  # type: ignore[index]
            shape.update(dts_shape(member[1], types, prefix + name + "[]."))  # type: ignore[arg-type]
    return shape


# -- the schema reader -----------------------------------------------------------------------

Schema = dict[str, object]


def _deref(schema: Schema, defs: dict[str, Schema]) -> Schema:
    while isinstance(schema.get("$ref"), str):
        schema = defs[str(schema["$ref"]).rsplit("/", 1)[-1]]
    return schema


def _schema_kind(schema: Schema) -> tuple[str, tuple[str, ...]]:
    if isinstance(schema.get("$ref"), str):
        return str(schema["$ref"]).rsplit("/", 1)[-1], ()
    if isinstance(schema.get("enum"), list):
        return "enum", tuple(sorted(str(v) for v in schema["enum"]))  # type: ignore[union-attr]
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        inner, enum = _schema_kind(items) if isinstance(items, dict) else ("unknown", ())
        return f"array<{inner}>", enum
    if "allOf" in schema or "properties" in schema:
        return "object", ()
    return (str(kind), ()) if isinstance(kind, str) else ("unknown", ())


def _schema_members(schema: Schema, defs: dict[str, Schema]) -> tuple[dict[str, Schema], set[str]]:
    schema = _deref(schema, defs)
    properties: dict[str, Schema] = dict(schema.get("properties", {}))  # type: ignore[call-overload]
    required = set(schema.get("required", []))  # type: ignore[call-overload]
    for part in schema.get("allOf", []):  # type: ignore[attr-defined]
        more, more_required = _schema_members(part, defs)
        properties.update(more)
        required |= more_required
    return properties, required


def schema_shape(schema: Schema, defs: dict[str, Schema], prefix: str = "") -> Shape:
    schema = _deref(schema, defs) if not prefix else schema
    if "properties" not in schema and "allOf" not in schema:
        items = schema.get("items")
        if schema.get("type") == "array" and isinstance(items, dict) and "properties" in items:
            return schema_shape(items, defs, prefix + "[].")
        kind, enum = _schema_kind(schema)
        return {prefix.rstrip("."): Member(False, kind, enum)}
    properties, required = _schema_members(schema, defs)
    shape: Shape = {}
    for name, member in properties.items():
        kind, enum = _schema_kind(member)
        shape[prefix + name] = Member(name not in required, kind, enum)
        if "properties" in member:
            shape.update(schema_shape(member, defs, prefix + name + "."))
        items = member.get("items")
        if isinstance(items, dict) and "properties" in items:
            shape.update(schema_shape(items, defs, prefix + name + "[]."))
    return shape


# -- comparing -------------------------------------------------------------------------------


def _describe(member: Member) -> str:
    text = member.kind + (f" {list(member.enum)}" if member.enum else "")
    return text + (", optional" if member.optional else ", required")


def compare(recorded: Shape, published: Shape, where: str) -> list[str]:
    changes: list[str] = []
    for path in sorted(set(recorded) | set(published)):
        old, new = recorded.get(path), published.get(path)
        name = f"{where}.{path}" if path else where
        if old is None and new is not None:
            changes.append(f"{name}: added ({_describe(new)})")
        elif new is None and old is not None:
            changes.append(f"{name}: removed (was {_describe(old)})")
        elif old is not None and new is not None and old != new:
            if old.optional != new.optional:
                changes.append(f"{name}: now {'optional' if new.optional else 'required'}")
            if old.kind != new.kind:
                changes.append(f"{name}: type {old.kind} -> {new.kind}")
            added = sorted(set(new.enum) - set(old.enum))
            gone = sorted(set(old.enum) - set(new.enum))
            if added:
                changes.append(f"{name}: enum values added {added}")
            if gone:
                changes.append(f"{name}: enum values removed {gone}")
    return changes


def drift(package: Path, schemas: Path) -> tuple[str, str, list[str]]:
    """(recorded version, published version, one line per change)."""
    if (package / "package" / "package.json").is_file():
        package = package / "package"
    manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
    published_version = str(manifest.get("version", "?"))
    recorded_versions: set[str] = set()
    read: dict[str, dict[str, TsType] | None] = {}
    changes: list[str] = []
    for schema_file in sorted(schemas.glob("*.schema.json")):
        defs: dict[str, Schema] = json.loads(schema_file.read_text(encoding="utf-8"))["$defs"]
        for def_name, schema in defs.items():
            source = SOURCE.search(str(schema.get("$comment", "")))
            if source is None:
                continue
            recorded_versions.add(source["version"])
            dts_name, type_name = source["file"], source["type"]
            if dts_name not in read:
                path = package / dts_name
                read[dts_name] = read_dts(path.read_text("utf-8")) if path.is_file() else None
            types = read[dts_name]
            where = f"{dts_name} {type_name}"
            if types is None:
                changes.append(f"{dts_name}: not in the package (recorded in {schema_file.name})")
            elif type_name not in types:
                changes.append(f"{where}: no longer published (recorded as {def_name})")
            else:
                published = dts_shape(types[type_name], types)
                changes += compare(schema_shape(schema, defs), published, where)
    recorded = ", ".join(sorted(recorded_versions)) or "?"
    return recorded, published_version, list(dict.fromkeys(changes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", type=Path, help="an unpacked @qlik/api npm tarball")
    parser.add_argument("--schemas", type=Path, default=DEFAULT_SCHEMAS)
    args = parser.parse_args(argv)
    try:
        recorded, published, changes = drift(args.package, args.schemas)
    except (OSError, ValueError, KeyError) as exc:
        print(f"qlik_api_drift: cannot read {args.package}: {exc}", file=sys.stderr)
        return 2
    print(f"schemas read from @qlik/api {recorded}; compared with {published}")
    for line in changes:
        print(line)
    if not changes:
        print("no changes in the types the schemas record")
    return 1 if changes else 0


if __name__ == "__main__":
    sys.exit(main())
