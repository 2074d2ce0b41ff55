"""``scan --fix``: the questions, one per action, and what each answer did. The operations
themselves are the services' (``services.scan_fix``); this module only asks and tells.

For each distinct API key found:
- stored by a profile already: the plain-text copies may go (it is never revoked here);
- of a tenant with a profile: revoke it? If not: store it in qlik-tui? After either, the
  plain-text copies may go;
- of a tenant without a profile: nothing can be asked of it; say where to revoke it.
Copies qlik-tui does not rewrite (git history, shell history, other files) are named, with what
to do instead. ``--yes`` answers yes to every question (so a key is revoked, never imported).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TextIO

from qlik_tui.core.qlik_cli_location import existing_contexts_file
from qlik_tui.core.scan import Finding, FindingKind
from qlik_tui.services.context import Services
from qlik_tui.services.scan_files import Located, PlaceKind, ScanReport
from qlik_tui.services.scan_fix import (
    import_leaked,
    remove_plain_copies,
    revoke_leaked,
    rewritable,
)
from qlik_tui.services.scan_verify import load_stored_key, profile_for_tenant
from qlik_tui.services.storing import free_profile_name
from qlik_tui.store.profiles import ProfilesFileError, quoted_name

_HISTORY_ADVICE = (
    "qlik-tui never rewrites git history; once the key is revoked the copy is harmless "
    "(git filter-repo can remove it, after every clone is accounted for)"
)


class Fixer:
    def __init__(
        self,
        services: Services,
        stored: dict[str, list[str]],
        stdin: TextIO,
        out: TextIO,
        *,
        assume_yes: bool,
    ) -> None:
        self._services = services
        self._stored = stored
        self._stdin = stdin
        self._out = out
        self._assume_yes = assume_yes
        self._load_stored = partial(load_stored_key, services)
        self._contexts: Path | None = existing_contexts_file()
        try:
            self._profiles = services.profiles.all()
        except ProfilesFileError:
            self._profiles = []

    def fix(self, report: ScanReport) -> None:
        by_key: dict[str, list[Located]] = {}
        for located in report.findings:
            finding = located.finding
            if finding.kind is FindingKind.API_KEY and finding.key_id:
                by_key.setdefault(finding.key_id, []).append(located)
        for places in by_key.values():
            self._fix_key(places)
        if any(located.finding.kind is not FindingKind.API_KEY for located in report.findings):
            self._say(
                "OAuth client secrets and access tokens are not put away by qlik-tui: delete "
                "the lines, and create a new client secret (Administration > OAuth > the "
                "client > Client secrets), then delete the leaked one."
            )

    def _fix_key(self, places: list[Located]) -> None:
        finding = places[0].finding
        key_id = str(finding.key_id)
        names = self._stored.get(key_id, [])
        if names:
            self._say(f"Key {key_id} is stored as profile {quoted_name(names[0])}.")
            self._offer_removal(places, finding)
            return
        profile = profile_for_tenant(finding.tenant_id, self._profiles)
        if profile is None:
            self._say(
                f"Key {key_id} is of tenant {finding.tenant_id}, which no profile is for: "
                "qlik-tui cannot reach it. Revoke it in that tenant's hub (Profile settings > "
                "API keys), then delete the copies."
            )
            self._advise(places)
            return
        where = f"the tenant of profile {quoted_name(profile.name)} ({profile.origin})"
        if self._ask(f"Revoke key {key_id} on {where}?"):
            revoked = revoke_leaked(
                finding, profile, self._services.client_settings, self._load_stored
            )
            if revoked.revoked:
                by = ""
                if revoked.by_profile:
                    by = f" with the stored key of profile {quoted_name(revoked.by_profile)}"
                self._say(f"Revoked key {key_id}{by}.")
                self._offer_removal(places, finding)
            else:
                why = revoked.outcome.title if revoked.outcome else revoked.problem
                self._say(f"Key {key_id} was not revoked: {why}. It is still active.")
                self._advise(places)
            return
        name = free_profile_name(self._services, f"{profile.name}-{key_id[:8]}")
        if self._ask(f"Store key {key_id} in qlik-tui as profile {quoted_name(name)}?"):
            imported = import_leaked(self._services, finding, profile, name)
            if imported.profile is not None:
                self._say(f"Stored key {key_id} as profile {quoted_name(imported.profile)}.")
                self._offer_removal(places, finding)
                return
            why = imported.outcome.title if imported.outcome else imported.problem
            self._say(f"Key {key_id} was not stored: {why}.")
        self._advise(places)

    def _offer_removal(self, places: list[Located], finding: Finding) -> None:
        removable = [(p.place, p.finding.line) for p in places if self._rewritable(p)]
        if removable:
            labels = ", ".join(sorted({f"{place.label}:{line}" for place, line in removable}))
            if self._ask(
                f"Remove the plain-text line{'s' if len(removable) > 1 else ''} {labels}?"
            ):
                secret = finding.secret.reveal()
                for removal in remove_plain_copies(removable, secret, self._contexts):
                    if removal.problem:
                        self._say(f"{removal.label} was left as it was: {removal.problem}.")
                    else:
                        self._say(f"Removed {removal.removed_lines} line(s) from {removal.label}.")
        self._advise([p for p in places if not self._rewritable(p)])

    def _rewritable(self, located: Located) -> bool:
        return rewritable(located.place, self._contexts)

    def _advise(self, places: list[Located]) -> None:
        for located in places:
            kind = located.place.kind
            if kind in (PlaceKind.GIT, PlaceKind.STAGED):
                advice = (
                    _HISTORY_ADVICE
                    if kind is PlaceKind.GIT
                    else "unstage it (git restore --staged) and remove the line"
                )
            elif not self._rewritable(located):
                advice = "qlik-tui rewrites only .env files and qlik-cli's contexts file: edit it"
            else:
                continue
            self._say(f"{located.where}: {advice}.")

    def _ask(self, question: str) -> bool:
        if self._assume_yes:
            self._say(f"{question} yes (--yes)")
            return True
        self._out.write(f"{question} [y/N] ")
        self._out.flush()
        answer = self._stdin.readline()
        return answer.strip().lower() in ("y", "yes")

    def _say(self, text: str) -> None:
        print(text, file=self._out)
