"""The app's core services, typed, for screens: ``key_service(self)`` in a screen method.

Screens get the services the app was made with (``make_app(services=...)``), so tests and the
screenshot script can hand in ones pointed at a temporary HOME.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from tui.app import SshDeckApp
    from tui.core.keys.service import KeyService


def key_service(node: DOMNode) -> KeyService:
    """The app's :class:`~tui.core.keys.service.KeyService`."""
    return cast("SshDeckApp", node.app).services.keys
