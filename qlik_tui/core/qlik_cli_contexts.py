"""Read qlik-cli's contexts file (``contexts.yml``) without trusting it.

CONTRACT:
    read_contexts_file(path) -> ContextsFile   (raises ContextsFileError; never writes the file)
    parse_contexts(text, path) -> ContextsFile
    ContextsFile.contexts -> tuple[QlikCliContext, ...]   (in file order)
    QlikCliContext.kind -> ContextKind         (API_KEY, or why it cannot be imported)
    QlikCliContext.key -> ApiKey | None        (only for API_KEY; its repr hides the secret)
    QlikCliContext.client_id / .client_secret  (only for OAUTH_CLIENT; the secret hidden)

The layout qlik-cli writes::

    contexts:
      <name>:
        server: https://tenant.eu.qlikcloud.com
        server-type: cloud              # or Windows / engine; older files leave it out
        headers:
          Authorization: Bearer <key>
        oauth-client-id: ...            # OAuth contexts, instead of the header
        oauth-client-secret: ...        # (in plain text too)
        comment: ...
    current-context: <name>

Safety: the file is refused unread when it is 10 MB or more, and refused unparsed when its event
stream holds more aliases than a hand-written file ever needs (an alias bomb expands a few lines
into gigabytes) or far more nodes than a contexts file has (bounding the time spent). It is then
read with PyYAML's safe loader (plain data only, no objects; libyaml's when available). Messages
never quote the file's values: a parse error names the path and the line only, because the line
may hold a key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from qlik_tui.core.apikey import ApiKey, KeyFormatError, parse_key
from qlik_tui.core.oauth import ClientIdRefused, ClientSecret, normalise_client_id
from qlik_tui.core.outcomes import OutcomeKind, make_outcome
from qlik_tui.core.regular_file import NotARegularFile, read_regular_file
from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.core.untrusted import neutralise

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ALIASES = 16  # qlik-cli writes none; a bomb needs many
MAX_EVENTS = 100_000  # a contexts file of 100 contexts has a few thousand
MAX_SHOWN_NAME_CHARS = 60
CLOUD_SERVER_TYPES = frozenset({"cloud"})
# libyaml's loader when PyYAML was built with it (it usually is): the same safe constructor,
# a parser many times faster on a large file.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContextsFileError(Exception):
    """The file cannot be used. ``str(err)`` names the path (and line) and what to do."""

    def __init__(self, path: Path, problem: str, line: int | None = None) -> None:
        self.path = path
        self.problem = problem
        self.line = line
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")


class ContextKind(str, Enum):
    API_KEY = "api_key"  # Authorization: Bearer <key> on a Qlik Cloud server
    OAUTH = "oauth"  # oauth-client-id without a usable secret: nothing to move
    OAUTH_CLIENT = "oauth_client"  # oauth-client-id and oauth-client-secret on a Cloud server
    NO_KEY = "no_key"  # no Authorization header
    NOT_CLOUD = "not_cloud"  # server-type Windows / engine: not a Qlik Cloud API key
    BAD_SERVER = "bad_server"  # no server, or one that is not a usable https address
    BAD_KEY = "bad_key"  # a Bearer value that is not a Qlik API key


SKIP_REASONS: dict[ContextKind, str] = {
    ContextKind.OAUTH: "an OAuth context without a usable client ID and secret: {detail}",
    ContextKind.NO_KEY: "no API key: the context has no 'Authorization: Bearer' header",
    ContextKind.NOT_CLOUD: "not a Qlik Cloud context (server-type {server_type}): qlik-tui "
    "handles Qlik Cloud API keys only",
    ContextKind.BAD_SERVER: "its server cannot be used: {detail}",
    ContextKind.BAD_KEY: "its Authorization header does not hold a Qlik API key: {detail}",
}


@dataclass(frozen=True)
class QlikCliContext:
    name: str
    kind: ContextKind
    server: str | None  # as written, for messages (shortened, escaped by ``shown``)
    tenant: Tenant | None
    server_type: str | None
    key: ApiKey | None  # only for API_KEY
    detail: str = ""  # why a BAD_SERVER / BAD_KEY / OAUTH context is unusable
    client_id: str | None = None  # only for OAUTH_CLIENT
    client_secret: ClientSecret | None = field(default=None, repr=False)  # only OAUTH_CLIENT

    @property
    def skip_reason(self) -> str | None:
        template = SKIP_REASONS.get(self.kind)
        if template is None:
            return None
        return template.format(
            server_type=shown(self.server_type or "unknown"), detail=self.detail.rstrip(".")
        )


@dataclass(frozen=True)
class ContextsFile:
    path: Path
    contexts: tuple[QlikCliContext, ...]
    current_context: str | None

    @property
    def importable(self) -> tuple[QlikCliContext, ...]:
        return tuple(
            c for c in self.contexts if c.kind in (ContextKind.API_KEY, ContextKind.OAUTH_CLIENT)
        )


def shown(text: str) -> str:
    """Untrusted text for a one-line message: neutralised, length capped."""
    return neutralise(text, MAX_SHOWN_NAME_CHARS + 1)


def read_contexts_file(path: Path) -> ContextsFile:
    """Read and classify every context. Only reads ``path``; never writes it."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ContextsFileError(path, "no such file") from None
    except OSError as exc:
        raise ContextsFileError(
            path, f"cannot be read ({exc.strerror or type(exc).__name__})"
        ) from None
    if size >= MAX_FILE_BYTES:
        raise ContextsFileError(
            path,
            f"the file is {size / (1024 * 1024):.1f} MB; a contexts file is a few KB, so it was "
            "not read",
        )
    try:
        data = read_regular_file(path, MAX_FILE_BYTES - 1)
    except NotARegularFile as exc:
        outcome = make_outcome(OutcomeKind.NOT_A_REGULAR_FILE, path=str(path), file_kind=exc.kind)
        raise ContextsFileError(path, f"{outcome.cause} {outcome.next_step}") from None
    except OSError as exc:
        raise ContextsFileError(
            path, f"cannot be read ({exc.strerror or type(exc).__name__})"
        ) from None
    if len(data) >= MAX_FILE_BYTES:  # it grew after stat()
        raise ContextsFileError(path, "the file is 10 MB or more, so it was not read")
    text = _decode(data, path)
    return parse_contexts(text, path)


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problem = "not UTF-8 text, so it is not a qlik-cli contexts file"
    raise ContextsFileError(path, problem, line)


