"""Step 2: the tenant address, validated on every key press. An API key pasted here is kept
out of the field (never shown, never logged) and offered to the paste step."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Checkbox, Input, Static

from qlik_tui.core.tenant import EXAMPLE_HOST, Tenant, TenantError, parse_tenant
from qlik_tui.tui.host import Step
from qlik_tui.tui.screens.base import WizardStep
from qlik_tui.tui.screens.key_carry import offer_caught_key
from qlik_tui.tui.widgets.key_refusing_input import KeyRefusingInput


def describe_tenant(tenant: Tenant) -> str:
    """The recognised kind of host, e.g. "Europe (Ireland) · Qlik Cloud"."""
    if tenant.is_loopback:
        return "This computer (loopback) · for the demo sandbox and tests"
    if tenant.is_government:
        return f"{tenant.region_name or 'US Government'} · Qlik Cloud Government"
    if tenant.is_qlik_cloud:
        if tenant.region_name:
            return f"{tenant.region_name} · Qlik Cloud"
        return f"region {tenant.region!r}, not one qlik-tui knows · Qlik Cloud"
    return "not a Qlik Cloud hostname"


def needs_confirmation(tenant: Tenant) -> bool:
    return not (tenant.is_qlik_cloud or tenant.is_loopback)


class TenantScreen(WizardStep):
    STEP = Step.TENANT
    STEP_TITLE = "Tenant"
    AUTO_FOCUS = "#tenant-input"

    def __init__(self) -> None:
        super().__init__()
        self.tenant: Tenant | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(
            "Which Qlik Cloud tenant is the key for? Type or paste its address — the part of "
            "the browser's address bar when you are signed in, e.g. "
            f"[b]{EXAMPLE_HOST}[/b]. A full URL works too; only the host is kept.",
            classes="paragraph",
        )
        yield KeyRefusingInput(
            value=self.state.tenant_text or self._demo_address(),
            placeholder=EXAMPLE_HOST,
            id="tenant-input",
        )
        yield Static(id="tenant-status")
        yield Static(id="tenant-origin")
        yield Checkbox(id="tenant-confirm", value=False)

    def _demo_address(self) -> str:
        sandbox = self.qapp.sandbox
        return sandbox.origin if sandbox is not None else ""

    def on_mount(self) -> None:
        self._validate(self.query_one("#tenant-input", Input).value)
        checkbox = self.query_one("#tenant-confirm", Checkbox)
        if self.tenant is not None and self.tenant == self.state.tenant:
            checkbox.value = self.state.tenant_confirmed
        super().on_mount()

    @on(Input.Changed, "#tenant-input")
    def _changed(self, event: Input.Changed) -> None:
        self.state.tenant_text = event.value
        self._validate(event.value)

    @on(KeyRefusingInput.KeyCaught, "#tenant-input")
    def _key_caught(self, event: KeyRefusingInput.KeyCaught) -> None:
        offer_caught_key(self, event.key_input.take_caught_key(), go_to_paste=False)

    @on(Input.Submitted, "#tenant-input")
    def _submitted(self) -> None:
        if self.can_go_next():
            self.go_next()
        elif self.tenant is not None and needs_confirmation(self.tenant):
            self.query_one("#tenant-confirm", Checkbox).focus()

    @on(Checkbox.Changed, "#tenant-confirm")
    def _confirm_changed(self) -> None:
        self.refresh_nav()

    def _validate(self, text: str) -> None:
        status = self.query_one("#tenant-status", Static)
        origin = self.query_one("#tenant-origin", Static)
        checkbox = self.query_one("#tenant-confirm", Checkbox)
        previous = self.tenant
        self.tenant = None
        status.set_classes("")
        if not text.strip():
            status.update("Type the address to continue.")
            origin.update("")
        else:
            try:
                self.tenant = parse_tenant(text)
            except TenantError as exc:
                status.update(Content(f"✗ {exc}"))
                status.add_class("-error")
                origin.update("")
        tenant = self.tenant
        if tenant is not None:
            mark = "⚠" if needs_confirmation(tenant) else "✓"
            status.update(Content(f"{mark} {tenant.display_host} · {describe_tenant(tenant)}"))
            status.add_class("-warning" if needs_confirmation(tenant) else "-ok")
            origin.update(Content(f"qlik-tui will talk to {tenant.origin} only."))
        confirm = tenant is not None and needs_confirmation(tenant)
        checkbox.display = confirm
        if tenant is not None and confirm:
            checkbox.label = Content(
                f"{tenant.display_host} is not a Qlik Cloud hostname. Use it anyway?"
            )
            if tenant != previous:
                checkbox.value = False  # a confirmation is for one host only
        self.refresh_nav()

    def can_go_next(self) -> bool:
        if self.tenant is None:
            return False
        if needs_confirmation(self.tenant):
            return self.query_one("#tenant-confirm", Checkbox).value
        return True

    def go_next(self) -> None:
        assert self.tenant is not None
        text = self.query_one("#tenant-input", Input).value
        self.state.set_tenant(self.tenant, text, confirmed=needs_confirmation(self.tenant))
        super().go_next()
