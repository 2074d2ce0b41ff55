"""Step 3: does the user have the Manage API keys permission? If not, how an admin grants it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static, TextArea

from qlik_tui.tui.host import Step
from qlik_tui.tui.screens.base import WizardStep

LOOK = (
    "To generate a key you need the [b]Manage API keys[/b] permission. Check it now: in your "
    "tenant, click your [b]profile icon > Profile settings > API keys[/b]. Is there a "
    "[b]Generate new key[/b] button?"
)
USER_DEFAULT_STEPS = (
    "In the Administration activity center, go to [b]Manage users > Permissions[/b].",
    "Click [b]User Default[/b].",
    "Enable the [b]Manage API keys[/b] permission.",
    "[b]Save[/b] the changes.",
)
CUSTOM_ROLE_STEPS = (
    "In the Administration activity center, go to [b]Manage users[/b].",
    "On the [b]Permissions[/b] tab, click [b]Create new[/b].",
    "Enter a name and description for the role.",
    "Search for [b]Manage API keys[/b] and choose the access level.",
    "Click [b]Create[/b].",
    "Back in [b]Manage users[/b], click the user or group to give it to.",
    "Open the [b]Roles[/b] tab and click [b]Assign roles[/b].",
    "Search for the custom role, select it and click [b]Assign[/b].",
)
HISTORY_NOTE = (
    "Note (2026): the old [b]Developer[/b] role and the tenant-wide [b]Enable API keys[/b] "
    "toggle no longer exist; the Manage API keys permission replaces both. Older guides still "
    "mention them. Keys of users who were not moved to the new permission now fail with 401."
)


def admin_message(host: str) -> str:
    """A note the user can send to their tenant admin. No secret in it."""
    return (
        f"Hello,\n\n"
        f'could you grant me the "Manage API keys" permission on our Qlik Cloud tenant '
        f"{host}? I need an API key for scripting.\n\n"
        f"Either for everyone: Administration activity center > Manage users > Permissions > "
        f"User Default > enable Manage API keys > Save.\n"
        f"Or for chosen users or groups: Manage users > Permissions > Create new (a custom "
        f"role with Manage API keys), then on my user's (or group's) Roles tab > Assign roles.\n\n"
        f'(The old Developer role and the "Enable API keys" toggle no longer exist; this '
        f"permission replaces them.)\n\nThank you!"
    )


def admin_console_url(origin: str) -> str:
    return f"{origin}/console"


class PermissionScreen(WizardStep):
    STEP = Step.PERMISSION
    STEP_TITLE = "Permission check"
    AUTO_FOCUS = "#have-permission"

    def compose_body(self) -> ComposeResult:
        yield Static(Content.from_markup(LOOK), classes="paragraph")
        with Horizontal(classes="actions"):
            yield Button("I see Generate new key", id="have-permission", variant="success")
            yield Button("It's missing", id="missing-permission")
        with Vertical(id="admin-help"):
            yield Static(
                Content.from_markup(
                    "[b]Without the button you lack the permission.[/b] A tenant admin "
                    "grants it in one of two ways:"
                ),
                classes="paragraph",
            )
            yield Static(
                Content.from_markup("[b]A. For everyone[/b] — the User Default role:"),
                classes="subheading",
            )
            for number, step in enumerate(USER_DEFAULT_STEPS, start=1):
                yield Static(Content.from_markup(f"{number}. {step}"), classes="list-item")
            yield Static(
                Content.from_markup("[b]B. For chosen users or groups[/b] — a custom role:"),
                classes="subheading",
            )
            for number, step in enumerate(CUSTOM_ROLE_STEPS, start=1):
                yield Static(Content.from_markup(f"{number}. {step}"), classes="list-item")
            yield Static(Content.from_markup(HISTORY_NOTE), classes="paragraph note")
            yield Static(
                "A message for your admin (select it, or use Copy message; it holds no secret):",
                classes="subheading",
            )
            yield TextArea(
                admin_message(self._host()),
                read_only=True,
                soft_wrap=True,
                id="admin-message",
            )
            with Horizontal(classes="actions"):
                yield Button("Copy message", id="copy-message")
                if self._can_open_console():
                    yield Button("Open Administration", id="open-console")
            if self._can_open_console():
                yield Static(
                    Content(
                        "Open Administration opens your tenant's Administration activity "
                        f"center ({admin_console_url(self._origin())}) in your browser — "
                        "useful if you are the admin."
                    ),
                    classes="paragraph hint",
                )
            yield Static(
                "Once the permission is granted, sign out and in again, then continue.",
                classes="paragraph",
            )

    def _host(self) -> str:
        tenant = self.state.tenant
        return tenant.display_host if tenant is not None else "(your tenant)"

    def _origin(self) -> str:
        tenant = self.state.tenant
        return tenant.origin if tenant is not None else ""

    def _can_open_console(self) -> bool:
        tenant = self.state.tenant
        return tenant is not None and tenant.is_qlik_cloud

    def on_mount(self) -> None:
        super().on_mount()
        self.show("#admin-help", False)

    @on(Button.Pressed, "#have-permission")
    def _have_permission(self) -> None:
        self.go_next()

    @on(Button.Pressed, "#missing-permission")
    def _missing(self) -> None:
        help_box = self.query_one("#admin-help", Vertical)
        help_box.display = True
        self.call_after_refresh(help_box.scroll_visible, top=True)

    @on(Button.Pressed, "#copy-message")
    def _copy_message(self) -> None:
        self.app.copy_to_clipboard(self.query_one("#admin-message", TextArea).text)
        self.notify("The message for your admin is in the clipboard.")

    @on(Button.Pressed, "#open-console")
    def _open_console(self) -> None:
        self.open_in_browser(admin_console_url(self._origin()))