def parse_contexts(text: str, path: Path) -> ContextsFile:
    _refuse_alias_bombs(text, path)
    document = _safe_load(text, path)
    if document is None:
        return ContextsFile(path=path, contexts=(), current_context=None)
    if not isinstance(document, dict):
        raise ContextsFileError(
            path, "the file is not a YAML mapping with a 'contexts:' section", 1
        )
    raw_contexts = document.get("contexts")
    if raw_contexts is None:
        raw_contexts = {}
    if not isinstance(raw_contexts, dict):
        raise ContextsFileError(path, "'contexts:' is not a mapping of context names")
    contexts = tuple(
        _classify(str(name), body) for name, body in raw_contexts.items() if name is not None
    )
    current = document.get("current-context")
    return ContextsFile(
        path=path,
        contexts=contexts,
        current_context=current if isinstance(current, str) else None,
    )


def _refuse_alias_bombs(text: str, path: Path) -> None:
    """Count aliases in the event stream (events are not expanded, so this stays cheap)."""
    aliases = 0
    try:
        for count, event in enumerate(yaml.parse(text, Loader=_SAFE_LOADER), start=1):
            if count > MAX_EVENTS:
                raise ContextsFileError(
                    path,
                    f"the file holds more than {MAX_EVENTS} YAML nodes, far more than a contexts "
                    "file ever does, so it was not parsed",
                    _line_of(event.start_mark),
                )
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise ContextsFileError(
                        path,
                        f"the file uses more than {MAX_ALIASES} YAML aliases (*name), as an "
                        "alias bomb does; qlik-cli never writes them, so it was not parsed",
                        _line_of(event.start_mark),
                    )
    except yaml.YAMLError as exc:
        problem, line = _yaml_problem(exc)
    except RecursionError:
        problem, line = "the YAML nests too deeply to be a contexts file", None
    else:
        return
    raise ContextsFileError(path, problem, line)


