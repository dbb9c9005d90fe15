"""The key list's flows that change something: passphrase, comment, agent, delete, fix.

Each flow is an async worker (``tui.workers.work``): it asks through modals
(``push_screen_wait``), runs the core in a thread (bcrypt and file IO), and ends with a
notification. A failure (the core's ``SshDeckError``, an ``OSError``, or a key deleted by
another program while its dialog was open) becomes a notification with its sentence; the app
stays up. The keyring is tried before any passphrase prompt; a passphrase is stored only when
asked. Names and comments are shown with ``visible`` escapes, never as markup.

Every file change, keyring call and agent request is the core's ``KeyService``
(``app.services.keys``); this module only asks and tells.
"""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any

from tui.core.errors import WrongPassphrase
from tui.core.keys.private import OpenedKey
from tui.core.keys.scan import KeyEntry
from tui.core.keys.trash import TrashRecord
from tui.core.text import visible
from tui.screens.app_services import key_service
from tui.screens.modals import (
    AgentAddScreen,
    ChangePassphraseScreen,
    ConfirmScreen,
    EditCommentScreen,
)
from tui.screens.passphrase import AskPassphrase
from tui.widgets.key_details import home_relative, home_tilde
from tui.workers import work

if TYPE_CHECKING:
    from textual.screen import Screen

    _Base = Screen[None]
else:
    _Base = object


