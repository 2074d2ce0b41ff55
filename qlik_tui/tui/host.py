"""What the screens may ask of the app, and the wizard's route: the app implements ``AppHost``
and screens talk to it through that protocol, so neither module imports the other."""

from __future__ import annotations

from datetime import datetime
from enum import Enum, IntEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.sandbox import SandboxTenant
    from qlik_tui.services.context import Services
    from qlik_tui.store.profiles import Profile
    from qlik_tui.tui.state import WizardState


class StartWith(str, Enum):
    """The first screen: the setup, the dashboard, or (AUTO) the dashboard unless nothing is
    stored yet. The values are the command line's words (``qlik-tui setup``)."""

    AUTO = "auto"
    SETUP = "setup"
    DASHBOARD = "dashboard"


class Step(IntEnum):
    """The wizard's steps, in order (the number is the one its header shows)."""

    WELCOME = 1
    TENANT = 2
    PERMISSION = 3
    GENERATE = 4
    PASTE = 5
    LIVE_TEST = 6
    DONE = 7


# The screen each step is, by step: step N is the screen named STEP_SCREENS[N - 1].
STEP_SCREENS = ("welcome", "tenant", "permission", "generate", "paste", "live-test", "done")
TOTAL_STEPS = len(Step)


class ClientStep(IntEnum):
    """The wizard's OAuth path (the Welcome's OAuth choice), in order: an OAuth
    machine-to-machine client instead of a personal API key."""

    WELCOME = 1
    CREATE = 2  # what an M2M client is, how a tenant admin creates one
    ENTER = 3  # tenant, client ID, the secret (masked)
    PROVE = 4  # mint a token, read /users/me with it; then store the secret
    DONE = 5


CLIENT_STEP_SCREENS = ("welcome", "client-create", "client-enter", "client-prove", "client-done")
TOTAL_CLIENT_STEPS = len(ClientStep)
# Step 5 again, with the key in the field selected so that a paste replaces it.
PASTE_ANOTHER = "paste-another"
DASHBOARD = "dashboard"


@runtime_checkable
class TakesPastes(Protocol):
    """A screen that uses a paste made while no text field has focus (the Generate step: the
    key just copied). The app hands it over without Textual's dispatch, which logs the text."""

    def take_paste(self, text: str) -> None: ...


class AppHost(Protocol):
    services: Services
    sandbox: SandboxTenant | None
    # Whether profiles are stored, once a screen has read the file in a thread (None: not yet).
    profiles_found: bool | None

    @property
    def lasting_services(self) -> Services:
        """``services``, unless the demo keeps keys for this session only."""
        ...

    @property
    def is_demo(self) -> bool: ...

    @property
    def state(self) -> WizardState: ...

    def now(self) -> datetime: ...

    def go_to_step(self, step: Step) -> None: ...

    def go_to_client_step(self, step: ClientStep) -> None: ...

    def show_step(self, name: str) -> None: ...

    def open_dashboard(self) -> None: ...

    def start_setup(self) -> None: ...

    def start_replacing(self, profile: Profile) -> bool: ...

    def profiles_read(self, found: bool) -> None: ...

    def issue_practice_key(self) -> ApiKey: ...

    def use_session_store(self, session: bool) -> Services: ...
