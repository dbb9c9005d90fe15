"""A login to IBM Cloud that lives as long as the app, not as long as one upload pane.

The Stratos tab is built anew each time the upload pane opens; a key typed into it (and kept
for the session only when there is no keyring) must survive that, and so must the workspace
list, so the selector shows them at once on the next opening. The API key is held masked, as
in the client: no repr, log or traceback with locals shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.core.upload.stratos_auth import _Secret
from tui.core.upload.zones import Workspace

__all__ = ["CloudSession"]


@dataclass(eq=False)
class CloudSession:
    """Who is logged in (``source``: env, keyring or session) and what they saw last."""

    _api_key: _Secret | None = field(default=None, repr=False)
    source: str | None = None
    workspaces: list[Workspace] = field(default_factory=list)
    chosen: str | None = None  # the CRN picked in the tab

    @property
    def logged_in(self) -> bool:
        return self._api_key is not None

    def api_key(self) -> str | None:
        return self._api_key.reveal() if self._api_key else None

    def log_in(self, api_key: str, source: str) -> None:
        self._api_key = _Secret(api_key)
        self.source = source

    def log_out(self) -> None:
        self._api_key = None
        self.source = None
        self.workspaces = []
        self.chosen = None
