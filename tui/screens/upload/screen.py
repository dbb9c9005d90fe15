"""The upload pane (``u`` on the key list): the selected key to Stratos for Power or to hosts.

The screen is only the frame: a tab per target, each tab a panel that owns its own form and
workers (``StratosPanel`` for the cloud, ``HostsPanel`` for ssh-copy-id). ``escape`` first
cancels whatever the visible panel is doing, and goes back to the key list when nothing runs.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from tui.core.text import visible
from tui.screens.upload.hosts import HostsPanel
from tui.screens.upload.stratos import StratosPanel
from tui.screens.upload.stratos_edit import EditKeyScreen, KeyChanges

TARGETS = {"stratos": "upload-stratos", "hosts": "upload-hosts"}


class UploadScreen(Screen[None]):
    """Two targets for one public key; ``target`` ("stratos" or "hosts") picks the first tab."""

    CSS_PATH = "upload.tcss"
    SUB_TITLE = "Upload a public key"
    BINDINGS = [
        Binding("escape", "back", "Cancel / back"),
        Binding("ctrl+s", "show_tab('stratos')", "Stratos for Power", show=False),
        Binding("ctrl+o", "show_tab('hosts')", "Hosts", show=False),
    ]

    def __init__(
        self, key_path: Path | None = None, target: str = "stratos", *, hosts: str = ""
    ) -> None:
        """``hosts`` pre-fills the Hosts tab's targets (e.g. the tester's ``user@host:port``)."""
        super().__init__()
        self.key_path = key_path
        self.target = target if target in TARGETS else "stratos"
        self.hosts = hosts

    def compose(self) -> ComposeResult:
        yield Header()
        name = self.key_path.name if self.key_path else "no key selected"
        # a file name is untrusted text: escaped, and never read as markup
        yield Static(
            Content.from_markup("Upload [b]$name[/b]", name=visible(name)), id="upload-key"
        )
        with TabbedContent(initial=TARGETS[self.target], id="upload-tabs"):
            with TabPane("Stratos for Power", id="upload-stratos"):
                yield StratosPanel(self.key_path, id="stratos-panel")
            with TabPane("Hosts", id="upload-hosts"):
                yield HostsPanel(self.key_path, targets=self.hosts, id="hosts-panel")
        yield Footer()

    def action_show_tab(self, target: str) -> None:
        self.query_one("#upload-tabs", TabbedContent).active = TARGETS[target]

    def action_back(self) -> None:
        """Cancel the visible panel's work first; leave only when nothing runs."""
        active = self.query_one("#upload-tabs", TabbedContent).active
        panel = self.query_one("#hosts-panel" if active == "upload-hosts" else "#stratos-panel")
        cancel = getattr(panel, "cancel", None)
        if callable(cancel) and cancel():
            return
        self.app.pop_screen()

    # -- dialogs the panels ask for (a widget never pushes a screen) -----------------------

    @on(StratosPanel.EditKeyRequested)
    def _edit_cloud_key(self, message: StratosPanel.EditKeyRequested) -> None:
        panel, key = message.panel, message.key

        def done(changes: KeyChanges | None) -> None:
            if changes and (changes.name or changes.description is not None or changes.visibility):
                panel.update_key(key, changes)

        self.app.push_screen(EditKeyScreen(key, tenant_api=message.tenant_api), done)

    @on(StratosPanel.DeleteKeyRequested)
    def _delete_cloud_key(self, message: StratosPanel.DeleteKeyRequested) -> None:
        from tui.screens.modals import ConfirmScreen

        panel, key, ws = message.panel, message.key, message.workspace

        def done(yes: bool | None) -> None:
            if yes:
                panel.remove_key(key)

        self.app.push_screen(
            ConfirmScreen(
                "Delete this SSH key from the workspace?",
                detail=f"{visible(key.name)} ({key.sha256 or 'unreadable key'}) in "
                f"{visible(ws.name)}; this cannot be undone.",
                confirm_label="Delete",
            ),
            done,
        )
