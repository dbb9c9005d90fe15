"""The Stratos tab's state and how it is shown: the key being uploaded, the login line, the
workspace picker, the form and its equivalent ``ibmcloud`` commands, the key table.

:class:`StratosForm` is the layout and the display; it holds no worker and talks to no
network: :class:`StratosPanel` (in ``stratos.py``) adds the workers that call
:class:`~tui.core.upload.service.CloudService`, and the events. The styles are in
``upload.tcss``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Label, Select, Static

from tui.core.keys.public import PublicKey
from tui.core.text import visible
from tui.core.upload.cloud_session import CloudSession
from tui.core.upload.service import CloudService, UploadKey
from tui.core.upload.stratos import API_KEY_ENV, CloudKey, StratosClient, UploadResult
from tui.core.upload.stratos_input import default_key_name, equivalent_command
from tui.core.upload.zones import Workspace
from tui.screens.upload.services import services_of
from tui.screens.upload.stratos_edit import CloudKeysTable, InstancesTable

__all__ = ["StratosForm"]


def _private_key(path: Path | None) -> Path | None:
    """The key to offer when logging in: the private half when it sits beside the .pub."""
    if path is None:
        return None
    if path.suffix == ".pub":
        private = path.with_suffix("")
        return private if private.is_file() else path
    return path


def _public_file(path: Path) -> Path:
    """The key list may hand over the private key; its .pub is what gets uploaded."""
    sibling = path.with_name(path.name + ".pub")
    return sibling if path.suffix != ".pub" and sibling.is_file() else path


def _short_line(public: PublicKey) -> str:
    data = public.base64
    text = f"{public.key_type} {data[:16]}…{data[-8:]}"
    return f"{text} {public.comment}" if public.comment else text


class StratosForm(Vertical):
    """What the Stratos tab knows and shows; the panel's workers fill it in."""

    def __init__(self, key_path: Path | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.key_path = _public_file(key_path) if key_path else None
        self.login_key = _private_key(key_path)
        # read in a worker once mounted (``_read_key``), never here on the UI thread
        self.public: PublicKey | None = None
        self.key_text = ""
        self.key_warnings: tuple[str, ...] = ()
        self.key_error: str | None = (
            None
            if self.key_path
            else "No key is selected; choose a public key on the key list first."
        )
        self.workspaces: list[Workspace] = []
        self.keys: list[CloudKey] = []
        self.result: UploadResult | None = None
        self._client: StratosClient | None = None

    @property
    def cloud(self) -> CloudService:
        return services_of(self.app).cloud

    @property
    def session(self) -> CloudSession:
        return self.cloud.session

    @property
    def source(self) -> str | None:
        return self.session.source

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("IBM Cloud", classes="field")
            yield Static("Checking the API key…", id="stratos-login-state", markup=False)
            # each focusable widget in a box of its own: when a tab switch hides the focused
            # one, Textual hands the focus to a focusable sibling, and a sibling inside this
            # (now hidden) tab would switch the tabs back
            with Container(classes="box", id="stratos-api-key-box"):
                yield Input(
                    placeholder="Paste an IBM Cloud API key", password=True, id="stratos-api-key"
                )
            yield Button("Log in", id="stratos-login")
        with Horizontal(classes="row"):
            yield Label("Workspace", classes="field")
            yield Select[str]([], prompt="Log in to list your workspaces", id="stratos-workspace")
        table = CloudKeysTable(id="stratos-keys", cursor_type="row")
        table.add_column("", key="mark", width=12)
        table.add_column("Name", key="name", width=24)
        table.add_column("Fingerprint", key="sha256", width=52)
        table.add_column("Visibility", key="visibility", width=36)
        with Container(classes="table-box"):
            yield table
        yield Static("", id="stratos-vms-state", markup=False)
        vms = InstancesTable(id="stratos-vms")
        vms.key_path = self.login_key
        with Container(classes="table-box"):
            yield vms
        with Horizontal(classes="row"):
            yield Label("Key name", classes="field")
            name = default_key_name(self.key_path) if self.key_path else ""
            yield Input(name, max_length=128, id="stratos-name")
        info = self.key_error or ("Reading the key…" if self.key_path else "")
        yield Static(visible(info), id="stratos-key-info", markup=False)
        with Horizontal(classes="row"):
            yield Label("Description", classes="field")
            yield Input(placeholder="optional", id="stratos-description")
        with Horizontal(classes="row"):
            yield Label("Visibility", classes="field")
            with Container(classes="box"):
                yield Select(
                    [("this workspace", "workspace"), ("whole account", "account")],
                    value="workspace",
                    allow_blank=False,
                    id="stratos-visibility",
                )
            with Container(classes="box"):
                yield Button("Add SSH key", variant="primary", id="stratos-add", disabled=True)
            with Container(classes="box"):
                yield Button("Copy ibmcloud command", id="stratos-copy", disabled=True)
        yield Static("", id="stratos-message", markup=False)
        yield Static("", id="stratos-command", markup=False)

    #: below this many terminal rows the form's fields lose their borders
    COMPACT_BELOW = 32

    def on_resize(self) -> None:
        """Compact fields on a short terminal (80x24): the form, the keys and the VMs fit."""
        compact = self.app.size.height < self.COMPACT_BELOW
        self.set_class(compact, "-compact")
        for widget in self.query("Input, Select, Button"):
            widget.compact = compact  # type: ignore[attr-defined]

    # -- helpers -----------------------------------------------------------------------------

    def _show_key(self, key: UploadKey) -> None:
        self.key_text, self.public = key.text, key.public
        self.key_warnings, self.key_error = key.warnings, key.error
        info = self.public.keygen_line() if self.public else self.key_error or ""
        self.query_one("#stratos-key-info", Static).update(visible(info))

    def _say(self, text: str, kind: str = "info") -> None:
        message = self.query_one("#stratos-message", Static)
        message.set_classes(f"-{kind}")
        message.update(visible(text))

    def _show_login(self, state: str, logged_in: bool) -> None:
        shown = self.query_one("#stratos-login-state", Static)
        shown.update(state)
        shown.set_class(logged_in, "-wide")  # the API key field is hidden: one line, not two
        field = self.query_one("#stratos-api-key", Input)
        field.display = not logged_in
        self.query_one("#stratos-api-key-box").display = not logged_in
        button = self.query_one("#stratos-login", Button)
        button.label = "Log out" if logged_in else "Log in"
        button.display = self.source != "env"
        if not logged_in and self._shown():
            field.focus()

    def _shown(self) -> bool:
        """Whether this tab is the one on screen: focusing a widget in a hidden tab would
        switch the tabs under the user's hands."""
        from textual.widgets import TabbedContent, TabPane

        pane = next((a for a in self.ancestors if isinstance(a, TabPane)), None)
        tabs = next((a for a in self.ancestors if isinstance(a, TabbedContent)), None)
        if pane is not None and tabs is not None and tabs.active != pane.id:
            return False  # also while the tabs are still being set up
        node: Any = self
        while node is not None and node is not self.screen:
            if not node.display:
                return False
            node = node.parent
        return True

    def on_show(self) -> None:
        """The tab came on screen: a logged-out user pastes the API key first (while the login
        is still being looked for, the outcome decides: :meth:`_show_login` focuses it)."""
        field = self.query_one("#stratos-api-key", Input)
        if field.display and not self.session.logged_in and not self.busy and self._shown():
            field.focus()

    @property
    def workspace(self) -> Workspace | None:
        value = self.query_one("#stratos-workspace", Select).value
        return next((ws for ws in self.workspaces if ws.crn == value), None)

    def _form(self) -> tuple[str, str | None, str | None]:
        name = self.query_one("#stratos-name", Input).value.strip()
        description = self.query_one("#stratos-description", Input).value.strip() or None
        visibility = self.query_one("#stratos-visibility", Select).value
        return name, description, ("account" if visibility == "account" else None)

    def command_text(self) -> str:
        """The equivalent ``ibmcloud`` commands for what the form says now (full key line)."""
        ws = self.workspace
        if not (ws and self.public):
            return ""
        name, description, visibility = self._form()
        return equivalent_command(ws.crn, name, self.public.line(), description, visibility)

    def _refresh_command(self) -> None:
        ws = self.workspace
        text = ""
        if ws and self.public:
            name, description, visibility = self._form()
            text = equivalent_command(
                ws.crn, name or "NAME", _short_line(self.public), description, visibility
            )
            text = "\n".join(f"$ {line}" for line in text.splitlines())
        self.query_one("#stratos-command", Static).update(visible(text, multiline=True))
        self.query_one("#stratos-copy", Button).disabled = not text
        add = self.query_one("#stratos-add", Button)
        add.disabled = not (ws and self.public and self._client)

    @property
    def busy(self) -> bool:
        return any(w.node is self and not w.is_finished for w in self.app.workers)

    def cancel(self) -> bool:
        """Stop the running network work; True when something was stopped."""
        stopped = [w for w in self.app.workers.cancel_node(self) if not w.is_finished]
        if stopped:
            self._say("Cancelled; nothing more was sent.", "warning")
        return bool(stopped)

    async def _new_client(self, api_key: str) -> StratosClient:
        if self._client:
            await self._client.aclose()
        self._client = self.cloud.client(api_key)
        return self._client

    def _fill_workspaces(self, workspaces: list[Workspace], chosen: str | None) -> None:
        self.workspaces = list(workspaces)
        select = self.query_one("#stratos-workspace", Select)
        select.set_options(
            (
                Content(f"{visible(ws.name)}  ({visible(ws.zone)}, {visible(ws.state)})"),
                ws.crn,
            )
            for ws in self.workspaces
        )
        select.prompt = "Choose a workspace" if self.workspaces else "No workspace found"
        if chosen and any(ws.crn == chosen for ws in self.workspaces):
            select.value = chosen

    def _fill_keys(self) -> None:
        self.query_one("#stratos-keys", CloudKeysTable).show(self.keys, self.public)

    @property
    def selected_key(self) -> CloudKey | None:
        table = self.query_one("#stratos-keys", CloudKeysTable)
        row = table.cursor_row
        return self.keys[row] if self.keys and 0 <= row < len(self.keys) else None


def _login_text(source: Any) -> str:
    return {
        "env": f"● Logged in with {API_KEY_ENV} from the environment",
        "keyring": "● Logged in (API key in the system keyring)",
    }.get(source, "● Logged in while sshdeck runs")
