"""The key list: a table of the keys in one directory, the selected key's details, and actions.

The screen owns the state (scan result, agent keys, trash records); the table and the detail
pane only display what they are given. Scans run in thread workers and the agent is asked in
async workers, so the UI never waits on a disk or a socket. The flows that change a key
(passphrase, comment, agent, delete, fix) live in ``tui.screens.key_actions``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import sys
from pathlib import Path

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from tui.core.keys import agent as agent_core
from tui.core.keys.scan import FIXABLE, KeyEntry, ScanResult
from tui.core.keys.trash import TrashRecord
from tui.core.text import visible
from tui.messages import KeysChanged
from tui.screens.app_services import key_service
from tui.screens.key_actions import KeyActions
from tui.widgets.key_details import KeyDetails, home_relative
from tui.widgets.key_footer import KeyFooter
from tui.widgets.key_table import KeyTable, matches
from tui.workers import work

POLL_SECONDS = 2.0
#: Footer keys left out first when the terminal is narrow (80 columns); ? and q always stay.
FOOTER_DROP_FIRST = (
    "rescan",
    "undo_delete",
    "agent",
    "comment",
    "filter",
    "fix",
    "passphrase",
    "copy",
    "test",
    "upload",
    "delete",
    "new_key",
)


def directory_signature(directory: Path) -> tuple[object, ...]:
    """Names, sizes, modes and mtimes of the directory's entries: cheap to compare, no reads."""
    try:
        st = directory.stat()
        entries = []
        with os.scandir(directory) as it:
            for item in it:
                try:
                    s = item.stat()
                except OSError:
                    continue
                entries.append((item.name, s.st_size, s.st_mode, s.st_mtime_ns, s.st_ino))
    except OSError:
        return ("missing",)
    return (st.st_mode, st.st_mtime_ns, tuple(sorted(entries)))


