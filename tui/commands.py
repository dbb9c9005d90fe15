"""Command palette (``ctrl+p``): every key list action, the ones that do not apply greyed out.

An action that does not apply to the selected key stays in the list (dimmed, with the reason as
its help line) so the palette shows everything the app can do; choosing it only says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from tui.core.text import visible


@dataclass(frozen=True)
class PaletteAction:
    name: str
    action: str
    help: str
    enabled: bool


def unavailable_reason(screen: object, action: str) -> str:
    """One sentence: why ``action`` does not apply right now on the key list."""
    selected = getattr(screen, "selected", None)
    if action == "agent" and getattr(screen, "agent_message", None):
        return visible(str(screen.agent_message))  # type: ignore[attr-defined]
    if action == "undo_delete":
        return "Nothing to restore: no key pair was deleted in this session."
    if action == "clear_filter":
        return "No filter is set."
    if selected is None:
        return "Select a key first (press n to create one)."
    if action == "fix":
        return "The selected key has no file permission problem to fix."
    return "It does not apply to the selected key (a public key without its private key)."


class KeyCommands(Provider):
    """Offers every binding of the key list screen; those that do not apply come dimmed."""

    def _commands(self) -> list[PaletteAction]:
        from tui.screens.keys import KeysScreen

        screen = self.screen
        if not isinstance(screen, KeysScreen):
            return []
        found = []
        for binding in screen.all_actions():
            enabled = screen.check_action(binding.action, ()) is True
            help_text = binding.tooltip
            if not enabled:
                help_text = f"{binding.tooltip} — not available: {unavailable_reason(screen, binding.action)}"
            # the palette reads a help line as markup: escaped, so a reason naming a file or an
            # agent's error text shows as typed
            found.append(
                PaletteAction(binding.description, binding.action, escape(help_text), enabled)
            )
        return found

    def _callback(self, command: PaletteAction) -> Callable[[], object]:
        screen = self.screen
        if command.enabled:
            return partial(screen.run_action, command.action)
        return partial(
            screen.notify,
            unavailable_reason(screen, command.action),
            severity="warning",
            markup=False,
        )

    @staticmethod
    def _display(command: PaletteAction, shown: Content) -> Content:
        return shown if command.enabled else shown.stylize("dim")

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(
                self._display(command, Content(command.name)),
                self._callback(command),
                text=command.name,
                help=command.help,
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(
                    score if command.enabled else score / 2,
                    self._display(command, matcher.highlight(command.name)),
                    self._callback(command),
                    text=command.name,
                    help=command.help,
                )
