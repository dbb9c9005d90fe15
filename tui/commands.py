"""Command palette (``ctrl+p``): every key list action, greyed-out ones left out."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class KeyCommands(Provider):
    """Offers the bindings of the key list screen that apply to the selected key."""

    def _commands(self) -> list[tuple[str, str, str]]:
        from tui.screens.keys import KeysScreen

        screen = self.screen
        if not isinstance(screen, KeysScreen):
            return []
        found = []
        for binding in screen.all_actions():
            if screen.check_action(binding.action, ()) is True:
                found.append((binding.description, binding.action, binding.tooltip))
        return found

    async def discover(self) -> Hits:
        screen = self.screen
        for name, action, help_text in self._commands():
            yield DiscoveryHit(name, partial(screen.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        screen = self.screen
        for name, action, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(screen.run_action, action),
                    help=help_text,
                )
