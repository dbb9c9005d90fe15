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

from tui.core.scan import KeyEntry


def home_relative(path: Path) -> str:
    """``~/.ssh/id_rsa`` rather than ``/home/alice/.ssh/id_rsa``: shorter, and no user name."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def home_tilde(text: str) -> str:
    """Messages and commands with ``~/`` for the home directory, as a person would type them.

    A path inside shell quotes keeps its full form: ``'~/my keys'`` would not expand.
    """
    home = re.escape(str(Path.home()).rstrip("/") + "/")
    return re.sub(rf"(?<!['\"]){home}", "~/", text)


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
    rows.append(("Type", f"{public.label} {public.bits} bits"))
    rows.append(("SHA256", public.sha256))
    rows.append(("MD5", public.md5))
    rows.append(("Comment", public.comment or "(none)"))
    if entry.encrypted is not None:
        rows.append(("Passphrase", "yes" if entry.encrypted else "none"))
    rows.append(("ssh-agent", "loaded" if agent else "not loaded"))
    cert = public.certificate
    if cert is not None:
        rows.append(("Certificate", f"{cert.cert_type} certificate, id {cert.key_id!r}"))
        rows.append(("Principals", ", ".join(cert.principals) or "(any)"))
        rows.append(("Valid", _validity(cert.valid_after, cert.valid_before)))
        rows.append(("Signed by", cert.signing_key_sha256))
    text = Text(overflow="fold")
    for label, value in rows:
        text.append(f"{label:<13}", style="bold")
        text.append(value + "\n")
    text.append("Public line\n", style="bold")
    text.append(public.line())
    for problem in entry.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        text.append("\n✗ " if colour == "red" else "\n! ", style=f"bold {colour}")
        text.append(home_tilde(problem.message))
        text.append("\n  fix: ")
        text.append(home_tilde(problem.fix), style="bold")
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
