"""The app's services as the upload panels find them.

The real app carries ``app.services`` (``make_app(directory, services)``); a test that mounts the
upload screen in a bare ``App`` gets services built from the environment once for that app, so
the panels never build clients, read the keyring or write files on their own.
"""

from __future__ import annotations

import weakref
from typing import Any

from textual.app import App

from tui.core.upload.cloud_session import CloudSession
from tui.services import Services

__all__ = ["services_of", "session_for"]

_FALLBACK: weakref.WeakKeyDictionary[App[Any], Services] = weakref.WeakKeyDictionary()


def services_of(app: App[Any]) -> Services:
    """``app.services``, or services read from the environment once per app."""
    services = getattr(app, "services", None)
    if isinstance(services, Services):
        return services
    found = _FALLBACK.get(app)
    if found is None:
        found = _FALLBACK[app] = Services.create()
    return found


def session_for(app: App[Any]) -> CloudSession:
    """The app's one IBM Cloud login, kept while the app runs."""
    return services_of(app).cloud.session
