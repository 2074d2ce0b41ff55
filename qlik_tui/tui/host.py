"""What the screens may ask of the app, and the wizard's route: the app implements ``AppHost``
and screens talk to it through that protocol, so neither module imports the other."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.sandbox import SandboxTenant
    from qlik_tui.services.context import Services
    from qlik_tui.store.profiles import Profile
    from qlik_tui.tui.state import WizardState

# The wizard's steps, in order: step N is the screen named STEP_SCREENS[N - 1].
STEP_SCREENS = ("welcome", "tenant", "permission", "generate", "paste", "live-test", "done")
TOTAL_STEPS = len(STEP_SCREENS)
# Step 5 again, with the key in the field selected so that a paste replaces it.
PASTE_ANOTHER = "paste-another"
DASHBOARD = "dashboard"


class AppHost(Protocol):
    services: Services
    sandbox: SandboxTenant | None
    state: WizardState
    # Whether profiles are stored, once a screen has read the file in a thread (None: not yet).
    profiles_found: bool | None

    @property
    def lasting_services(self) -> Services:
        """``services``, unless the demo keeps keys for this session only."""
        ...

    @property
    def is_demo(self) -> bool: ...

    def now(self) -> datetime: ...

    def go_to_step(self, step: int) -> None: ...

    def show_step(self, name: str) -> None: ...

    def open_dashboard(self) -> None: ...

    def start_setup(self) -> None: ...

    def start_replacing(self, profile: Profile) -> bool: ...

    def profiles_read(self, found: bool) -> None: ...

    def issue_practice_key(self) -> ApiKey: ...

    def use_session_store(self, session: bool) -> Services: ...
