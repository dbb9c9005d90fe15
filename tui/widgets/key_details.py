"""The detail pane: everything about the selected key, and what is wrong with it."""

from __future__ import annotations

import re
import time
from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table
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


def describe(entry: KeyEntry, agent: bool = False) -> RenderableType:
    """A Rich renderable of the key's facts, public line, certificate and problems."""
    public = entry.public
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    if entry.path is not None:
        facts.add_row("Private key", home_relative(entry.path))
    facts.add_row(
        "Public key", home_relative(entry.public_path) if entry.public_path else "(no .pub file)"
    )
    facts.add_row("Type", f"{public.label} {public.bits} bits")
    facts.add_row("SHA256", public.sha256)
    facts.add_row("MD5", public.md5)
    facts.add_row("Comment", public.comment or "(none)")
    if entry.encrypted is not None:
        facts.add_row("Passphrase", "yes" if entry.encrypted else "none")
    facts.add_row("ssh-agent", "loaded" if agent else "not loaded")
    cert = public.certificate
    if cert is not None:
        facts.add_row("Certificate", f"{cert.cert_type} certificate, id {cert.key_id!r}")
        facts.add_row("Principals", ", ".join(cert.principals) or "(any)")
        facts.add_row("Valid", _validity(cert.valid_after, cert.valid_before))
        facts.add_row("Signed by", cert.signing_key_sha256)
    facts.add_row("Public line", Text(public.line(), overflow="fold"))
    parts: list[RenderableType] = [facts]
    if entry.problems:
        parts.append(Text(""))
        for problem in entry.problems:
            colour = "red" if problem.severity == "error" else "yellow"
            mark = "✗ " if colour == "red" else "! "
            parts.append(Text.assemble((mark, f"bold {colour}"), home_tilde(problem.message)))
            parts.append(Text.assemble("  fix: ", (home_tilde(problem.fix), "bold")))
    return Group(*parts)


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

    def compose(self) -> ComposeResult:
        yield Static(id="details-art")
        yield Static(id="details-body")

    def show(self, entry: KeyEntry | None, art_hash: str = "sha256", agent: bool = False) -> None:
        self.display = entry is not None
        if entry is not None:
            self.query_one("#details-art", Static).update(art(entry, art_hash))
            self.query_one("#details-body", Static).update(describe(entry, agent))
