"""One line on the Welcome and Generate steps: where the key will be kept, or that no keyring
is usable, why, the fix and the alternative. It probes the store in a thread when mounted.

``StoreLine(services=None, *, brief=False)``: without ``services`` it probes the app's
(``AppHost.services``), asked for in the probe's thread, so that building them never delays the
first frame. ``brief``: one sentence whatever the answer (the Welcome, which must fit 80x24; the
Generate step shows the why and the fix).

``probe_store(services) -> KeyStoreProbe`` is the one call that probes (in a thread; never raises
a ``StoreError``): the store panel and the import screen call it too, and tests replace it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

from textual import work
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

if TYPE_CHECKING:
    from qlik_tui.services.context import Services
    from qlik_tui.tui.host import AppHost

PROBING = "Key store: looking for the OS keyring…"


class KeyStoreProbe(Protocol):
    """What the line renders: ``services.store_probe.StoreProbe`` has these fields. ``why`` and
    ``fix`` are set when not usable, ``alternative`` (another safe place for the key) when the
    keyring is not usable, ``reason``: why not, in a few words."""

    @property
    def usable(self) -> bool: ...

    @property
    def headline(self) -> str: ...  # "SecretService Keyring, unlocked"

    @property
    def why(self) -> str | None: ...

    @property
    def fix(self) -> str | None: ...

    @property
    def alternative(self) -> str | None: ...

    @property
    def reason(self) -> str | None: ...


def probe_store(services: Services) -> KeyStoreProbe:
    """Where a key would go, within the keyring deadline. Blocking: call it in a thread."""
    # Deferred: the probe loads the stores (json, hashlib, profiles: about 30 modules) that the
    # Welcome's first frame does without.
    from qlik_tui.services.store_probe import probe_key_store

    return probe_key_store(services.stores)


@dataclass(repr=False, eq=False)  # Textual's repr (no fields) and identity
class StoreProbed(Message):
    probe: KeyStoreProbe


def brief_line(probe: KeyStoreProbe, *, demo: bool = False) -> str:
    """Where the key will go, in one sentence: the keyring, or what the store form preselects
    then: qlik-tui's encrypted file, or in the demo this session's memory."""
    if probe.usable:
        return f"✓ Key store: {probe.headline}. The key will be kept there."
    reason = f" ({probe.reason})" if probe.reason else ""
    if demo:
        return (
            f"⚠ No usable OS keyring here{reason}: the practice key will be kept in memory, "
            "for this session only."
        )
    return (
        f"⚠ No usable OS keyring here{reason}: the key will be kept in qlik-tui's own "
        "encrypted file, under a passphrase you choose."
    )


def probe_lines(probe: KeyStoreProbe) -> list[str]:
    """The words for ``probe``: one line when the keyring is usable, the why, the fix and the
    alternative when it is not."""
    if probe.usable:
        return [f"✓ Key store: {probe.headline}. The key will be kept there."]
    lines = [f"⚠ Key store: {probe.headline}. The key cannot be kept in the OS keyring."]
    if probe.why:
        lines.append(f"Why: {probe.why}")
    if probe.fix:
        lines.append(f"Fix: {probe.fix}")
    if probe.alternative:
        lines.append(f"Or: {probe.alternative}")
    return lines


class StoreLine(Static):
    def __init__(self, services: Services | None = None, *, brief: bool = False) -> None:
        super().__init__(PROBING, id="store-line", classes="paragraph")
        self.services = services
        self.brief = brief
        self.probe: KeyStoreProbe | None = None

    def on_mount(self) -> None:
        # After the first frame: the probe's thread would compete with painting it.
        self.call_after_refresh(self.run_probe)

    @work(
        thread=True,
        group="store-probe",
        exclusive=True,
        exit_on_error=False,  # a failure leaves the line saying it is still looking
        description="Looking for the OS keyring",
    )
    def run_probe(self) -> None:
        services = self.services
        if services is None:
            services = cast("AppHost", self.app).services
        self.post_message(StoreProbed(probe_store(services)))

    def on_store_probed(self, message: StoreProbed) -> None:
        message.stop()
        self.show_probe(message.probe)

    def show_probe(self, probe: KeyStoreProbe) -> None:
        self.probe = probe
        self.set_class(probe.usable, "-ok")
        self.set_class(not probe.usable, "-warning")
        demo = cast("AppHost", self.app).is_demo if self.brief else False
        words = brief_line(probe, demo=demo) if self.brief else "\n".join(probe_lines(probe))
        self.update(Content(words))
