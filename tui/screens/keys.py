"""The key list: a table of the keys in one directory, the selected key's details, and actions.

The screen owns the state (scan result, agent keys, trash records); the table and the detail
pane only display what they are given. Scans and file changes run in thread workers; the
agent is asked in async workers, so the UI never waits on a disk or a socket.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from tui.core.scan import KeyEntry, ScanResult, scan_directory
from tui.widgets.key_details import KeyDetails, home_relative
from tui.widgets.key_table import KeyTable, matches


class KeysScreen(Screen[None]):
    CSS_PATH = "keys.tcss"
    AUTO_FOCUS = "KeyTable"
    BINDINGS = [
        Binding("n", "new_key", "New key", tooltip="Generate a new key pair (the wizard)"),
        Binding("u", "upload", "Upload", tooltip="Upload the public key to a cloud or a host"),
        Binding("t", "test", "Test", tooltip="Test a connection with this key"),
        Binding("r", "rescan", "Rescan", tooltip="Read the key directory again"),
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            tooltip="Filter by file, comment, type or fingerprint",
        ),
        Binding(
            "m",
            "toggle_art",
            "SHA256/MD5 art",
            show=False,
            tooltip="Switch the randomart between SHA256 and MD5",
        ),
    ]

    selected: reactive[KeyEntry | None] = reactive(None, bindings=True)
    art_hash: reactive[str] = reactive("sha256")

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory
        self.result: ScanResult | None = None
        self.agent_keys: frozenset[str] = frozenset()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter: file, comment, type or fingerprint", id="filter")
        with Horizontal(id="main"):
            with Vertical(id="list"):
                yield KeyTable(id="keys")
                yield Static(id="empty")
            yield KeyDetails(id="details")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#empty", Static).display = False
        self.rescan()

    def all_actions(self) -> list[Binding]:
        return [b for b in self.BINDINGS if isinstance(b, Binding)]

    # --- scanning -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="scan")
    def rescan(self) -> None:
        result = scan_directory(self.directory)
        self.app.call_from_thread(self.show_result, result)

    def show_result(self, result: ScanResult) -> None:
        self.result = result
        self.refresh_table()

    def visible_entries(self) -> list[KeyEntry]:
        if self.result is None:
            return []
        needle = self.query_one("#filter", Input).value
        return [e for e in self.result.keys if matches(e, needle)]

    def refresh_table(self) -> None:
        table = self.query_one(KeyTable)
        entries = self.visible_entries()
        table.show(entries, self.agent_keys)
        empty = self.query_one("#empty", Static)
        message = self.empty_message(entries)
        empty.display = message is not None
        table.display = message is None
        if message is not None:
            empty.update(message)
        self.update_selected()

    def empty_message(self, entries: list[KeyEntry]) -> str | None:
        if self.result is None or entries:
            return None
        shown = home_relative(self.directory)
        if not self.result.exists:
            return f"There is no {shown} directory yet.\n\nPress n to create your first key; the directory will be made for you."
        if not self.result.keys:
            return f"No keys in {shown} yet.\n\nPress n to create your first key."
        return "No key matches the filter.\n\nPress escape to clear it."

    def update_selected(self) -> None:
        name = self.query_one(KeyTable).selected_name
        entry = None
        if self.result is not None and name is not None:
            entry = next((e for e in self.result.keys if e.name == name), None)
        self.selected = entry
        self.query_one(KeyDetails).show(
            entry, self.art_hash, entry is not None and entry.public.sha256 in self.agent_keys
        )

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self.update_selected()

    def watch_art_hash(self) -> None:
        if self.is_mounted:
            self.update_selected()

    # --- actions --------------------------------------------------------------------------

    def action_new_key(self) -> None:
        from tui.screens.wizard import WizardScreen

        self.app.push_screen(WizardScreen(self.directory))

    def action_upload(self) -> None:
        from tui.screens.upload import UploadScreen

        entry = self.selected
        key_path = (entry.public_path or entry.path) if entry else None
        self.app.push_screen(UploadScreen(key_path=key_path))

    def action_test(self) -> None:
        from tui.screens.tester import TesterScreen

        entry = self.selected
        self.app.push_screen(TesterScreen(key_path=entry.path if entry else None))

    def action_rescan(self) -> None:
        self.rescan()

    def action_toggle_art(self) -> None:
        self.art_hash = "md5" if self.art_hash == "sha256" else "sha256"

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("shown")
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self.refresh_table()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(KeyTable).focus()
