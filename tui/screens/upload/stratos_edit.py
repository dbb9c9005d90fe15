"""Small pieces of the Stratos tab: the key table with edit/delete keys, the VM table, and the
dialog that renames or edits a registered key. Every cloud text is shown escaped, as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from tui.core.connect.power_os import detect_power_os
from tui.core.text import visible
from tui.core.upload.instances import Instance
from tui.messages import InstallRequested, TestRequested
from tui.screens.modals import frame

if TYPE_CHECKING:
    from tui.core.keys.public import PublicKey
    from tui.core.upload.stratos import CloudKey


def plain(text: str) -> Text:
    """A table cell that is never markup, with control characters made visible."""
    return Text(visible(text), no_wrap=True, overflow="ellipsis")


@dataclass(frozen=True)
class KeyChanges:
    name: str | None
    description: str | None
    visibility: str | None


class EditKeyScreen(ModalScreen[KeyChanges | None]):
    """Rename a key, change its description or visibility; only what changed is returned."""

    DEFAULT_CSS = """
    EditKeyScreen { align: center middle; }
    EditKeyScreen > Vertical { width: 72; max-width: 100%; height: auto; max-height: 100%;
        overflow-y: auto; border: thick $primary; background: $surface; padding: 0 2;
        border-subtitle-color: $text-muted; }
    EditKeyScreen Label { margin-top: 1; }
    EditKeyScreen Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    EditKeyScreen Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, key: CloudKey, *, tenant_api: bool = False) -> None:
        super().__init__()
        self.key = key
        self.tenant_api = tenant_api

    def compose(self) -> ComposeResult:
        with frame():  # the dialogs' box: says escape cancels, scrolls rather than cut
            yield Static(f"Edit the SSH key {visible(self.key.name)}", markup=False)
            yield Label("Name")
            # cloud texts in the fields escaped too; left as shown, they change nothing
            yield Input(visible(self.key.name), max_length=128, id="edit-name")
            yield Label("Description")
            yield Input(
                visible(self.key.description), id="edit-description", disabled=self.tenant_api
            )
            yield Label("Visibility")
            yield Select(
                [("this workspace", "workspace"), ("whole account", "account")],
                value=self.key.visibility if self.key.visibility else "workspace",
                allow_blank=False,
                id="edit-visibility",
                disabled=self.tenant_api,
            )
            with Horizontal():
                yield Button("Cancel", id="edit-cancel")
                yield Button("Save", variant="primary", id="edit-save")

    def on_mount(self) -> None:
        self.query_one("#edit-name", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#edit-save")
    def action_save(self) -> None:
        name = self.query_one("#edit-name", Input).value.strip()
        description = self.query_one("#edit-description", Input).value
        visibility = self.query_one("#edit-visibility", Select).value
        self.dismiss(
            KeyChanges(
                name=name if name not in (self.key.name, visible(self.key.name)) else None,
                description=(
                    description
                    if not self.tenant_api
                    and description not in (self.key.description, visible(self.key.description))
                    else None
                ),
                visibility=(
                    str(visibility)
                    if not self.tenant_api and visibility != (self.key.visibility or "workspace")
                    else None
                ),
            )
        )

    @on(Button.Pressed, "#edit-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class CloudKeysTable(DataTable[Any]):
    """The workspace's keys; ``e`` edits (rename, description, visibility), ``d`` deletes.

    It shows what it is handed (:meth:`show`) and says what was pressed with a message; the
    Stratos panel decides what that means."""

    BINDINGS = [
        Binding("e", "edit_key", "Edit key"),
        Binding("d", "delete_key", "Delete key"),
    ]

    class EditPressed(Message):
        """``e`` on the highlighted key."""

    class DeletePressed(Message):
        """``d`` on the highlighted key."""

    def action_edit_key(self) -> None:
        self.post_message(self.EditPressed())

    def action_delete_key(self) -> None:
        self.post_message(self.DeletePressed())

    def show(self, keys: list[CloudKey], public: PublicKey | None) -> None:
        """One row a key, ``✔ this key`` on the one that is ``public`` (the cursor goes there)."""
        self.clear()
        mine_at = None
        for index, key in enumerate(keys):
            mine = bool(public and key.public and key.public.same_key(public))
            if mine and mine_at is None:
                mine_at = index
            if key.visibility:
                visibility = key.visibility
            else:  # the tenant API's keys belong to the account
                visibility = "account (old API)" if key.primary_workspace is None else "-"
            if key.primary_workspace is False:
                visibility += ", from another workspace"
            self.add_row(
                plain("✔ this key" if mine else ""),
                plain(key.name),
                plain(key.sha256 or "(unreadable key)"),
                plain(visibility),
                key=key.id,
            )
        if mine_at is not None:
            self.move_cursor(row=mine_at)


class InstancesTable(DataTable[Any]):
    """The workspace's VMs; ``t`` tests the login as root, ``i`` installs the key there."""

    BINDINGS = [
        Binding("t", "test_vm", "Test login"),
        Binding("i", "install_vm", "Install key"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.instances: list[Instance] = []
        self.key_path: Path | None = None  # the key to offer (the private key when known)

    def on_mount(self) -> None:
        self.add_column("VM", key="name", width=22)
        self.add_column("Status", key="status", width=9)
        self.add_column("OS", key="os", width=14)
        self.add_column("Log in as", key="login", width=24)
        self.add_column("Networks", key="networks", width=44)

    def show(self, instances: list[Instance]) -> None:
        self.instances = list(instances)
        self.clear()
        for index, vm in enumerate(self.instances):
            kind = detect_power_os(None, None, vm.os_type)
            os_label = {"aix": "AIX", "ibmi": "IBM i"}.get(kind or "", vm.os_type or "?")
            self.add_row(
                plain(vm.name),
                plain(vm.status),
                plain(os_label),
                plain(vm.login_target or "no address"),
                plain(
                    ", ".join(
                        f"{n.name} {n.ip_address}"
                        + (f" ({n.external_ip})" if n.external_ip else "")
                        for n in vm.networks
                    )
                ),
                key=str(index),
            )

    @property
    def selected(self) -> Instance | None:
        if not self.instances or self.cursor_row < 0 or self.cursor_row >= len(self.instances):
            return None
        return self.instances[self.cursor_row]

    def _target(self) -> str | None:
        vm = self.selected
        if vm is None:
            return None
        if not vm.login_target:
            self.notify(
                f"{visible(vm.name)} has no IP address yet; wait until it is active.",
                severity="warning",
                markup=False,
            )
            return None
        return vm.login_target

    def action_test_vm(self) -> None:
        target = self._target()
        if target:
            self.post_message(TestRequested(target=target, key_path=self.key_path))

    def action_install_vm(self) -> None:
        target = self._target()
        if target:
            self.post_message(InstallRequested(target=target, key_path=self.key_path))
