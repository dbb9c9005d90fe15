"""Small modals of the key list: confirm, edit comment, change passphrase, agent lifetime.

Each is a ``ModalScreen[T]`` that dismisses with its answer (None when cancelled with
``escape``); the screen that pushed it does the work. None of them holds a secret longer than
it is shown: passphrases go straight back to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from tui.core.agent import parse_lifetime
from tui.core.errors import InvalidArgument

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 80; height: auto; max-height: 90%; padding: 1 2;
    border: thick $accent; background: $surface;
}}
{name} .title {{ text-style: bold; margin-bottom: 1; }}
{name} .detail {{ color: $text-muted; margin-bottom: 1; }}
{name} .command {{ background: $boost; padding: 0 1; margin-bottom: 1; text-style: bold; }}
{name} .error {{ color: $error; height: auto; }}
{name} .warning {{ color: $warning; height: auto; }}
{name} Horizontal {{ height: auto; margin-top: 1; align-horizontal: right; }}
{name} Button {{ margin-left: 1; }}
"""


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no about one action; ``command`` (e.g. ``chmod 600 ~/.ssh/id_rsa``) is shown as is."""

    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("y", "confirm", "Yes", show=False)]

    def __init__(
        self,
        title: str,
        detail: str = "",
        command: str = "",
        confirm_label: str = "Yes",
        *,
        enter_confirms: bool = False,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.detail = detail
        self.command = command
        self.confirm_label = confirm_label
        # True for actions that can be undone or only tighten things (trash, chmod 600): enter
        # then answers yes, as a person expects after reading the change; False (Cancel has
        # the focus) for the ones that cannot be taken back, such as trusting a host key.
        self.enter_confirms = enter_confirms

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            if self.detail:
                yield Static(self.detail, classes="detail", markup=False)
            if self.command:
                yield Static(self.command, classes="command", markup=False)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, variant="error", id="confirm")

    def on_mount(self) -> None:
        self.query_one("#confirm" if self.enter_confirms else "#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class EditCommentScreen(ModalScreen[str | None]):
    """The new comment (one line), or None."""

    DEFAULT_CSS = MODAL_CSS.format(name="EditCommentScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, name: str, current: str) -> None:
        super().__init__()
        self.key_name = name
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Comment of {self.key_name}", classes="title")
            yield Static(
                "Written into the private key and its .pub; servers show it in authorized_keys.",
                classes="detail",
            )
            yield Input(self.current, placeholder="user@host", id="comment")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save", variant="primary", id="ok")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        self.dismiss(self.query_one("#comment", Input).value.strip())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class PassphraseChange:
    # kept out of repr (logs, debug dumps)
    current: str | None = field(repr=False)  # None when the key had none, or the keyring gave it
    new: str = field(repr=False)
    remember: bool


class ChangePassphraseScreen(ModalScreen[PassphraseChange | None]):
    """Current (when needed), new and confirmation; refuses a mismatch, warns on an empty one."""

    DEFAULT_CSS = MODAL_CSS.format(name="ChangePassphraseScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, name: str, ask_current: bool, keyring_reason: str | None, error: str = ""
    ) -> None:
        super().__init__()
        self.key_name = name
        self.ask_current = ask_current
        self.keyring_reason = keyring_reason  # None when a secure keyring is available
        self.error = error
        self.empty_confirmed = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Change the passphrase of {self.key_name}", classes="title")
            if self.ask_current:
                yield Input(password=True, placeholder="current passphrase", id="current")
            yield Input(password=True, placeholder="new passphrase", id="new")
            yield Input(password=True, placeholder="new passphrase again", id="confirm")
            yield Static(self.error, id="message", classes="error")
            remember = Checkbox(
                "Remember in the system keyring",
                False,
                id="remember",
                disabled=self.keyring_reason is not None,
            )
            yield remember
            if self.keyring_reason:
                yield Static(self.keyring_reason, classes="detail")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Change", variant="primary", id="ok")

    def _values(self) -> tuple[str | None, str, str]:
        current = self.query_one("#current", Input).value if self.ask_current else None
        return current, self.query_one("#new", Input).value, self.query_one("#confirm", Input).value

    @on(Input.Changed)
    def _live_check(self) -> None:
        _, new, confirm = self._values()
        self.empty_confirmed = False
        message = self.query_one("#message", Static)
        if confirm and new != confirm:
            message.set_classes("error")
            message.update("The two new passphrases do not match.")
        elif not new and not confirm:
            message.set_classes("warning")
            message.update(
                "An empty passphrase removes the protection: anyone with the file can use the key."
            )
        else:
            message.update("")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self, event: Input.Submitted | Button.Pressed) -> None:
        current, new, confirm = self._values()
        if isinstance(event, Input.Submitted) and event.input.id != "confirm":
            self.focus_next()
            return
        if new != confirm:
            message = self.query_one("#message", Static)
            message.set_classes("error")
            message.update("The two new passphrases do not match.")
            self.query_one("#confirm", Input).focus()
            return
        if not new and not self.empty_confirmed:
            # no passphrase only on purpose: a second enter, after reading the warning
            self.empty_confirmed = True
            message = self.query_one("#message", Static)
            message.set_classes("warning")
            message.update(
                "Both fields are empty: the key would be stored WITHOUT a passphrase. "
                "Press enter again to do that, or type a passphrase."
            )
            return
        remember = self.query_one("#remember", Checkbox).value
        self.dismiss(PassphraseChange(current, new, remember and bool(new)))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class AgentAdd:
    lifetime: int | None  # seconds, None for as long as the agent runs
    remember: bool = False  # store the passphrase typed next in the keyring


class AgentAddScreen(ModalScreen[AgentAdd | None]):
    """Ask the optional lifetime before adding a key to the agent (``ssh-add -t``)."""

    DEFAULT_CSS = MODAL_CSS.format(name="AgentAddScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, name: str, ask_remember: bool = False, keyring_reason: str | None = None
    ) -> None:
        super().__init__()
        self.key_name = name
        self.ask_remember = ask_remember  # an encrypted key whose passphrase is not stored yet
        self.keyring_reason = keyring_reason  # None when a secure keyring is available

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Add {self.key_name} to the ssh-agent", classes="title")
            yield Static(
                "Lifetime: empty keeps the key until the agent stops; or give 600, 10m, 1h30m.",
                classes="detail",
            )
            yield Input(placeholder="lifetime (optional)", id="lifetime")
            yield Static("", id="message", classes="error")
            if self.ask_remember:
                yield Checkbox(
                    "Remember the passphrase in the system keyring",
                    False,
                    id="remember",
                    disabled=self.keyring_reason is not None,
                )
                if self.keyring_reason:
                    yield Static(self.keyring_reason, classes="detail")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Add", variant="primary", id="ok")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        text = self.query_one("#lifetime", Input).value.strip()
        boxes = self.query("#remember")
        remember = bool(boxes) and self.query_one("#remember", Checkbox).value
        try:
            self.dismiss(AgentAdd(parse_lifetime(text) if text else None, remember))
        except InvalidArgument as exc:
            self.query_one("#message", Static).update(str(exc))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
