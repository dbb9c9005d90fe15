"""The core stays UI-free, and key commands stay light (cold start matters in scripts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.keyfactory import keygen

REPO = Path(__file__).resolve().parents[2]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        timeout=120,
    ).stdout
    return set(out.split())


# httpx imports rich for its own command line when rich is installed (it is, with Textual) and
# carries on without it; blocking rich shows whether any core module needs it itself.
_BLOCK_UI = (
    "import sys\n"
    "class _Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] in ('textual', 'rich'): raise ImportError(name)\n"
    "sys.meta_path.insert(0, _Block())\n"
)


def test_core_never_imports_textual_or_rich() -> None:
    modules = _modules_after(
        _BLOCK_UI + "import pkgutil, importlib, tui.core\n"
        "for m in pkgutil.walk_packages(tui.core.__path__, 'tui.core.'): importlib.import_module(m.name)"
    )
    assert "tui.core.keys.public" in modules and "tui.core.keys.scan" in modules
    assert not {m for m in modules if m.split(".")[0] in ("textual", "rich")}


def test_key_commands_import_neither_textual_nor_asyncssh(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k", "ed25519")
    for argv in (
        ["fingerprint", "-v", "-f", str(key)],
        ["list", "--dir", str(tmp_path), "--json"],
        ["pub", "-f", str(key)],
        ["keygen", "-N", "", "-C", "c", "-f", str(tmp_path / "new")],
        ["comment", "-f", str(key), "-C", "renamed"],
        ["passwd", "-f", str(key), "-N", "a passphrase", "-a", "1"],
    ):
        modules = _modules_after(
            "import contextlib, io\nfrom tui.__main__ import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()): main({argv!r})"
        )
        heavy = {
            m
            for m in modules
            if m.split(".")[0] in ("textual", "rich", "asyncssh", "httpx", "asyncio")
        }
        assert not heavy, (argv, sorted(heavy)[:5])
