"""The detail pane: everything about the selected key, and what is wrong with it."""

from __future__ import annotations

import re
import time
from pathlib import Path

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tui.core.keys.scan import KeyEntry
from tui.core.text import visible


def home_relative(path: Path) -> str:
    """``~/.ssh/id_rsa`` rather than ``/home/alice/.ssh/id_rsa``: shorter, and no user name.

    For display only: control characters in the name are made visible (``\\033``), since a
    file name is untrusted text.
    """
    try:
        shown = "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        shown = str(path)
    return visible(shown)


def home_tilde(text: str) -> str:
    """Messages and commands with ``~/`` for the home directory, as a person would type them.

    A path inside shell quotes keeps its full form: ``'~/my keys'`` would not expand. For
    display only: control characters are made visible, line breaks kept.
    """
    home = re.escape(str(Path.home()).rstrip("/") + "/")
    return visible(re.sub(rf"(?<!['\"]){home}", "~/", text), multiline=True)


#: What to press in the app for a problem the app can fix itself; the CLI's command otherwise.
APP_FIXES = {
    "unprotected-private-key": "press f (runs {fix})",
    "ssh-dir-permissions": "press f (runs {fix})",
    "unencrypted-private-key": "press p to add a passphrase",
    "weak-key": "press n to make a new Ed25519 key, then replace this one where it is used",
}


def app_fix(code: str, fix: str) -> str:
    """The fix as the app offers it (``press p to add a passphrase``), for the detail pane."""
    template = APP_FIXES.get(code)
    return template.format(fix=fix) if template else fix


def _validity(after: int, before: int) -> str:
    def stamp(value: int) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(value))

    if after == 0 and before >= 2**64 - 1:
        return "forever"
    start = "always" if after == 0 else stamp(after)
    end = "forever" if before >= 2**64 - 1 else stamp(before)
    return f"from {start} to {end}"


def describe(entry: KeyEntry, agent: bool = False) -> Text:
    """The key's facts, public line, certificate and problems as one Text.

    One Text rather than a Rich table: the pane is redrawn on every cursor move, and a table
    costs a measuring pass per draw.
    """
    public = entry.public
    rows: list[tuple[str, str]] = []
    if entry.path is not None:
        rows.append(("Private key", home_relative(entry.path)))
    rows.append(
        ("Public key", home_relative(entry.public_path) if entry.public_path else "(no .pub file)")
    )
    rows.append(("Type", f"{visible(public.label)} {public.bits} bits"))
    rows.append(("SHA256", public.sha256))
    rows.append(("MD5", public.md5))
    rows.append(("Comment", visible(public.comment) if public.comment else "(none)"))
    if entry.encrypted is not None:
        rows.append(("Passphrase", "yes" if entry.encrypted else "none"))
    rows.append(("ssh-agent", "loaded" if agent else "not loaded"))
    cert = public.certificate
    if cert is not None:
        rows.append(("Certificate", f'{cert.cert_type} certificate, id "{visible(cert.key_id)}"'))
        rows.append(("Principals", visible(", ".join(cert.principals)) or "(any)"))
        rows.append(("Valid", _validity(cert.valid_after, cert.valid_before)))
        rows.append(("Signed by", cert.signing_key_sha256))
    # plain Text (never markup) of visible text: a comment "[/]" or "\x1b]52;..." shows as typed
    text = Text(overflow="fold")
    for label, value in rows:
        text.append(f"{label:<13}", style="bold")
        text.append(value + "\n")
    text.append("Public line\n", style="bold")
    text.append(visible(public.line()))
    for problem in entry.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        text.append("\n✗ " if colour == "red" else "\n! ", style=f"bold {colour}")
        text.append(home_tilde(problem.message))
        text.append("\n  fix: ")
        text.append(home_tilde(app_fix(problem.code, problem.fix)), style="bold")
    return text


def art(entry: KeyEntry, art_hash: str = "sha256") -> RenderableType:
    """The randomart exactly as ssh-keygen draws it, and how to switch the hash."""
    other = "MD5" if art_hash == "sha256" else "SHA256"
    return Group(
        Text(entry.public.randomart(art_hash), style="bold"),
        Text(f"m: {other} art", style="dim"),
    )


class KeyDetails(Horizontal):
    """Shows one key, or nothing; the screen pushes the entry down (attributes down)."""

    DEFAULT_CSS = """
    KeyDetails { height: auto; padding: 0 1; }
    KeyDetails > #details-art { width: 19; margin-right: 2; }
    KeyDetails > #details-body { width: 1fr; }
    """

    shown: KeyEntry | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="details-art")
        yield Static(id="details-body")

    def show(self, entry: KeyEntry | None, art_hash: str = "sha256", agent: bool = False) -> None:
        self.display = entry is not None
        self.shown = entry
        if entry is not None:
            self.query_one("#details-art", Static).update(art(entry, art_hash))
            self.query_one("#details-body", Static).update(describe(entry, agent))
