"""The detail pane: everything about the selected key, and what is wrong with it."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.core.scan import KeyEntry


def home_relative(path: Path) -> str:
    """``~/.ssh/id_rsa`` rather than ``/home/alice/.ssh/id_rsa``: shorter, and no user name."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def _validity(after: int, before: int) -> str:
    def stamp(value: int) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(value))

    if after == 0 and before >= 2**64 - 1:
        return "forever"
    start = "always" if after == 0 else stamp(after)
    end = "forever" if before >= 2**64 - 1 else stamp(before)
    return f"from {start} to {end}"


def describe(entry: KeyEntry, art_hash: str = "sha256", agent: bool = False) -> RenderableType:
    """A Rich renderable of the key: facts, randomart, public line, certificate, problems."""
    public = entry.public
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
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
    parts: list[RenderableType] = [facts, Text("")]
    parts.append(Text(public.randomart(art_hash), style="bold"))
    parts.append(
        Text(f"(press m for the {'MD5' if art_hash == 'sha256' else 'SHA256'} art)", style="dim")
    )
    parts.append(Text(""))
    parts.append(Text("Public key line", style="bold"))
    parts.append(Text(public.line(), overflow="fold"))
    if entry.problems:
        parts.append(Text(""))
        parts.append(Text("Problems", style="bold"))
        for problem in entry.problems:
            colour = "red" if problem.severity == "error" else "yellow"
            parts.append(
                Text.assemble(("✗ " if colour == "red" else "! ", colour), problem.message)
            )
            parts.append(Text.assemble("  fix: ", (problem.fix, "bold")))
    return Group(*parts)


class KeyDetails(VerticalScroll):
    """Shows one key, or nothing; the screen pushes the entry down (attributes down)."""

    DEFAULT_CSS = """
    KeyDetails { padding: 0 1; }
    KeyDetails > Static { width: 100%; }
    """

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="details-body")

    def show(self, entry: KeyEntry | None, art_hash: str = "sha256", agent: bool = False) -> None:
        body = self.query_one("#details-body", Static)
        if entry is None:
            body.update("")
        else:
            body.update(describe(entry, art_hash, agent))
