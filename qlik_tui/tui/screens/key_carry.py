"""A key caught in a field that is not the key field: offered to the paste step, never shown.

``offer_caught_key(screen, text, go_to_paste=...)`` holds the text in the wizard state (so that
quitting asks) and asks the user: carry it over to the paste step, or discard it.
"""

from __future__ import annotations

from qlik_tui.core.apikey import ApiKey, KeyFormatError, parse_key
from qlik_tui.tui.host import Step
from qlik_tui.tui.screens.base import WizardStep
from qlik_tui.tui.screens.modals import ConfirmModal

CAUGHT_QUESTION = (
    "That looks like an API key, so it was kept out of this field and is not shown. "
    "Carry it over to the paste step?"
)
REPLACES_UNSTORED = " It would replace the key pasted there before, which is not stored."


def offer_caught_key(screen: WizardStep, text: str, *, go_to_paste: bool) -> None:
    state = screen.state
    text = "".join(text.splitlines())
    key = parse_or_none(text)
    if key is not None and key == state.key:
        screen.notify(
            "That is the key already pasted on the paste step: it was kept out of this field.",
            markup=False,
        )
        return
    replaces = state.key_at_risk and bool(state.key_text or state.key)
    state.offered_key_text = text

    def decided(discard: bool | None) -> None:
        offered, state.offered_key_text = state.offered_key_text, ""
        if discard:
            screen.notify("The key-like text was discarded.", markup=False)
            return
        state.set_key_text(offered, parse_or_none(offered))
        if go_to_paste:
            screen.qapp.go_to_step(Step.PASTE)
        else:
            screen.notify("The key waits on the paste step.", title="Carried over", markup=False)

    # The safe answer (focused, and Esc) keeps the key: discarding it is the deliberate one.
    screen.app.push_screen(
        ConfirmModal(
            CAUGHT_QUESTION + (REPLACES_UNSTORED if replaces else ""),
            confirm_label="Discard it",
            cancel_label="Carry it over",
            danger=True,
        ),
        decided,
    )


def parse_or_none(text: str) -> ApiKey | None:
    try:
        return parse_key(text)
    except KeyFormatError:
        return None
