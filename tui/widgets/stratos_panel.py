"""Stratos for Power target of the upload pane: register the selected key in a workspace.

All network work runs in async workers (one client per panel, so the IAM token is reused);
the panel shows what it is doing, the result, warnings and errors in place, and the
equivalent ``ibmcloud`` commands with a copy action. ``cancel()`` stops whatever runs (the
upload screen calls it on escape). The API key lives only in the password Input until it is
verified, then in the keyring and the client; it is never shown or logged.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from tui.core import secrets
from tui.core.errors import SshDeckError
from tui.core.keys import PublicKey
from tui.core.upload.stratos import (
    API_KEY_ENV,
    CloudKey,
    NoApiKey,
    StratosClient,
    UploadResult,
    load_api_key,
)
from tui.core.upload.stratos_input import (
    default_key_name,
    equivalent_command,
    prepare_public_key,
    validate_key_name,
)
from tui.core.upload.zones import (
    Workspace,
    WorkspaceChoiceNeeded,
    resolve_workspace,
    save_chosen_workspace,
)

APIKEYS_URL = "https://cloud.ibm.com/iam/apikeys"


def _public_file(path: Path) -> Path:
    """The key list may hand over the private key; its .pub is what gets uploaded."""
    sibling = path.with_name(path.name + ".pub")
    return sibling if path.suffix != ".pub" and sibling.is_file() else path


def _short_line(public: PublicKey) -> str:
    data = public.base64
    text = f"{public.key_type} {data[:16]}…{data[-8:]}"
    return f"{text} {public.comment}" if public.comment else text


class StratosPanel(Vertical):
    """Login state, workspace picker, the workspace's keys, the upload form and its result."""

    DEFAULT_CSS = """
    StratosPanel { height: 1fr; padding: 0 1; }
    StratosPanel .row { height: auto; }
    StratosPanel Label.field { width: 13; padding: 1 1 0 0; }
    StratosPanel #stratos-login-state { width: 1fr; padding: 1 1 0 0; }
    StratosPanel #stratos-api-key { width: 1fr; }
    StratosPanel #stratos-workspace { width: 1fr; }
    StratosPanel #stratos-name, StratosPanel #stratos-description { width: 1fr; }
    StratosPanel #stratos-visibility { width: 24; }
    StratosPanel #stratos-add { margin-left: 2; }
    StratosPanel #stratos-copy { margin-left: 1; }
    StratosPanel #stratos-key-info { color: $text-muted; padding: 0 0 0 13; height: auto; }
    StratosPanel #stratos-keys { height: 1fr; min-height: 4; }
    StratosPanel #stratos-message { height: auto; padding: 0 0 0 0; }
    StratosPanel #stratos-message.-error { color: $error; }
    StratosPanel #stratos-message.-warning { color: $warning; }
    StratosPanel #stratos-message.-ok { color: $success; }
    StratosPanel #stratos-command { height: auto; color: $text-muted; }
    """

    BINDINGS = [Binding("ctrl+y", "copy_command", "Copy ibmcloud command")]

    class Uploaded(Message):
        """The key is in the workspace (``result.result``: created or already-present)."""

        def __init__(self, result: UploadResult) -> None:
            super().__init__()
            self.result = result

    def __init__(self, key_path: Path | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.key_path = _public_file(key_path) if key_path else None
        self.public: PublicKey | None = None
        self.key_text = ""
        self.key_warnings: tuple[str, ...] = ()
        self.key_error: str | None = None
        self.workspaces: list[Workspace] = []
        self.keys: list[CloudKey] = []
        self.source: str | None = None  # "env", "keyring", "session"
        self.result: UploadResult | None = None
        self._client: StratosClient | None = None
        self._load_key()

    def _load_key(self) -> None:
        if not self.key_path:
            self.key_error = "No key is selected; choose a public key on the key list first."
            return
        try:
            self.key_text = self.key_path.read_text(errors="replace")
            self.public, self.key_warnings = prepare_public_key(self.key_text)
        except (OSError, SshDeckError) as exc:
            self.key_error = (
                str(exc)
                if isinstance(exc, SshDeckError)
                else (f"{self.key_path} cannot be read; choose another key.")
            )

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("IBM Cloud", classes="field")
            yield Static("Checking the API key…", id="stratos-login-state")
            yield Input(
                placeholder=f"API key (create one at {APIKEYS_URL})",
                password=True,
                id="stratos-api-key",
            )
            yield Button("Log in", id="stratos-login")
        with Horizontal(classes="row"):
            yield Label("Workspace", classes="field")
            yield Select[str]([], prompt="Log in to list your workspaces", id="stratos-workspace")
        table: DataTable[str] = DataTable(id="stratos-keys", cursor_type="row")
        table.add_column("", key="mark", width=12)
        table.add_column("Name", key="name", width=24)
        table.add_column("Fingerprint", key="sha256", width=52)
        table.add_column("Visibility", key="visibility")
        yield table
        with Horizontal(classes="row"):
            yield Label("Key name", classes="field")
            name = default_key_name(self.key_path) if self.key_path else ""
            yield Input(name, max_length=128, id="stratos-name")
        info = self.public.keygen_line() if self.public else self.key_error or ""
        yield Static(info, id="stratos-key-info", markup=False)
        with Horizontal(classes="row"):
            yield Label("Description", classes="field")
            yield Input(placeholder="optional", id="stratos-description")
        with Horizontal(classes="row"):
            yield Label("Visibility", classes="field")
            yield Select(
                [("this workspace", "workspace"), ("whole account", "account")],
                value="workspace",
                allow_blank=False,
                id="stratos-visibility",
            )
            yield Button("Add SSH key", variant="primary", id="stratos-add", disabled=True)
            yield Button("Copy ibmcloud command", id="stratos-copy", disabled=True)
        yield Static("", id="stratos-message", markup=False)
        yield Static("", id="stratos-command", markup=False)

    def on_mount(self) -> None:
        if self.key_warnings:
            self._say(self.key_warnings[0], "warning")
        elif self.key_error:
            self._say(self.key_error, "error")
        self.connect()

    async def on_unmount(self) -> None:
        if self._client:
            await self._client.aclose()

    # -- helpers -----------------------------------------------------------------------------

    def _say(self, text: str, kind: str = "info") -> None:
        message = self.query_one("#stratos-message", Static)
        message.set_classes(f"-{kind}")
        message.update(text)

    def _show_login(self, state: str, logged_in: bool) -> None:
        self.query_one("#stratos-login-state", Static).update(state)
        self.query_one("#stratos-api-key", Input).display = not logged_in
        button = self.query_one("#stratos-login", Button)
        button.label = "Log out" if logged_in else "Log in"
        button.display = self.source != "env"

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
        self.query_one("#stratos-command", Static).update(text)
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
        self._client = StratosClient(api_key)
        return self._client

    def _fill_keys(self) -> None:
        table = self.query_one("#stratos-keys", DataTable)
        table.clear()
        mine_at = None
        for index, key in enumerate(self.keys):
            mine = bool(self.public and key.public and key.public.same_key(self.public))
            if mine and mine_at is None:
                mine_at = index
            table.add_row(
                "✔ this key" if mine else "",
                key.name,
                key.sha256 or "(unreadable key)",
                key.visibility or "account (old API)",
                key=key.id,
            )
        if mine_at is not None:
            table.move_cursor(row=mine_at)

    # -- workers -----------------------------------------------------------------------------

    # an explicit description: Textual's default repeats the call's arguments (the API key) in
    # the worker's repr, which its logs and devtools print
    @work(exclusive=True, group="stratos", description="connect to IBM Cloud")
    async def connect(self, api_key: str | None = None) -> None:
        """Find the API key (typed, env or keyring), then the workspaces and their keys."""
        if api_key is None:
            try:
                api_key = await asyncio.to_thread(load_api_key)
            except NoApiKey:
                self.source = None
                self._show_login("○ Not logged in", False)
                status = await asyncio.to_thread(secrets.keyring_status)
                where = (
                    "it is stored in the system keyring"
                    if status.available
                    else f"it is kept for this session only: {status.reason}"
                )
                self._say(f"Paste an IBM Cloud API key and press Log in ({where}).")
                return
            self.source = "env" if api_key == _env_key() else "keyring"
        self._show_login("… Checking the API key with IBM Cloud", True)
        client = await self._new_client(api_key)
        try:
            await client.token()
            if self.source == "session":
                stored = await asyncio.to_thread(
                    secrets.store_secret, secrets.API_KEY_NAME, api_key
                )
                if stored:
                    self.source = "keyring"
                else:
                    reason = secrets.keyring_status().reason or "The keyring refused it."
                    self._say(f"Logged in for this session only: {reason}", "warning")
            self._show_login(_login_text(self.source), True)
            self.workspaces = await client.workspaces()
        except SshDeckError as exc:
            self._client = None
            await client.aclose()
            if self.source == "session":
                self.source = None
            self._show_login("○ Not logged in.", self.source == "env")
            self._say(str(exc), "error")
            return
        select = self.query_one("#stratos-workspace", Select)
        select.set_options(
            (f"{ws.name}  ({ws.zone}, {ws.state})", ws.crn) for ws in self.workspaces
        )
        try:
            chosen: Workspace | None = resolve_workspace(self.workspaces, None)
        except WorkspaceChoiceNeeded:
            chosen = None
            self._say("Choose a workspace.", "info")
        except SshDeckError as exc:
            chosen = None
            self._say(str(exc), "warning")
        if chosen:
            select.value = chosen.crn  # Select.Changed loads its keys
        self._refresh_command()

    @work(exclusive=True, group="stratos")
    async def load_keys(self, ws: Workspace) -> None:
        if not self._client:
            return
        self._say(f"Reading the SSH keys of {ws.name}…")
        try:
            self.keys = await self._client.list_keys(ws)
        except SshDeckError as exc:
            self.keys = []
            self._fill_keys()
            self._say(str(exc), "error")
            return
        finally:
            self._refresh_command()
        self._fill_keys()
        mine = next(
            (k for k in self.keys if self.public and k.public and k.public.same_key(self.public)),
            None,
        )
        if mine:
            self._say(f"This key is already in {ws.name} as {mine.name!r}.", "ok")
        elif self.key_warnings:
            self._say(self.key_warnings[0], "warning")
        else:
            self._say(f"{ws.name} has {len(self.keys)} SSH key(s); this key is not among them.")
        self._refresh_command()

    @work(exclusive=True, group="stratos")
    async def add_key(self) -> None:
        ws, client = self.workspace, self._client
        if not (ws and client and self.public):
            return
        name, description, visibility = self._form()
        try:
            validate_key_name(name)
        except SshDeckError as exc:
            self._say(str(exc), "error")
            return
        self._say(f"Adding {name!r} to {ws.name}…")
        try:
            self.result = await client.add_key(ws, self.key_text, name, description, visibility)
            self.keys = await client.list_keys(ws)
        except SshDeckError as exc:
            self._say(str(exc), "error")
            return
        finally:
            self._refresh_command()
        self._fill_keys()
        result = self.result
        if result.result == "created":
            text = f"✔ Added {result.key.name!r} ({result.sha256}) to {ws.name}."
        else:
            text = f"✔ Already there: {ws.name} has this key as {result.key.name!r}; nothing was created."
        extra = [w for w in result.warnings if w not in self.key_warnings]
        self._say(" ".join([text, *extra]), "warning" if extra else "ok")
        self.post_message(self.Uploaded(result))

    # -- events ------------------------------------------------------------------------------

    @on(Button.Pressed, "#stratos-login")
    def _login_pressed(self) -> None:
        if self._client and self.source in ("keyring", "session"):
            self.logout()
            return
        field = self.query_one("#stratos-api-key", Input)
        api_key = field.value.strip()
        field.value = ""
        if not api_key:
            self._say(f"Paste an IBM Cloud API key first (create one at {APIKEYS_URL}).", "error")
            return
        self.source = "session"
        self.connect(api_key)

    @on(Input.Submitted, "#stratos-api-key")
    def _api_key_submitted(self) -> None:
        self._login_pressed()

    def logout(self) -> None:
        self.app.workers.cancel_node(self)
        secrets.delete_secret(secrets.API_KEY_NAME)
        self._client = None
        self.source = None
        self.workspaces, self.keys = [], []
        self.query_one("#stratos-workspace", Select).set_options([])
        self._fill_keys()
        self._show_login("○ Logged out: the API key was removed from the keyring.", False)
        self._say("Paste an API key to log in again.")
        self._refresh_command()

    @on(Select.Changed, "#stratos-workspace")
    def _workspace_changed(self) -> None:
        ws = self.workspace
        if ws:
            save_chosen_workspace(ws)
            self.load_keys(ws)
        self._refresh_command()

    @on(Input.Changed, "#stratos-name")
    @on(Input.Changed, "#stratos-description")
    @on(Select.Changed, "#stratos-visibility")
    def _form_changed(self) -> None:
        self._refresh_command()

    @on(Button.Pressed, "#stratos-add")
    def _add_pressed(self) -> None:
        if not self.busy:  # a second press must not cancel a POST in flight
            self.add_key()

    @on(Button.Pressed, "#stratos-copy")
    def _copy_pressed(self) -> None:
        self.action_copy_command()

    def action_copy_command(self) -> None:
        text = self.command_text()
        if text:
            self.app.copy_to_clipboard(text)
            self.notify("Copied the ibmcloud commands (with the full key).")


def _env_key() -> str:
    import os

    return os.environ.get(API_KEY_ENV, "").strip()


def _login_text(source: Any) -> str:
    return {
        "env": f"● Logged in with {API_KEY_ENV} from the environment",
        "keyring": "● Logged in (API key in the system keyring)",
    }.get(source, "● Logged in for this session")
