"""What the OAuth path's steps share: their numbering (``ClientStep``, "Step N of 5") and the
way Back and Next move along that path rather than the API key's."""

from __future__ import annotations

from typing import ClassVar

from qlik_tui.tui.host import TOTAL_CLIENT_STEPS, ClientStep
from qlik_tui.tui.screens.base import WizardStep


class ClientWizardStep(WizardStep):
    STEP: ClassVar[int]  # a ClientStep
    TOTAL: ClassVar[int] = TOTAL_CLIENT_STEPS

    def can_go_back(self) -> bool:
        return True  # step 2 goes back to the Welcome, where both paths start

    def go_back(self) -> None:
        self.qapp.go_to_client_step(ClientStep(self.STEP - 1))

    def go_next(self) -> None:
        self.qapp.go_to_client_step(ClientStep(self.STEP + 1))