class KeyActions(_Base):
    """Mixed into KeysScreen; relies on its state (``selected``, ``trash``...)."""

    if TYPE_CHECKING:
        selected: KeyEntry | None
        agent_keys: frozenset[str]
        trash: list[TrashRecord]
        undo_count: int

        def rescan(self) -> Any: ...
        def refresh_agent(self) -> Any: ...
        def select_after_scan(self, name: str) -> None: ...

    def _say(self, text: str, severity: str = "information") -> None:
        """A notification of the flow's outcome: plain text, never markup (it names a key)."""
        self.notify(text, severity=severity, markup=False)  # type: ignore[arg-type]

    async def unlock(self, entry: KeyEntry, why: str) -> tuple[OpenedKey, str | None] | None:
        """Open the private key: no passphrase, the keyring's, or one typed (asked again if wrong)."""
        assert entry.path is not None
        path = entry.path
        keys = key_service(self)
        if not entry.encrypted:
            return await asyncio.to_thread(keys.open_key, path, None), None
        stored = await asyncio.to_thread(keys.stored_passphrase, entry.public.sha256)
        if stored is not None:
            try:
                return await asyncio.to_thread(keys.open_key, path, stored), stored
            except WrongPassphrase:
                pass  # the key changed since; ask
        detail = why
        while True:
            typed = await self.app.push_screen_wait(
                AskPassphrase(f"Passphrase for {home_relative(path)}", detail)
            )
            if typed is None:
                return None
            try:
                return await asyncio.to_thread(keys.open_key, path, typed), typed
            except WrongPassphrase as exc:
                detail = str(exc)

    # --- passphrase -----------------------------------------------------------------------

    def action_passphrase(self) -> None:
        if self.selected is not None and self.selected.path is not None:
            self.change_passphrase_flow(self.selected)

    @work(exclusive=True, group="key-action")
    async def change_passphrase_flow(self, entry: KeyEntry) -> None:
        assert entry.path is not None
        keys = key_service(self)
        sha = entry.public.sha256
        stored = None
        if entry.encrypted:
            stored = await asyncio.to_thread(keys.stored_passphrase, sha)
        status = await asyncio.to_thread(keys.keyring_status)
        reason = None if status.available else status.reason or "No system keyring is available."
        error = ""
        ask_current = bool(entry.encrypted) and stored is None
        while True:
            answer = await self.app.push_screen_wait(
                ChangePassphraseScreen(
                    entry.name, ask_current, reason, error, has_passphrase=entry.encrypted is True
                )
            )
            if answer is None:
                return
            current = answer.current if ask_current else stored
            try:
                changed = await asyncio.to_thread(
                    functools.partial(
                        keys.change_passphrase,
                        entry.path,
                        current,
                        answer.new or None,
                        sha256=sha,
                        remember=answer.remember,
                    )
                )
            except WrongPassphrase as exc:
                error, ask_current = str(exc), True
                continue
            break
        name = visible(entry.name)
        if answer.new:
            kept = ""
            if answer.remember:
                kept = (
                    " and saved in the keyring"
                    if changed.remembered
                    else "; the keyring refused to store it"
                )
            done = "was changed" if entry.encrypted else "was added"
            self._say(f"The passphrase of {name} {done}{kept}.")
        else:
            self._say(f"{name} is now stored without a passphrase.", severity="warning")
        self.rescan()

    # --- comment --------------------------------------------------------------------------

    def action_comment(self) -> None:
        if self.selected is not None and self.selected.path is not None:
            self.edit_comment_flow(self.selected)

    @work(exclusive=True, group="key-action")
    async def edit_comment_flow(self, entry: KeyEntry) -> None:
        assert entry.path is not None
        comment = await self.app.push_screen_wait(EditCommentScreen(entry.name, entry.comment))
        if comment is None or comment == entry.comment:
            return
        opened = await self.unlock(entry, "The comment is stored inside the encrypted key.")
        if opened is None:
            return
        try:
            await asyncio.to_thread(
                key_service(self).change_comment, entry.path, comment, opened[1]
            )
        finally:
            self.rescan()  # also when the key was deleted meanwhile: the list drops it
        shown = visible(comment) if comment else "(none)"
        self._say(f"The comment of {visible(entry.name)} is now {shown}.")

    # --- agent ----------------------------------------------------------------------------

    def action_agent(self) -> None:
        if self.selected is not None:
            self.agent_flow(self.selected)

    @work(exclusive=True, group="key-action")
    async def agent_flow(self, entry: KeyEntry) -> None:
        name = visible(entry.name)
        keys = key_service(self)
        try:
            if entry.public.sha256 in self.agent_keys:
                await keys.agent_remove(entry.public)
                self._say(f"Removed {name} from the ssh-agent.")
            else:
                if entry.path is None:
                    return
                sha = entry.public.sha256
                stored = None
                if entry.encrypted:
                    stored = await asyncio.to_thread(keys.stored_passphrase, sha)
                status = await asyncio.to_thread(keys.keyring_status)
                choice = await self.app.push_screen_wait(
                    AgentAddScreen(
                        entry.name,
                        ask_remember=bool(entry.encrypted) and stored is None,
                        keyring_reason=None if status.available else status.reason,
                    )
                )
                if choice is None:
                    return
                opened = await self.unlock(entry, "The ssh-agent needs the key decrypted.")
                if opened is None:
                    return
                await keys.agent_add(entry.path, opened[0], choice.lifetime)
                if choice.remember and opened[1]:
                    await asyncio.to_thread(keys.remember_passphrase, sha, opened[1])
                until = f" for {choice.lifetime} seconds" if choice.lifetime else ""
                self._say(f"Added {name} to the ssh-agent{until}.")
        finally:
            self.refresh_agent()

    # --- delete and restore ---------------------------------------------------------------

    def action_delete(self) -> None:
        if self.selected is not None:
            self.delete_flow(self.selected)

    @work(exclusive=True, group="key-action")
    async def delete_flow(self, entry: KeyEntry) -> None:
        files = [p for p in (entry.path, entry.public_path) if p is not None]
        names = "\n".join(home_relative(p) for p in files)
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                f"Delete {visible(entry.name)}?",
                "These files move to the trash folder; ctrl+z brings them back while sshdeck is open.",
                names,
                confirm_label="Delete",
                enter_confirms=True,
            )
        )
        if not confirmed:
            return
        try:
            record = await asyncio.to_thread(key_service(self).delete, files)
        finally:
            self.rescan()
        self.trash.append(record)
        self.undo_count = len(self.trash)
        self._say(f"Moved {visible(entry.name)} to the trash; ctrl+z restores it.")

    def action_undo_delete(self) -> None:
        if self.trash:
            self.restore_flow()

    @work(exclusive=True, group="key-action")
    async def restore_flow(self) -> None:
        record = self.trash[-1]
        restored = await asyncio.to_thread(key_service(self).restore, record)
        self.trash.pop()
        self.undo_count = len(self.trash)
        self._say(f"Restored {', '.join(home_relative(p) for p in restored)}.")
        self.select_after_scan(restored[0].name)

    # --- permission fixes -----------------------------------------------------------------

    def action_fix(self) -> None:
        if self.selected is not None:
            self.fix_flow(self.selected)

    @work(exclusive=True, group="key-action")
    async def fix_flow(self, entry: KeyEntry) -> None:
        problems = key_service(self).fixable(entry)
        if not problems:
            return
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                f"Fix the permissions of {visible(entry.name)}?",
                "\n".join(home_tilde(p.message) for p in problems),
                "\n".join(home_tilde(p.fix) for p in problems),
                confirm_label="Run it",
                enter_confirms=True,
            )
        )
        if not confirmed:
            return
        try:
            await asyncio.to_thread(key_service(self).fix_permissions, entry)
        finally:
            self.rescan()
        self._say("Fixed: " + "; ".join(home_tilde(p.fix) for p in problems))
