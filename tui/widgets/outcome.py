"""The tester's outcome panel: the diagnosis, the fix, what logged in, a note on the server's
system, the possible causes of a refusal (most likely first), the host key's randomart, and the
next-step buttons.

It displays what it is handed (already made safe: escaped, in the app's words); the screen owns
the result and handles the buttons' ``Button.Pressed`` (``#upload``, ``#trust``,
``#fix-permissions``), which bubble up to it. Every text is plain (``markup=False``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

__all__ = ["CauseLine", "OutcomePanel"]


@dataclass(frozen=True)
class CauseLine:
    """One possible cause as shown: what it is, and how to check it on the server."""

    text: str
    check: str
    confirmed: bool = False


def causes_text(causes: Sequence[CauseLine]) -> str:
    """The ranked causes as numbered lines (one established cause: said as such)."""
    if not causes:
        return ""
    if len(causes) == 1 and causes[0].confirmed:
        return f"Cause found: {causes[0].text}.\n   Check: {causes[0].check}."
    lines = ["Possible causes, most likely first:"]
    for number, cause in enumerate(causes, 1):
        lines.append(f"{number}. {cause.text}.")
        lines.append(f"   Check: {cause.check}.")
    return "\n".join(lines)


class OutcomePanel(Horizontal):
    """The end of a run, shown below the transcript."""

    def compose(self) -> ComposeResult:
        with Vertical(id="outcome-text"):
            yield Static("", id="diagnosis", markup=False)
            yield Static("", id="fix", markup=False)
            yield Static("", id="login-key", markup=False)
            yield Static("", id="power-os", markup=False)
            yield Static("", id="causes", markup=False)
            with Horizontal(id="next-steps"):
                yield Button("Upload this key", id="upload")
                yield Button("Trust this host key", variant="warning", id="trust")
                yield Button("Fix permissions", variant="warning", id="fix-permissions")
        yield Static("", id="hostkey", markup=False)

    def show(
        self,
        diagnosis: str,
        fix: str = "",
        hostkey: str = "",
        *,
        ok: bool | None = None,
        login: str = "",
        note: str = "",
        causes: Sequence[CauseLine] = (),
    ) -> None:
        """Show these texts; an empty one hides its line."""
        self.set_class(ok is True, "-ok")
        self.set_class(ok is False, "-failed")
        self.query_one("#diagnosis", Static).update(diagnosis)
        for name, text in (
            ("fix", fix),
            ("login-key", login),
            ("power-os", note),
            ("causes", causes_text(causes)),
        ):
            box = self.query_one(f"#{name}", Static)
            box.update(text)
            box.display = bool(text)
        art = self.query_one("#hostkey", Static)
        art.update(hostkey)
        art.set_class(bool(hostkey), "-shown")

    def show_steps(self, *, upload: bool = False, trust: bool = False, fix: bool = False) -> None:
        """Which next-step buttons apply to this result."""
        self.query_one("#upload").display = upload
        self.query_one("#trust").display = trust
        self.query_one("#fix-permissions").display = fix
        self.query_one("#next-steps").display = upload or trust or fix
