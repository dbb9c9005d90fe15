"""Small modals of the key list: confirm, edit comment, change passphrase, agent lifetime.

Each is a ``ModalScreen[T]`` that dismisses with its answer (None when cancelled with
``escape``); the screen that pushed it does the work. None of them holds a secret longer than
it is shown: passphrases go straight back to the caller.

Every text they are handed may hold a key's file name or comment, which is untrusted: they show
it as plain text (never markup) with control characters made visible (``tui.core.text.visible``),
so a caller cannot forget to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from tui.core.errors import InvalidArgument
from tui.core.keys.agent import parse_lifetime
from tui.core.text import is_safe, visible
from tui.core.validate import comment_problem

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 80; max-width: 100%; height: auto; max-height: 100%; padding: 0 2;
    overflow-y: auto; border: thick $accent; background: $surface;
    border-subtitle-align: right; border-subtitle-color: $text-muted;
}}
{name} .title {{ text-style: bold; margin: 1 0; }}
{name} .detail {{ color: $text-muted; margin-bottom: 1; }}
{name} .command {{ background: $boost; padding: 0 1; margin-bottom: 1; text-style: bold; }}
{name} .error {{ color: $error; height: auto; }}
{name} .warning {{ color: $warning; height: auto; }}
{name} Horizontal {{ height: auto; margin: 1 0 0 0; align-horizontal: right; }}
{name} Button {{ margin-left: 1; }}
"""
ESCAPE_HINT = "escape cancels"


def frame() -> Vertical:
    """The dialog's box: at 80x24 it takes the whole screen and scrolls rather than cut the
    buttons; its frame always says how to leave (the key list's footer shows through)."""
    box = Vertical()
    box.border_subtitle = ESCAPE_HINT
    return box


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
        with frame():
            yield Label(visible(self.title_text), classes="title", markup=False)
            if self.detail:
                yield Static(visible(self.detail, multiline=True), classes="detail", markup=False)
            if self.command:
                yield Static(visible(self.command, multiline=True), classes="command", markup=False)
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
    """The new comment (one line), or None (cancelled, or left as it was).

    A current comment with control characters is offered with them made visible (``\\033``);
    submitting it unchanged changes nothing. A new comment is checked here (the core's
    ``tui.core.validate.comment_problem``, as in the wizard and the CLI) and refused in place with the reason.
    """

    DEFAULT_CSS = MODAL_CSS.format(name="EditCommentScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, name: str, current: str) -> None:
        super().__init__()
        self.key_name = name
        self.current = current
        self.shown = visible(current)

    def compose(self) -> ComposeResult:
        with frame():
            yield Label(f"Comment of {visible(self.key_name)}", classes="title", markup=False)
            yield Static(
                "Written into the private key and its .pub; servers show it in authorized_keys.",
                classes="detail",
            )
            if not is_safe(self.current):
                yield Static(
                    "The current comment holds control characters, shown as \\ooo escapes; "
                    "type a new one to replace it.",
                    classes="warning",
                    markup=False,
                )
            yield Input(self.shown, placeholder="user@host", id="comment")
            yield Static("", id="message", classes="error", markup=False)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save", variant="primary", id="ok")

    @on(Input.Changed, "#comment")
    def _clear_message(self) -> None:
        self.query_one("#message", Static).update("")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        value = self.query_one("#comment", Input).value.strip()
        if value == self.shown.strip():
            self.dismiss(None)  # unchanged (escaped text is not written back as the comment)
            return
        problem = comment_problem(value)
        if problem is not None:
            self.query_one("#message", Static).update(problem)
            return
        self.dismiss(value)

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
    """Current (when needed), new and confirmation; refuses a mismatch, warns on an empty one.

    For a key without a passphrase (``has_passphrase=False``) it is "Add a passphrase": no
    current one, and an empty one is refused (there is nothing to remove).
    """

    DEFAULT_CSS = MODAL_CSS.format(name="ChangePassphraseScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        name: str,
        ask_current: bool,
        keyring_reason: str | None,
        error: str = "",
        *,
        has_passphrase: bool = True,
    ) -> None:
        super().__init__()
        self.key_name = name
        self.ask_current = ask_current and has_passphrase
        self.keyring_reason = keyring_reason  # None when a secure keyring is available
        self.error = error
        self.has_passphrase = has_passphrase
        self.empty_confirmed = False

    def compose(self) -> ComposeResult:
        name = visible(self.key_name)
        title = (
            f"Change the passphrase of {name}"
            if self.has_passphrase
            else f"Add a passphrase to {name}"
        )
        new = "new passphrase" if self.has_passphrase else "passphrase"
        with frame():
            yield Label(title, classes="title", markup=False)
            if not self.has_passphrase:
                yield Static(
                    "The key file is not encrypted: anyone who gets a copy can use it. "
                    "A passphrase protects it.",
                    classes="detail",
                )
            if self.ask_current:
                yield Input(password=True, placeholder="current passphrase", id="current")
            yield Input(password=True, placeholder=new, id="new")
            yield Input(password=True, placeholder=f"{new} again", id="confirm")
            yield Static(visible(self.error), id="message", classes="error", markup=False)
            remember = Checkbox(
                "Remember in the system keyring",
                False,
                id="remember",
                disabled=self.keyring_reason is not None,
            )
            yield remember
            if self.keyring_reason:
                yield Static(visible(self.keyring_reason), classes="detail", markup=False)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Change" if self.has_passphrase else "Add", variant="primary", id="ok")

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
        elif not new and not confirm and self.has_passphrase:
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
        if not new and not self.has_passphrase:
            message = self.query_one("#message", Static)
            message.set_classes("error")
            message.update("Type the passphrase twice, or press escape to leave the key as it is.")
            self.query_one("#new", Input).focus()
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
        with frame():
            yield Label(
                f"Add {visible(self.key_name)} to the ssh-agent", classes="title", markup=False
            )
            yield Static(
                "Lifetime: empty keeps the key until the agent stops; or give 600, 10m, 1h30m.",
                classes="detail",
            )
            yield Input(placeholder="lifetime (optional)", id="lifetime")
            yield Static("", id="message", classes="error", markup=False)
            if self.ask_remember:
                yield Checkbox(
                    "Remember the passphrase in the system keyring",
                    False,
                    id="remember",
                    disabled=self.keyring_reason is not None,
                )
                if self.keyring_reason:
                    yield Static(visible(self.keyring_reason), classes="detail", markup=False)
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
            self.query_one("#message", Static).update(visible(str(exc)))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