class KeysScreen(KeyActions, Screen[None]):
    CSS_PATH = "keys.tcss"
    AUTO_FOCUS = "KeyTable"
    BINDINGS = [
        Binding("n", "new_key", "New", tooltip="Generate a new key pair (the wizard)"),
        Binding("u", "upload", "Upload", tooltip="Upload the public key to a cloud or a host"),
        Binding("t", "test", "Test", tooltip="Test a connection with this key"),
        Binding("c", "copy", "Copy", tooltip="Copy the public key line to the clipboard"),
        Binding("p", "passphrase", "Passphrase", tooltip="Add, change or remove the passphrase"),
        Binding("e", "comment", "Comment", tooltip="Edit the key's comment"),
        Binding("a", "agent", "Agent", tooltip="Add the key to the ssh-agent, or remove it"),
        Binding("d", "delete", "Delete", tooltip="Move the key pair to the trash"),
        Binding("ctrl+z", "undo_delete", "Undo", tooltip="Restore the last deleted pair"),
        Binding("f", "fix", "Fix", tooltip="Fix the key's file permissions (after a confirmation)"),
        Binding(
            "m",
            "toggle_art",
            "SHA256/MD5 art",
            show=False,
            tooltip="Switch the randomart between SHA256 and MD5",
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            tooltip="Filter by file, comment, type or fingerprint",
        ),
        Binding("escape", "clear_filter", "Clear filter", show=False, tooltip="Clear the filter"),
        Binding("r", "rescan", "Rescan", tooltip="Read the key directory again"),
        Binding("q", "app.quit", "Quit", tooltip="Leave sshdeck"),
        Binding("question_mark", "app.help", "Help", key_display="?", tooltip="This list"),
    ]

    # Not bindings=True: the footer would be rebuilt on every cursor move. Whatever changes
    # what applies calls sync_bindings, which rebuilds it only when that really changed.
    # by update_selected, which refreshes the bindings only when what applies changed
    selected: reactive[KeyEntry | None] = reactive(None)
    agent_keys: reactive[frozenset[str]] = reactive(frozenset())
    agent_message: reactive[str | None] = reactive(None)  # None: agent reachable
    undo_count: reactive[int] = reactive(0)
    filter_text: reactive[str] = reactive("")
    art_hash: reactive[str] = reactive("sha256")

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory
        self.result: ScanResult | None = None
        self.signature: tuple[object, ...] | None = None
        self.trash: list[TrashRecord] = []
        self.select_next: str | None = None
        self.applicable: tuple[bool | None, ...] = ()
        self.by_name: dict[str, KeyEntry] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter: file, comment, type or fingerprint", id="filter")
        with Vertical(id="main"):
            yield KeyTable(id="keys")
            yield Static(id="empty")
            yield KeyDetails(id="details")
        yield Static(id="status")
        # ctrl+p is in the help screen; its footer label would push "? Help" off 120 columns.
        yield KeyFooter(FOOTER_DROP_FIRST)

    def on_mount(self) -> None:
        self.query_one("#empty", Static).display = False
        self.rescan()
        self.refresh_agent()
        self.set_interval(POLL_SECONDS, self.poll)

    def on_screen_resume(self) -> None:
        if self.result is not None:  # back from another screen (not the first show)
            self.rescan()

    def all_actions(self) -> list[Binding]:
        """Every action of the screen, for the help screen and the command palette."""
        return [b for b in self.BINDINGS if isinstance(b, Binding)]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """None greys an action out in the footer (and drops it from the palette)."""
        entry = self.selected
        if action in ("copy", "delete", "toggle_art"):
            return True if entry is not None else None
        if action in ("passphrase", "comment"):
            return True if entry is not None and entry.path is not None else None
        if action == "agent":
            if entry is None or self.agent_message is not None:
                return None
            loaded = entry.public.sha256 in self.agent_keys
            return True if loaded or entry.path is not None else None
        if action == "undo_delete":
            return True if self.undo_count else None
        if action == "fix":
            return True if entry is not None and self.fixable(entry) else None
        if action == "clear_filter":
            boxes = self.query("#filter")
            return bool(self.filter_text) or (bool(boxes) and boxes.first().has_class("shown"))
        return True

    def on_key(self, event: events.Key) -> None:
        """A greyed-out key says why instead of doing nothing (keys a field took never get here).

        Escape is left alone: with no filter set it has nothing to clear, and nothing to say.
        """
        from tui.commands import unavailable_reason

        for binding in self.all_actions():
            if binding.key != event.key or binding.action == "clear_filter":
                continue
            if self.check_action(binding.action, ()) is None:
                event.stop()
                event.prevent_default()
                reason = unavailable_reason(self, binding.action)
                self.notify(
                    f"{binding.description}: {reason}",
                    severity="warning",
                    timeout=4,
                    markup=False,
                )
            return

    @staticmethod
    def fixable(entry: KeyEntry) -> list[object]:
        return [p for p in entry.problems if p.code in FIXABLE]

    # --- scanning and the agent -----------------------------------------------------------

    @work(thread=True, exclusive=True, group="scan")
    def rescan(self) -> None:
        signature = directory_signature(self.directory)
        result = key_service(self).scan(self.directory)
        with contextlib.suppress(RuntimeError):  # the app closed meanwhile
            self.app.call_from_thread(self.show_result, result, signature)

    @work(thread=True, exclusive=True, group="poll")
    def poll(self) -> None:
        """Rescan when the directory changed (stat only; keys are read only on a change)."""
        changed = directory_signature(self.directory) != self.signature
        with contextlib.suppress(RuntimeError):  # the app closed meanwhile
            if changed:
                self.app.call_from_thread(self.rescan)
            self.app.call_from_thread(self.refresh_agent)

    @work(exclusive=True, group="agent")
    async def refresh_agent(self) -> None:
        keys = key_service(self)
        if keys.agent_socket is None:  # no agent: say so without importing asyncssh
            self.agent_keys, self.agent_message = frozenset(), agent_core.NO_AGENT
            return
        if "asyncssh" not in sys.modules:  # a 0.3 s import must not freeze the first paint
            await asyncio.to_thread(importlib.import_module, "asyncssh")
        try:
            held = await keys.agent_keys()
        except agent_core.AgentUnavailable as exc:
            self.agent_keys, self.agent_message = frozenset(), str(exc)
        except agent_core.AgentError as exc:
            self.agent_keys, self.agent_message = frozenset(), str(exc)
        else:
            self.agent_keys, self.agent_message = frozenset(k.sha256 for k in held), None

    def sync_bindings(self) -> None:
        """Grey out or enable footer keys, only when what applies changed (a rebuild is costly)."""
        applicable = tuple(self.check_action(b.action, ()) for b in self.all_actions())
        if applicable != self.applicable:
            self.applicable = applicable
            # after the frame that shows the new selection: the footer can follow 16 ms later
            self.call_after_refresh(self.refresh_bindings)

    def watch_undo_count(self) -> None:
        self.sync_bindings()

    def watch_filter_text(self) -> None:
        self.sync_bindings()

    def watch_agent_keys(self) -> None:
        if self.is_mounted and self.result is not None:
            self.refresh_table()

    def watch_agent_message(self) -> None:
        if self.is_mounted:
            self.update_status()
            self.sync_bindings()

    def show_result(self, result: ScanResult, signature: tuple[object, ...]) -> None:
        self.result, self.signature = result, signature
        self.by_name = {e.name: e for e in result.keys}
        self.refresh_table()

    def visible_entries(self) -> list[KeyEntry]:
        if self.result is None:
            return []
        return [e for e in self.result.keys if matches(e, self.filter_text)]

    def refresh_table(self) -> None:
        table = self.query_one(KeyTable)
        entries = self.visible_entries()
        table.show(entries, self.agent_keys)
        if self.select_next is not None and self.select_next in table.rows:
            table.move_cursor(row=table.get_row_index(self.select_next), animate=False)
            self.select_next = None
        message = self.empty_message(entries)
        empty = self.query_one("#empty", Static)
        empty.display = message is not None
        table.display = message is None
        if message is not None:
            empty.update(Content(message))  # names the directory: plain text, never markup
        self.update_selected()
        self.update_status()

    def empty_message(self, entries: list[KeyEntry]) -> str | None:
        if self.result is None or entries:
            return None
        shown = home_relative(self.directory)
        if not self.result.exists:
            return (
                f"There is no {shown} directory yet.\n\n"
                "Press n to create your first key; the directory will be made for you (mode 700)."
            )
        if not self.result.keys:
            return f"No keys in {shown} yet.\n\nPress n to create your first key."
        return "No key matches the filter.\n\nPress escape to clear it."

    def update_status(self) -> None:
        count = len(self.result.keys) if self.result else 0
        parts = [f"{count} key{'s' if count != 1 else ''} in {home_relative(self.directory)}"]
        if self.result and self.result.skipped:
            parts.append(f"{len(self.result.skipped)} file(s) skipped")
        if self.agent_message is None:
            parts.append(f"ssh-agent: {len(self.agent_keys)} loaded")
        else:
            parts.append("no ssh-agent")
        if self.trash:
            parts.append("ctrl+z restores the last deleted pair")
        self.query_one("#status", Static).update(Content("  ·  ".join(parts)))

    def update_selected(self) -> None:
        name = self.query_one(KeyTable).selected_name
        entry = None
        if name is not None and self.query_one(KeyTable).display:
            entry = self.by_name.get(name)
        self.selected = entry
        self.sync_bindings()
        self.paint_details()

    def paint_details(self) -> None:
        entry = self.selected
        loaded = entry is not None and entry.public.sha256 in self.agent_keys
        self.query_one(KeyDetails).show(entry, self.art_hash, loaded)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self.update_selected()

    def watch_art_hash(self) -> None:
        if self.is_mounted:
            self.update_selected()

    def select_after_scan(self, name: str) -> None:
        """Put the cursor on ``name`` once the next scan lists it (a new or restored key)."""
        self.select_next = name
        self.rescan()

    @on(KeysChanged)
    def _keys_changed(self) -> None:
        self.rescan()

    # --- navigation and display actions ----------------------------------------------------

    def action_new_key(self) -> None:
        from tui.screens.wizard import WizardScreen

        self.app.push_screen(WizardScreen(self.directory))

    def action_upload(self) -> None:
        from tui.screens.upload.screen import UploadScreen

        entry = self.selected
        key_path = (entry.public_path or entry.path) if entry else None
        self.app.push_screen(UploadScreen(key_path=key_path))

    def action_test(self) -> None:
        from tui.screens.tester import TesterScreen

        entry = self.selected
        self.app.push_screen(TesterScreen(key_path=entry.path if entry else None))

    def action_rescan(self) -> None:
        self.rescan()
        self.refresh_agent()
        self.notify(f"Rescanning {home_relative(self.directory)}.", timeout=2, markup=False)

    def action_toggle_art(self) -> None:
        self.art_hash = "md5" if self.art_hash == "sha256" else "sha256"

    def action_copy(self) -> None:
        entry = self.selected
        if entry is None:
            return
        self.app.copy_to_clipboard(entry.public.line())
        self.notify(
            f"Copied the public key of {visible(entry.name)} ({entry.public.sha256}).",
            markup=False,
        )

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("shown")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.remove_class("shown")
        self.query_one(KeyTable).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.refresh_table()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        if not self.filter_text:
            self.query_one("#filter", Input).remove_class("shown")
        self.query_one(KeyTable).focus()