def _safe_load(text: str, path: Path) -> Any:
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        problem, line = _yaml_problem(exc)
    except RecursionError:
        problem, line = "the YAML nests too deeply to be a contexts file", None
    raise ContextsFileError(path, problem, line)


def _yaml_problem(exc: yaml.YAMLError) -> tuple[str, int | None]:
    """The parser's own wording (never the data: PyYAML's snippets quote the line)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    what = problem if isinstance(problem, str) and problem else "it is not valid YAML"
    return f"not valid YAML ({what}); fix the file or pass another with --file", _line_of(mark)


def _line_of(mark: Any) -> int | None:
    line = getattr(mark, "line", None)
    return line + 1 if isinstance(line, int) else None


def _classify(name: str, body: Any) -> QlikCliContext:
    fields = body if isinstance(body, dict) else {}
    server = fields.get("server")
    server_text = server if isinstance(server, str) else None
    raw_type = fields.get("server-type")
    server_type = raw_type.strip() if isinstance(raw_type, str) and raw_type.strip() else None
    headers = fields.get("headers")
    authorization = _header(headers, "authorization")

    def context(kind: ContextKind, **rest: Any) -> QlikCliContext:
        values: dict[str, Any] = {"tenant": None, "key": None, **rest}
        return QlikCliContext(
            name=name, kind=kind, server=server_text, server_type=server_type, **values
        )

    if server_type is not None and server_type.lower() not in CLOUD_SERVER_TYPES:
        return context(ContextKind.NOT_CLOUD)
    if authorization is None:
        if fields.get("oauth-client-id"):
            return _oauth_context(fields, server_text, context)
        return context(ContextKind.NO_KEY)
    if server_text is None or not server_text.strip():
        return context(ContextKind.BAD_SERVER, detail="the context has no server")
    try:
        tenant = parse_tenant(server_text)
    except TenantError as exc:
        return context(ContextKind.BAD_SERVER, detail=str(exc))
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not rest.strip():
        return context(ContextKind.NO_KEY)
    try:
        key = parse_key(rest)
    except KeyFormatError as exc:
        return context(ContextKind.BAD_KEY, tenant=tenant, detail=str(exc))
    return context(ContextKind.API_KEY, tenant=tenant, key=key)


def _oauth_context(
    fields: dict[str, Any], server_text: str | None, context: Callable[..., QlikCliContext]
) -> QlikCliContext:
    raw_id, raw_secret = fields.get("oauth-client-id"), fields.get("oauth-client-secret")
    if not isinstance(raw_secret, str) or not raw_secret.strip():
        return context(ContextKind.OAUTH, detail="the context has no oauth-client-secret")
    try:
        client_id = normalise_client_id(str(raw_id))
    except ClientIdRefused as exc:
        return context(ContextKind.OAUTH, detail=str(exc))
    if server_text is None or not server_text.strip():
        return context(ContextKind.BAD_SERVER, detail="the context has no server")
    try:
        tenant = parse_tenant(server_text)
    except TenantError as exc:
        return context(ContextKind.BAD_SERVER, detail=str(exc))
    return context(
        ContextKind.OAUTH_CLIENT,
        tenant=tenant,
        client_id=client_id,
        client_secret=ClientSecret(raw_secret.strip()),
    )


def _header(headers: Any, wanted: str) -> str | None:
    if not isinstance(headers, dict):
        return None
    for name, value in headers.items():
        if isinstance(name, str) and name.strip().lower() == wanted and isinstance(value, str):
            return value
    return None
