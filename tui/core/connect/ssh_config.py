"""What sshdeck reads of ~/.ssh/config by itself (asyncssh applies the config when connecting)."""

from __future__ import annotations

from pathlib import Path


def config_hosts(path: Path | None = None) -> list[str]:
    """Host aliases of ~/.ssh/config (no patterns), for completion."""
    config = path or Path.home() / ".ssh" / "config"
    try:
        text = config.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    hosts: list[str] = []
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].replace("=", " ").split()
        if len(words) >= 2 and words[0].lower() == "host":
            hosts += [w for w in words[1:] if not any(c in w for c in "*?!") and w not in hosts]
    return hosts
