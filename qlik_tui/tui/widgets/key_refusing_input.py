"""An input for anything but the key (tenant, profile name, file name): an API key pasted or
typed into it never reaches its value, so it is never shown and never logged.

Textual logs every message it dispatches (``TEXTUAL_LOG``, devtools) with its repr, and the
repr of a Paste, or of an Input's Changed, is the text. A key-like paste is taken here, before
that dispatch; characters typed in at terminal speed (a paste without bracketed paste) are
diverted to a hidden buffer once they start to look like a key, and handed over when they stop.
Either way the widget posts ``KeyCaught`` (no text in it) and the screen takes the text with
``take_caught_key()`` to offer it to the paste step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input

from qlik_tui.core.untrusted import JWT, JWT_HEADER, looks_like_key

# A typed-in key arrives as a burst of keystrokes: it ends when none comes for this long.
BURST_END_SECONDS = 0.2


class KeyRefusingInput(Input):
    TAKES_PASTES_UNLOGGED = True  # takes a Paste in on_event, before Textual logs it

    @dataclass(repr=False, eq=False)  # Textual's repr: no fields
    class KeyCaught(Message):
        """Text that looks like an API key was kept out of ``key_input``'s value."""

        key_input: KeyRefusingInput

        @property
        def control(self) -> KeyRefusingInput:
            return self.key_input

    def __init__(
        self,
        value: str | None = None,
        *,
        placeholder: str = "",
        id: str | None = None,
        classes: str | None = None,
        refuses: Callable[[str], bool] = looks_like_key,
    ) -> None:
        super().__init__(value, placeholder=placeholder, id=id, classes=classes)
        # What a paste must not bring in: an API key, and for a client ID a client secret too
        self._refuses = refuses
        self._caught = ""  # the text kept out, until the screen takes it
        self._burst: list[str] | None = None  # characters of a key being typed in
        self._burst_timer: Timer | None = None

    def take_caught_key(self) -> str:
        """The text kept out of the field (once: it is forgotten here)."""
        caught, self._caught = self._caught, ""
        return caught

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Paste) and self._refuses(event.text.strip()):
            event.prevent_default()
            event.stop()
            self._catch(event.text)
            return
        if isinstance(event, events.Key) and self._take_keystroke(event):
            event.prevent_default()
            event.stop()
            return
        await super().on_event(event)

    def _take_keystroke(self, event: events.Key) -> bool:
        """True when the keystroke belongs to a key being typed in (and is kept out)."""
        if self._burst is not None:
            if event.is_printable and event.character is not None:
                self._burst.append(event.character)
                self._restart_burst_timer()
                return True
            self._end_burst()  # Enter, a movement: the key has ended (the keystroke is not it)
            return event.key == "enter"  # the typed-in paste's line end submits nothing
        if not event.is_printable or event.character is None:
            return False
        start, end = sorted(self.selection)
        candidate = self.value[:start] + event.character + self.value[end:]
        match = JWT.search(candidate) or JWT_HEADER.search(candidate)
        if match is None:
            return False
        self._burst = [candidate[match.start() :]]
        self.value = candidate[: match.start()]
        self.cursor_position = len(self.value)
        self._restart_burst_timer()
        return True

    def _restart_burst_timer(self) -> None:
        if self._burst_timer is not None:
            self._burst_timer.stop()
        self._burst_timer = self.set_timer(BURST_END_SECONDS, self._end_burst)

    def _end_burst(self) -> None:
        if self._burst_timer is not None:
            self._burst_timer.stop()
            self._burst_timer = None
        if self._burst is None:
            return
        text, self._burst = "".join(self._burst), None
        self._catch(text)

    def _catch(self, text: str) -> None:
        self._caught = text
        self.post_message(self.KeyCaught(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r})"
