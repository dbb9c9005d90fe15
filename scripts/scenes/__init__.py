"""Screenshot scenes: each module here exposes ``SCENES: list[Scene]``.

``scripts/screenshots.py`` imports every module in this package, and for each scene: makes a
fresh temporary HOME (``HOME``, XDG dirs, an in-memory keyring and no agent), calls
``scene.prepare(home)`` (create throwaway keys, a config, start a local server...; returns a
cleanup callable or None), opens ``make_app(directory=home / ".ssh")`` with
``run_test(size=scene.size)``, awaits ``scene.drive(pilot)`` and saves
``screenshots/<scene.name>.svg``. Scenes must be deterministic: no clock, random or temp-path
text on screen (the runner uses a fixed HOME path, ``/tmp/sshdeck-screens/home``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOME = Path("/tmp/sshdeck-screens/home")


@dataclass(frozen=True)
class Scene:
    name: str  # file name without .svg, e.g. "keys-list"
    title: str  # caption for the README
    drive: Callable[[Any], Awaitable[None]]  # receives the Pilot
    prepare: Callable[[Path], Callable[[], None] | None] | None = None
    size: tuple[int, int] = (120, 40)
