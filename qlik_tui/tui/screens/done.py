"""Step 7: where the key is now, and how to check it again later. What it shares with the OAuth
path's Done step (``client_done.py``) is ``DoneStep``."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Static

from qlik_tui.core.expiry import expiry_sentence
from qlik_tui.core.models import user_with_email
from qlik_tui.core.timestamps import parse_iso_datetime
from qlik_tui.store.key_stores import in_encrypted_file
from qlik_tui.tui.host import Step
from qlik_tui.tui.screens.base import WizardStep
from qlik_tui.tui.widgets.outcome_panel import Fields
from qlik_tui.tui.widgets.store_form import StoreChoice

if TYPE_CHECKING:
    from qlik_tui.store.profiles import Profile

# Demo profiles live apart (their own profiles file and keyring entry) and the sandbox tenant
# runs only while `qlik-tui demo` does: no other command can check a demo key, so the demo
# suggests what works instead.
DEMO_STORED = (
    "The practice key is {where}, apart from real profiles, and the sandbox tenant runs only as "
    "long as this demo: check it again with Check stored keys below. For a key of your real "
    "tenant, run:"
)
DEMO_WHERE = {
    StoreChoice.KEYRING: "in the demo's own keyring entry",
    StoreChoice.ENCRYPTED_FILE: "in the demo's own encrypted file",
    StoreChoice.SESSION: "kept in memory for this demo session only (gone when you quit)",
}
STORED = (
    "The key is in {where} only; profiles.json holds its metadata, never the key. Check it "
    "again any time with:"
)
WHERE = {
    StoreChoice.KEYRING: "the OS keyring",
    StoreChoice.ENCRYPTED_FILE: "qlik-tui's encrypted file",
}
DEMO_RESCUED = "It is a practice key that works only against this demo's sandbox. Delete the file:"
REAL_SETUP_COMMAND = "qlik-tui setup"


RENEW_BEFORE_EXPIRY = (
    "Before it expires, renew it: R on the dashboard creates its successor, proves and stores "
    "it, then deletes this key."
)
RENEW_BEFORE_EXPIRY_OR_COMMAND = (
    "Renew it before it expires (a successor is made, proven and stored; then this key is "
    "deleted): R on the dashboard, or in a shell or scheduled job:"
)


def check_command(name: str) -> str:
    """The command that re-checks profile ``name``, as it can be pasted into a shell."""
    return f"qlik-tui check {shlex.quote(name)}"


def rotate_command(name: str) -> str:
    """The command that renews profile ``name``'s key, as it can be pasted into a shell."""
    return f"qlik-tui rotate {shlex.quote(name)}"


def login_command(host: str, name: str, rescue: Path) -> str:
    """The command that stores the key written to ``rescue``, as it can be pasted."""
    named = f" --name {shlex.quote(name)}" if name else ""
    source = shlex.quote(str(rescue))
    return f"qlik-tui login --tenant {shlex.quote(host)}{named} --with-token < {source}"


