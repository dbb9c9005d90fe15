"""The layers, enforced by the tools: import-linter's contracts (pyproject ``[tool.importlinter]``)
run as part of the suite, so a core module that imports Textual, a widget that imports a screen
or a CLI command that imports the app fails the build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint), "--config", str(REPO / "pyproject.toml")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = result.stdout.lower().split("contracts:")[-1]
    assert " 0 broken" in summary and "4 kept" in summary, summary
