"""The masked key input: hidden by default, revealed only on request, never copied or cut."""

from __future__ import annotations

import pytest

from qlik_tui.core.tenant import parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.tui.widgets.secret_input import SecretInput
from tests.tui.helpers import PinnedApp, click, fixed_key, paste, text_of

BEFORE = "clipboard before"


def shown_in(secret: SecretInput) -> str:
    """The characters the input draws (its visible window onto the value)."""
    lines = ("".join(s.text for s in secret.render_line(y)) for y in range(secret.size.height))
    return "".join(lines).strip()


async def open_paste_step(app: PinnedApp, pilot: object) -> SecretInput:
    app.state.set_tenant(parse_tenant("acme.eu.qlikcloud.com"), "", confirmed=False)
    app.go_to_step(5)
    await pilot.pause()  # type: ignore[attr-defined]
    return app.screen.query_one("#key-input", SecretInput)


@pytest.mark.parametrize("revealed", [False, True], ids=["masked", "revealed"])
async def test_copy_and_cut_never_reach_the_clipboard(
    offline_services: Services, revealed: bool
) -> None:
    key = fixed_key()
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        secret = await open_paste_step(app, pilot)
        await paste(pilot, key.reveal())
        if revealed:
            await pilot.press("ctrl+r")
        assert secret.revealed is revealed
        app.copy_to_clipboard(BEFORE)
        secret.select_all()
        await pilot.press("ctrl+c", "super+c", "ctrl+x")
        assert app.clipboard == BEFORE
        assert secret.value == key.reveal()  # cut did not remove it either
        assert app.state.key == key
        # A mouse drag over the whole screen, then the screen's copy: the input is left out.
        await pilot.mouse_down(offset=(0, 0))
        await pilot.hover(offset=(79, 22))
        await pilot.mouse_up(offset=(79, 22))
        selected = app.screen.get_selected_text() or ""
        assert "Paste the key" in selected  # the drag did select the text around it
        await pilot.press("ctrl+c")
        assert key.reveal()[-40:] not in app.clipboard


async def test_masked_by_default_and_ctrl_r_or_the_button_reveals(
    offline_services: Services,
) -> None:
    key = fixed_key()
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        secret = await open_paste_step(app, pilot)
        await paste(pilot, key.reveal())
        assert secret.password
        masked = shown_in(secret)
        assert len(masked) > 30 and set(masked) == {"•"}
        await pilot.press("ctrl+r")
        assert secret.revealed
        revealed = shown_in(secret)
        assert len(revealed) > 30 and revealed in key.reveal()
        await click(pilot, "#reveal")
        assert secret.password
        assert set(shown_in(secret)) == {"•"}
        assert str(app.screen.query_one("#reveal").label) == "Show key"  # type: ignore[attr-defined]


async def test_mangled_pastes_are_named_and_block_next(offline_services: Services) -> None:
    key = fixed_key()
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_paste_step(app, pilot)
        await paste(pilot, key.reveal()[:-30])  # cut off
        assert "cut off" in text_of(pilot, ".inspection-heading")
        assert app.state.key is None
        assert app.screen.query_one("#next").disabled


async def test_inspection_shows_the_claims_and_warnings(offline_services: Services) -> None:
    from qlik_tui.core.apikey import make_fake_key

    odd = make_fake_key(key_id="k-1", tenant_id="t-1", sub="u-1", aud="someone-else")
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_paste_step(app, pilot)
        await paste(pilot, odd)
        assert "with warnings" in text_of(pilot, ".inspection-heading")
        warnings = [str(w.content) for w in app.screen.query(".warning-line").results()]  # type: ignore[attr-defined]
        assert any("someone-else" in w for w in warnings)
        fields = app.screen.query_one("#key-inspection").query(".field-value")
        values = [str(v.content) for v in fields.results()]  # type: ignore[attr-defined]
        assert values[:3] == ["k-1", "t-1", "u-1"]
        assert app.state.key is not None  # warnings do not block
