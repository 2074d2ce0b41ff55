"""Step 1: what is about to happen."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from qlik_tui.tui.host import ClientStep, Step
from qlik_tui.tui.screens.base import WizardStep
from qlik_tui.tui.screens.qlik_cli_offer import (
    QlikCliKeysFound,
    look_for_qlik_cli_keys,
    offer_label,
)
from qlik_tui.tui.widgets.store_line import StoreLine

INTRO = (
    'From [b]"I need an API key"[/b] to [b]a key stored safely and proven to work[/b], '
    "following Qlik's tutorial [i]Generate your first API key[/i] in three parts:"
)
PARTS = (
    "1. [b]Permission[/b]: may you generate keys? If not, what your admin can do.",
    "2. [b]Generate[/b]: create a key in your profile settings (shown only once).",
    "3. [b]Test[/b]: paste it here; it is checked locally, then with a live "
    "GET /api/v1/users/me against your tenant.",
)
STORAGE = (
    "Then the key is stored in your OS keyring (Secret Service, macOS Keychain, Windows "
    "Credential Manager), or where none is usable in qlik-tui's encrypted file, "
    "[b]never in plain text[/b]. It stays masked and is never copied."
)


OAUTH_TOOLTIP = "For automation: an OAuth machine-to-machine client instead of a personal key"


class WelcomeScreen(WizardStep):
    @dataclass(repr=False, eq=False)
    class ProfilesFound(Message):
        """Whether any profile is stored (read in a thread: the file's lock can make a read
        wait)."""

        found: bool

    STEP = Step.WELCOME
    STEP_TITLE = "Welcome"
    AUTO_FOCUS = "#start"

    def compose_body(self) -> ComposeResult:
        yield Static(Content.from_markup(INTRO), classes="paragraph")
        # One widget for the list: every widget costs styling time before the first frame.
        yield Static(Content.from_markup("\n".join(PARTS)), classes="list-item")
        yield Static(Content.from_markup(STORAGE), classes="paragraph")
        if self.qapp.is_demo:
            yield Static(
                "Demo mode: the tenant is a sandbox on this computer. Nothing you do here "
                "touches a real Qlik Cloud tenant.",
                classes="paragraph note",
            )
        with Horizontal(classes="actions"):
            yield Button("Start setup", id="start", variant="primary")
            yield Button("OAuth", id="oauth-client", tooltip=OAUTH_TOOLTIP)
            yield Button(
                "Check stored keys",
                id="dashboard",
                disabled=not self.qapp.profiles_found,
                tooltip="Opens the dashboard of stored keys",
            )
        # Under the buttons: they stay in view at 80x24. It asks the app for the services when
        # it probes, after the first frame: building them loads the stores' modules.
        yield StoreLine(brief=True)

    def on_mount(self) -> None:
        super().on_mount()
        if self.qapp.profiles_found is None:
            # After the first frame: the worker's thread would compete with painting it.
            self.call_after_refresh(self.look_for_profiles)
        look_for_qlik_cli_keys(self)

    @work(
        thread=True,
        group="welcome-profiles",
        exit_on_error=False,  # a failure only leaves "Check stored keys" disabled
        description="Looking for stored profiles",
    )
    def look_for_profiles(self) -> None:
        from qlik_tui.store.profiles import ProfilesFileError  # in the thread: not at start

        try:
            found = bool(self.qapp.services.profiles.all())
        except (ProfilesFileError, OSError):
            found = True  # something is there but broken: the dashboard explains it
        self.post_message(self.ProfilesFound(found))

    def on_welcome_screen_profiles_found(self, message: WelcomeScreen.ProfilesFound) -> None:
        self.qapp.profiles_read(message.found)
        self.query_one("#dashboard", Button).disabled = not message.found

    def on_qlik_cli_keys_found(self, message: QlikCliKeysFound) -> None:
        self._qlik_cli_file = message.path
        offer = Button(offer_label(message.count), id="import-qlik-cli")
        self.query_one(".actions", Horizontal).mount(offer)

    @on(Button.Pressed, "#import-qlik-cli")
    def _import_qlik_cli(self) -> None:
        from qlik_tui.tui.screens.import_qlik_cli import ImportQlikCliScreen

        self.app.push_screen(ImportQlikCliScreen(self._qlik_cli_file))

    @on(Button.Pressed, "#oauth-client")
    def _oauth_client(self) -> None:
        self.qapp.go_to_client_step(ClientStep.CREATE)

    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        self.go_next()

    @on(Button.Pressed, "#dashboard")
    def _dashboard(self) -> None:
        self.qapp.open_dashboard()
