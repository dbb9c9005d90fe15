"""The upload flows as services: a host install run (authorized_keys, like ssh-copy-id) and the
cloud session (the IBM Cloud login that lives as long as the app)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.core.settings import Settings
from tui.core.upload.cloud_session import CloudSession

__all__ = ["CloudService", "InstallService"]


@dataclass(frozen=True)
class InstallService:
    settings: Settings


@dataclass(frozen=True)
class CloudService:
    settings: Settings
    #: the one login, kept for the app's lifetime
    session: CloudSession = field(default_factory=CloudSession)
