"""The key list's footer: Textual's compact footer that keeps ``? Help`` and ``q Quit`` in view.

At 80 columns not every key of the key list fits on one line, and Textual's footer cuts off
whatever comes last, which is the way out and the way to the help. This footer leaves out
keys, least needed first (``drop_first``), until the rest fits; every key still works, and
the help screen (``?``) and the command palette list them all.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual.widget import Widget
from textual.widgets import Footer


def item_width(key_display: str, description: str) -> int:
    """Cells one key takes in a compact footer: ``key description`` and a one-cell margin."""
    return cell_len(key_display) + (1 + cell_len(description) if description else 0) + 1


class KeyFooter(Footer):
    """A compact :class:`~textual.widgets.Footer` that fits its width by leaving keys out."""

    def __init__(self, drop_first: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(id=id, compact=True, show_command_palette=False)
        self.drop_first = tuple(drop_first)  # actions, the first one left out first

    def on_resize(self) -> None:
        self.fit()

    async def recompose(self) -> None:
        await super().recompose()  # Textual rebuilds the keys when what applies changes
        self.fit()

    def keys(self) -> list[Widget]:
        """The footer's key widgets (each has ``action``, ``key_display``, ``description``)."""
        return [child for child in self.children if hasattr(child, "action")]

    def fit(self) -> None:
        width = self.size.width
        if not width:
            return
        keys = self.keys()
        for key in keys:
            key.display = True
        needed = sum(self._width(key) for key in keys)
        for action in self.drop_first:
            if needed <= width:
                break
            for key in keys:
                if key.display and getattr(key, "action", None) == action:
                    key.display = False
                    needed -= self._width(key)

    @staticmethod
    def _width(key: Widget) -> int:
        return item_width(
            str(getattr(key, "key_display", "")), str(getattr(key, "description", ""))
        )

    def shown_actions(self) -> list[str]:
        """The actions whose keys are on screen, in order (for tests)."""
        return [str(getattr(k, "action", "")) for k in self.keys() if k.display]
