"""Stratos for Power target of the upload pane: register the selected key in a workspace.

All network and keyring work runs in workers (``tui.workers.work``), never on the UI thread or
in ``__init__``; the panel shows what it is doing, the result, warnings and errors in place,
and the equivalent ``ibmcloud`` commands with a copy action. ``cancel()`` stops whatever runs
(the upload screen calls it on escape). The login lives in a :class:`CloudSession` kept for the
app's lifetime (:func:`session_for`), so reopening the pane stays logged in and lists the
workspaces at once. The API key is never shown or logged; every text from the cloud is shown
escaped, as plain text. Below the keys, the workspace's VMs: ``t`` tests ``root@IP`` with the
selected key, ``i`` installs it there through the Hosts tab.
"""

from __future__ import annotations

import asyncio
import weakref
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from tui.core import secrets
from tui.core.errors import SshDeckError
from tui.core.keys.public import PublicKey
from tui.core.text import visible
from tui.core.upload.cloud_session import CloudSession
from tui.core.upload.stratos import (
    API_KEY_ENV,
    CloudAuthError,
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
from tui.screens.upload.stratos_edit import (
    CloudKeysTable,
    EditKeyScreen,
    InstancesTable,
    KeyChanges,
    plain,
)
from tui.workers import work

APIKEYS_URL = "https://cloud.ibm.com/iam/apikeys"
_SESSIONS: weakref.WeakKeyDictionary[App[Any], CloudSession] = weakref.WeakKeyDictionary()


def session_for(app: App[Any]) -> CloudSession:
    """The app's one IBM Cloud login, created on first use and kept while the app runs."""
    services = getattr(app, "services", None)
    if services is not None:
        return services.cloud.session  # type: ignore[no-any-return]
    session = _SESSIONS.get(app)
    if session is None:
        session = _SESSIONS[app] = CloudSession()
    return session


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


class StratosPanel(Vertical):
    """Login state, workspace picker, the workspace's keys and VMs, the upload form, results."""

    DEFAULT_CSS = """
    StratosPanel { height: 1fr; padding: 0 1; }
    StratosPanel .row { height: auto; }
    StratosPanel Label.field { width: 13; padding: 1 1 0 0; }
    StratosPanel #stratos-login-state { width: auto; max-width: 50%; padding: 1 1 0 0; }
    StratosPanel #stratos-api-key-box { width: 1fr; min-width: 32; height: auto; }
    StratosPanel .table-box { height: 1fr; }
    StratosPanel .box { width: auto; height: auto; }
    StratosPanel #stratos-workspace { width: 1fr; }
    StratosPanel #stratos-name, StratosPanel #stratos-description { width: 1fr; }
    StratosPanel #stratos-visibility { width: 24; }
    StratosPanel #stratos-add { margin-left: 2; }
    StratosPanel #stratos-copy { margin-left: 1; }
    StratosPanel #stratos-key-info { color: $text-muted; padding: 0 0 0 13; height: auto; }
    StratosPanel #stratos-keys { height: 1fr; min-height: 4; }
    StratosPanel #stratos-vms { height: 1fr; min-height: 3; }
    StratosPanel #stratos-vms-state { color: $text-muted; height: auto; }
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
        self.login_key = _private_key(key_path)
        self.public: PublicKey | None = None
        self.key_text = ""
        self.key_warnings: tuple[str, ...] = ()
        self.key_error: str | None = None
        self.workspaces: list[Workspace] = []
        self.keys: list[CloudKey] = []
        self.result: UploadResult | None = None
        self._client: StratosClient | None = None
        self._load_key()

    @property
    def session(self) -> CloudSession:
        return session_for(self.app)

    @property
    def source(self) -> str | None:
        return self.session.source

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
                else (f"{visible(str(self.key_path))} cannot be read; choose another key.")
            )

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
        info = self.public.keygen_line() if self.public else self.key_error or ""
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

    def on_mount(self) -> None:
        if self.key_warnings:
            self._say(self.key_warnings[0], "warning")
        elif self.key_error:
            self._say(self.key_error, "error")
        session = self.session
        api_key = session.api_key()
        if api_key and session.workspaces:
            # kept from an earlier opening: no new login, the workspaces at once (the client
            # makes no request until the chosen workspace's keys are read)
            self._client = StratosClient(api_key)
            self._show_login(_login_text(session.source), True)
            self._fill_workspaces(session.workspaces, session.chosen)
            if not self.workspace:
                self._say("Choose a workspace.", "info")
            self._refresh_command()
        elif api_key:
            self.connect(api_key, session.source)
        else:
            self.connect()

    async def on_unmount(self) -> None:
        if self._client:
            await self._client.aclose()

    # -- helpers -----------------------------------------------------------------------------

    def _say(self, text: str, kind: str = "info") -> None:
        message = self.query_one("#stratos-message", Static)
        message.set_classes(f"-{kind}")
        message.update(visible(text))

    def _show_login(self, state: str, logged_in: bool) -> None:
        self.query_one("#stratos-login-state", Static).update(state)
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
        """The tab came on screen: a logged-out user pastes the API key first."""
        field = self.query_one("#stratos-api-key", Input)
        if field.display and not self.session.logged_in and self._shown():
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
        self._client = StratosClient(api_key)
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
        table = self.query_one("#stratos-keys", CloudKeysTable)
        table.clear()
        mine_at = None
        for index, key in enumerate(self.keys):
            mine = bool(self.public and key.public and key.public.same_key(self.public))
            if mine and mine_at is None:
                mine_at = index
            if key.visibility:
                visibility = key.visibility
            else:  # the tenant API's keys belong to the account
                visibility = "account (old API)" if key.primary_workspace is None else "-"
            if key.primary_workspace is False:
                visibility += ", from another workspace"
            table.add_row(
                plain("✔ this key" if mine else ""),
                plain(key.name),
                plain(key.sha256 or "(unreadable key)"),
                plain(visibility),
                key=key.id,
            )
        if mine_at is not None:
            table.move_cursor(row=mine_at)

    @property
    def selected_key(self) -> CloudKey | None:
        table = self.query_one("#stratos-keys", CloudKeysTable)
        row = table.cursor_row
        return self.keys[row] if self.keys and 0 <= row < len(self.keys) else None

    # -- workers -----------------------------------------------------------------------------

    # an explicit description: Textual's default repeats the call's arguments (the API key) in
    # the worker's repr, which its logs and devtools print
    @work(exclusive=True, group="stratos", description="connect to IBM Cloud")
    async def connect(self, api_key: str | None = None, source: str | None = None) -> None:
        """Find the API key (typed, env or keyring), then the workspaces and their keys."""
        session = self.session
        if api_key is None:
            try:
                api_key = await asyncio.to_thread(load_api_key)
            except NoApiKey:
                session.log_out()
                self._show_login("○ Not logged in", False)
                status = await asyncio.to_thread(secrets.keyring_status)
                where = (
                    "it is stored in the system keyring"
                    if status.available
                    else f"it is kept while sshdeck runs: {status.reason}"
                )
                self._say(
                    f"Paste an IBM Cloud API key (create one at {APIKEYS_URL}) and press "
                    f"Log in ({where})."
                )
                return
            source = "env" if api_key == _env_key() else "keyring"
        source = source or "session"
        self._show_login("… Checking the API key with IBM Cloud", True)
        client = await self._new_client(api_key)
        try:
            await client.token()
            if source == "session":
                stored = await asyncio.to_thread(
                    secrets.store_secret, secrets.API_KEY_NAME, api_key
                )
                if stored:
                    source = "keyring"
                else:
                    status = await asyncio.to_thread(secrets.keyring_status)
                    reason = status.reason or "The keyring refused it."
                    self._say(f"Logged in while sshdeck runs: {reason}", "warning")
            session.log_in(api_key, source)
            self._show_login(_login_text(source), True)
            workspaces = await client.workspaces()
        except SshDeckError as exc:
            self._client = None
            await client.aclose()
            if session.logged_in and not isinstance(exc, CloudAuthError):
                # the network, not the key: the login stays; opening the pane again retries
                self._say(str(exc), "error")
                return
            if source != "env":
                session.log_out()
            self._show_login("○ Not logged in.", source == "env")
            self._say(str(exc), "error")
            return
        session.workspaces = workspaces
        try:
            chosen_ws: Workspace | None = resolve_workspace(workspaces, None)
        except WorkspaceChoiceNeeded:
            chosen_ws = None
        except SshDeckError as exc:
            chosen_ws = None
            self._say(str(exc), "warning")
        chosen = session.chosen or (chosen_ws.crn if chosen_ws else None)
        current = self.query_one("#stratos-workspace", Select).value
        self._fill_workspaces(workspaces, chosen)
        if not self.workspace:
            self._say("Choose a workspace.", "info")
        elif current == self.workspace.crn:  # the same value: no Changed event to reload
            self.load_keys(self.workspace)
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
            self._say(f"This key is already in {ws.name} as '{mine.name}'.", "ok")
        elif self.key_warnings:
            self._say(self.key_warnings[0], "warning")
        else:
            self._say(f"{ws.name} has {len(self.keys)} SSH key(s); this key is not among them.")
        self._refresh_command()
        self.load_instances(ws)

    @work(exclusive=True, group="stratos-vms")
    async def load_instances(self, ws: Workspace) -> None:
        state = self.query_one("#stratos-vms-state", Static)
        table = self.query_one("#stratos-vms", InstancesTable)
        if not self._client:
            return
        state.update(f"Reading the virtual servers of {visible(ws.name)}…")
        try:
            vms = await self._client.instances(ws)
        except SshDeckError as exc:
            table.show([])
            state.update(visible(str(exc)))
            return
        table.show(vms)
        if vms:
            state.update(
                f"{len(vms)} virtual server(s) in {visible(ws.name)}: t tests the login as root "
                "with this key, i installs it there."
            )
        else:
            state.update(f"{visible(ws.name)} has no virtual server yet.")

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
        self._say(f"Adding '{name}' to {ws.name}…")
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
            text = f"✔ Added '{result.key.name}' ({result.sha256}) to {ws.name}."
        else:
            text = f"✔ Already there: {ws.name} has this key as '{result.key.name}'; nothing was created."
        extra = [w for w in result.warnings if w not in self.key_warnings]
        self._say(" ".join([text, *extra]), "warning" if extra else "ok")
        self.post_message(self.Uploaded(result))

    @work(exclusive=True, group="stratos")
    async def update_key(self, key: CloudKey, changes: KeyChanges) -> None:
        ws, client = self.workspace, self._client
        if not (ws and client):
            return
        self._say(f"Saving the changes to '{key.name}'…")
        try:
            updated = await client.update_key(
                ws,
                key,
                name=changes.name,
                description=changes.description,
                visibility=changes.visibility,
            )
            self.keys = await client.list_keys(ws)
        except SshDeckError as exc:
            self._say(str(exc), "error")
            return
        self._fill_keys()
        self._say(f"✔ Saved '{updated.name}' in {ws.name}.", "ok")

    @work(exclusive=True, group="stratos")
    async def remove_key(self, key: CloudKey) -> None:
        ws, client = self.workspace, self._client
        if not (ws and client):
            return
        try:
            await client.delete_key(ws, key)
            self.keys = await client.list_keys(ws)
        except SshDeckError as exc:
            self._say(str(exc), "error")
            return
        self._fill_keys()
        self._say(f"✔ Deleted '{key.name}' from {ws.name}.", "ok")

    @work(thread=True, group="stratos-keyring")
    def _forget_stored_key(self) -> None:
        secrets.delete_secret(secrets.API_KEY_NAME)

    # -- key actions (from the key table) ----------------------------------------------------

    def edit_selected_key(self) -> None:
        key, ws, client = self.selected_key, self.workspace, self._client
        if not (key and ws and client):
            return
        if key.primary_workspace is False:
            self._say(
                f"'{key.name}' belongs to another workspace (shared with the account); "
                "edit it there.",
                "error",
            )
            return

        def done(changes: KeyChanges | None) -> None:
            if changes and (changes.name or changes.description is not None or changes.visibility):
                self.update_key(key, changes)

        self.app.push_screen(EditKeyScreen(key, tenant_api=client.uses_tenant_api(ws)), done)

    def delete_selected_key(self) -> None:
        from tui.screens.modals import ConfirmScreen

        key, ws = self.selected_key, self.workspace
        if not (key and ws and self._client):
            return
        if key.primary_workspace is False:
            self._say(
                f"'{key.name}' is not owned by workspace {ws.name}: IBM lets you delete a key "
                "only from the workspace that created it.",
                "error",
            )
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.remove_key(key)

        self.app.push_screen(
            ConfirmScreen(
                "Delete this SSH key from the workspace?",
                detail=f"{visible(key.name)} ({key.sha256 or 'unreadable key'}) in "
                f"{visible(ws.name)}; this cannot be undone.",
                confirm_label="Delete",
            ),
            done,
        )

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
            if self._shown():
                field.focus()
            return
        self.connect(api_key, "session")

    @on(Input.Submitted, "#stratos-api-key")
    def _api_key_submitted(self) -> None:
        self._login_pressed()

    def logout(self) -> None:
        self.app.workers.cancel_node(self)
        self._forget_stored_key()
        self.session.log_out()
        self._client = None
        self.workspaces, self.keys = [], []
        select = self.query_one("#stratos-workspace", Select)
        select.set_options([])
        select.prompt = "Log in to list your workspaces"
        self._fill_keys()
        self.query_one("#stratos-vms", InstancesTable).show([])
        self.query_one("#stratos-vms-state", Static).update("")
        self._show_login("○ Logged out: the API key was removed from the keyring.", False)
        self._say("Paste an API key to log in again.")
        self._refresh_command()

    @on(Select.Changed, "#stratos-workspace")
    def _workspace_changed(self) -> None:
        ws = self.workspace
        if ws:
            self.session.chosen = ws.crn
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
    }.get(source, "● Logged in while sshdeck runs")
