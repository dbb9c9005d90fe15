"""The core's services, built once and handed to the app (harlequin's injected adapter).

``make_app(services=Services.create(settings))``: tests and the screenshot script hand in
services built from a :class:`~tui.core.settings.Settings` pointed at a temporary HOME and the
cloud API emulator; ``sshdeck`` builds them from the real environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.core.connect.service import ProbeService
from tui.core.keys.service import KeyService
from tui.core.settings import Settings
from tui.core.upload.service import CloudService, InstallService

__all__ = ["Services"]


@dataclass(frozen=True)
class Services:
    settings: Settings
    keys: KeyService
    probe: ProbeService
    installs: InstallService
    cloud: CloudService

    @classmethod
    def create(cls, settings: Settings | None = None) -> Services:
        settings = settings or Settings.from_environment()
        return cls(
            settings=settings,
            keys=KeyService(settings),
            probe=ProbeService(settings),
            installs=InstallService(settings),
            cloud=CloudService(settings),
        )