class DoneStep(WizardStep):
    """What both Done steps share: what was stored and where (the subclass adds the commands),
    or the file it was written to instead (the subclass says how to store it later), or that
    nothing was; then the dashboard or Quit. Nothing is left to go back or on to."""

    AUTO_FOCUS = "#dashboard, #quit"  # the dashboard when something was stored
    NOUN: ClassVar[str]  # what was stored: "key", "client secret"

    @property
    def stored_profile(self) -> Profile | None:
        raise NotImplementedError

    @property
    def rescue_path(self) -> Path | None:
        raise NotImplementedError

    @property
    def session_only(self) -> bool:
        raise NotImplementedError

    def compose_stored(self, profile: Profile) -> ComposeResult:
        """Below the heading: the profile's fields, where it is, the commands that use it."""
        raise NotImplementedError

    def compose_rescued(self, rescue: Path) -> ComposeResult:
        """Below the file's fields: what to do with the file."""
        raise NotImplementedError

    def compose_body(self) -> ComposeResult:
        profile, rescue = self.stored_profile, self.rescue_path
        if profile is not None:
            yield Static(
                f"✓ The {self.NOUN} is stored and proven to work.", classes="done-heading -ok"
            )
            yield from self.compose_stored(profile)
        elif rescue is not None:
            yield Static(
                f"⚠ The {self.NOUN} was written to a file, not to a key store.",
                classes="done-heading -warning",
            )
            yield Fields([("File", str(rescue)), ("Mode", "0600 (only you can read it)")])
            yield from self.compose_rescued(rescue)
        else:
            yield Static("Nothing was stored.", classes="done-heading -warning")
        with Horizontal(classes="actions"):
            if profile is not None:
                yield Button("Check stored keys", id="dashboard", variant="primary")
            yield Button("Quit", id="quit")

    def store_choice(self, profile: Profile) -> StoreChoice:
        """Where ``profile``'s secret is (as the store form names it)."""
        if self.session_only:
            return StoreChoice.SESSION
        if in_encrypted_file(profile):
            return StoreChoice.ENCRYPTED_FILE
        return StoreChoice.KEYRING

    def on_mount(self) -> None:
        super().on_mount()
        self.show("#nav", False)  # the only choices left are the buttons: dashboard or quit

    def can_go_back(self) -> bool:
        return False  # stored or written: the steps before have nothing left to do

    def can_go_next(self) -> bool:
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("back", "next"):
            return False  # hidden from the footer: nothing to go back or on to
        return super().check_action(action, parameters)

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.app.exit(return_code=0)

    @on(Button.Pressed, "#dashboard")
    def _dashboard(self) -> None:
        self.qapp.open_dashboard()


class DoneScreen(DoneStep):
    STEP = Step.DONE
    STEP_TITLE = "Done"
    NOUN = "key"
    _shown_profile: Profile | None = None

    @property
    def stored_profile(self) -> Profile | None:
        return self.state.profile

    @property
    def rescue_path(self) -> Path | None:
        return self.state.rescue_path

    @property
    def session_only(self) -> bool:
        return self.state.session_only

    def compose_body(self) -> ComposeResult:
        self._shown_profile = self.state.profile
        yield from super().compose_body()

    def compose_stored(self, profile: Profile) -> ComposeResult:
        yield Fields(
            [
                ("Profile", profile.name),
                ("Tenant", profile.origin),
                ("User", user_with_email(profile.user_name, profile.user_email)),
                ("Key id", profile.key_id),
                ("Stored in", self.state.storage_description or profile.backend),
                ("Expiry", self._expiry_text(profile.expiry)),
            ]
        )
        store = self.store_choice(profile)
        if self.qapp.is_demo:
            yield Static(DEMO_STORED.format(where=DEMO_WHERE[store]), classes="paragraph")
            yield Static(Content(REAL_SETUP_COMMAND), classes="command")
        else:
            where = WHERE.get(store, WHERE[StoreChoice.KEYRING])
            yield Static(STORED.format(where=where), classes="paragraph")
            yield Static(Content(check_command(profile.name)), classes="command")
        if profile.expiry and self.qapp.is_demo:
            yield Static(RENEW_BEFORE_EXPIRY, classes="paragraph")
        elif profile.expiry:
            yield Static(RENEW_BEFORE_EXPIRY_OR_COMMAND, classes="paragraph")
            yield Static(Content(rotate_command(profile.name)), classes="command")

    def compose_rescued(self, rescue: Path) -> ComposeResult:
        if self.qapp.is_demo:
            yield Static(DEMO_RESCUED, classes="paragraph")
            yield Static(Content(f"rm {shlex.quote(str(rescue))}"), classes="command")
        else:
            yield Static(
                "Move it into a password manager and delete the file. To store it later, in "
                "the OS keyring once it works (or add --store encrypted-file):",
                classes="paragraph",
            )
            yield Static(Content(self._login_command(rescue)), classes="command")

    def _login_command(self, rescue: Path) -> str:
        tenant = self.state.tenant
        return login_command(
            tenant.display_host if tenant is not None else "TENANT", self.state.profile_name, rescue
        )

    def _expiry_text(self, expiry_iso: str | None) -> str:
        return expiry_sentence(parse_iso_datetime(expiry_iso), now=self.qapp.now())

    def on_screen_resume(self) -> None:
        if self.state.profile is not self._shown_profile:
            # Renewed on the dashboard above: the key shown here was deleted. Built again.
            self.qapp.show_step("done")
