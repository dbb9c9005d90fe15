"""Stratos for Power target of the upload pane: register the selected key in a workspace.

All network, keyring and file work runs in workers (``tui.workers.work``) through the app's
:class:`~tui.core.upload.service.CloudService`, never on the UI thread or in ``__init__`` (the
key file is read once the panel is mounted); dialogs are the screen's (the panel asks with
``EditKeyRequested`` / ``DeleteKeyRequested``). The state and its display live in
:class:`~tui.screens.upload.stratos_form.StratosForm`. The panel shows what it is doing, the result, warnings and errors in place,
and the equivalent ``ibmcloud`` commands with a copy action. ``cancel()`` stops whatever runs
(the upload screen calls it on escape). The login lives in a :class:`CloudSession` kept for the
app's lifetime (:func:`session_for`), so reopening the pane stays logged in and lists the
workspaces at once. The API key is never shown or logged; every text from the cloud is shown
escaped, as plain text. Below the keys, the workspace's VMs: ``t`` tests ``root@IP`` with the
selected key, ``i`` installs it there through the Hosts tab.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Button, Input, Select, Static

from tui.core.errors import SshDeckError
from tui.core.text import visible
from tui.core.upload.service import LoginSource
from tui.core.upload.stratos import (
    APIKEYS_URL,
    CloudAuthError,
    CloudKey,
    NoApiKey,
    UploadResult,
)
from tui.core.upload.stratos_input import validate_key_name
from tui.core.upload.zones import Workspace
from tui.screens.upload.services import session_for
from tui.screens.upload.stratos_edit import CloudKeysTable, InstancesTable, KeyChanges
from tui.screens.upload.stratos_form import StratosForm, _login_text
from tui.workers import work

__all__ = ["StratosPanel", "session_for"]


class StratosPanel(StratosForm):
    """Login state, workspace picker, the workspace's keys and VMs, the upload form, results."""

    # the layout is StratosForm.compose; the styles are in upload.tcss (the screen's CSS_PATH)
    BINDINGS = [Binding("ctrl+y", "copy_command", "Copy ibmcloud command")]

    class Uploaded(Message):
        """The key is in the workspace (``result.result``: created or already-present)."""

        def __init__(self, result: UploadResult) -> None:
            super().__init__()
            self.result = result

    @dataclass
    class EditKeyRequested(Message):
        """``e`` on a key: the screen opens the edit dialog and hands the changes back."""

        panel: StratosPanel
        key: CloudKey
        tenant_api: bool

    @dataclass
    class DeleteKeyRequested(Message):
        """``d`` on a key: the screen asks for a yes and hands it back."""

        panel: StratosPanel
        key: CloudKey
        workspace: Workspace

    def on_mount(self) -> None:
        self._start()

    @work(exclusive=True, group="stratos-start", description="read the key, then log in")
    async def _start(self) -> None:
        """Read the key file off the UI thread, then log in (or reuse the app's login)."""
        if self.key_path:
            self._show_key(await asyncio.to_thread(self.cloud.read_upload_key, self.key_path))
        if self.key_warnings:
            self._say(self.key_warnings[0], "warning")
        elif self.key_error:
            self._say(self.key_error, "error")
        session = self.session
        api_key = session.api_key()
        if api_key and session.workspaces:
            # kept from an earlier opening: no new login, the workspaces at once (the client
            # makes no request until the chosen workspace's keys are read)
            self._client = self.cloud.client(api_key)
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

    # -- workers -----------------------------------------------------------------------------

    # an explicit description: Textual's default repeats the call's arguments (the API key) in
    # the worker's repr, which its logs and devtools print
    @work(exclusive=True, group="stratos", description="connect to IBM Cloud")
    async def connect(self, api_key: str | None = None, source: LoginSource | None = None) -> None:
        """Find the API key (typed, env or keyring), then the workspaces and their keys."""
        cloud = self.cloud
        if api_key is None:
            try:
                found, source = await asyncio.to_thread(cloud.find_api_key)
            except NoApiKey:
                cloud.log_out()
                self._show_login("○ Not logged in", False)
                where = await asyncio.to_thread(cloud.where_a_key_is_kept)
                self._say(
                    f"Paste an IBM Cloud API key (create one at {APIKEYS_URL}) and press "
                    f"Log in ({where})."
                )
                return
            api_key = found
        source = source or "session"
        self._show_login("… Checking the API key with IBM Cloud", True)
        client = await self._new_client(api_key)
        try:
            login = await cloud.log_in(client, api_key, source)
        except SshDeckError as exc:
            self._client = None
            await client.aclose()
            if self.session.logged_in and not isinstance(exc, CloudAuthError):
                # the network, not the key: the login stays; opening the pane again retries
                self._show_login(_login_text(self.session.source), True)
                self._say(str(exc), "error")
                return
            if source != "env":
                cloud.log_out()
            self._show_login("○ Not logged in.", source == "env")
            self._say(str(exc), "error")
            return
        self._show_login(_login_text(login.source), True)
        if login.warning:
            self._say(login.warning, "warning")
        chosen = self.session.chosen or (login.chosen.crn if login.chosen else None)
        current = self.query_one("#stratos-workspace", Select).value
        self._fill_workspaces(list(login.workspaces), chosen)
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
        self.cloud.forget_api_key()

    @work(thread=True, group="stratos-config")
    def _remember_workspace(self, ws: Workspace) -> None:
        self.cloud.remember_workspace(ws)

    # -- key actions (from the key table) ----------------------------------------------------

    @on(CloudKeysTable.EditPressed)
    def edit_selected_key(self) -> None:
        """Ask the screen for the edit dialog; the changes come back to :meth:`update_key`."""
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
        self.post_message(self.EditKeyRequested(self, key, client.uses_tenant_api(ws)))

    @on(CloudKeysTable.DeletePressed)
    def delete_selected_key(self) -> None:
        """Ask the screen for a yes; a yes comes back to :meth:`remove_key`."""
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
        self.post_message(self.DeleteKeyRequested(self, key, ws))

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
            self._remember_workspace(ws)
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
