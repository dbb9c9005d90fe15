"""The IBM Cloud API key: where it comes from, and how it is held so that nothing shows it.

``load_api_key`` looks at the settings (``IBMCLOUD_API_KEY``) and then the keyring; the key and
the tokens are wrapped in :class:`_Secret`, which masks itself in every repr, so a traceback
with locals or a debug dump never carries them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlencode

from tui.core import secrets
from tui.core.settings import Settings
from tui.core.upload.stratos_errors import NoApiKey
from tui.core.upload.zones import POWER_ENDPOINT_ENV

IAM_ENDPOINT_ENV = "IBMCLOUD_IAM_API_ENDPOINT"
RC_ENDPOINT_ENV = "IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT"
API_KEY_ENV = "IBMCLOUD_API_KEY"
TIMEOUT_ENV = "SSHDECK_HTTP_TIMEOUT"
BACKOFF_ENV = "SSHDECK_HTTP_BACKOFF"
DEFAULT_IAM = "https://iam.cloud.ibm.com"
DEFAULT_RC = "https://resource-controller.cloud.ibm.com"
ENDPOINT_VARIABLES = {
    "IBM Cloud IAM": IAM_ENDPOINT_ENV,
    "IBM Cloud resource controller": RC_ENDPOINT_ENV,
    "Stratos for Power": POWER_ENDPOINT_ENV,
}
POWER_SERVICE_ID = "abd259f0-9990-11e8-acc8-b9f54a8f1661"  # catalog ID of Power Virtual Server
GRANT_TYPE = "urn:ibm:params:oauth:grant-type:apikey"
GONE_STATES = ("removed", "pending_reclamation")
APIKEYS_URL = "https://cloud.ibm.com/iam/apikeys"
#: per request; three tries of a hung host then take under a minute, not a minute and a half
DEFAULT_TIMEOUT = 15.0


def load_api_key(settings: Settings | None = None) -> str:
    """``IBMCLOUD_API_KEY`` (from the settings), else the key ``sshdeck cloud login`` stored in
    the keyring. Blocking (the keyring may ask a D-Bus service): run it in a thread in the app."""
    settings = settings or Settings.from_environment()
    if settings.ibmcloud_api_key:
        return settings.ibmcloud_api_key
    stored = secrets.get_secret(secrets.API_KEY_NAME)
    if stored:
        return stored
    status = secrets.keyring_status()
    if not status.available:
        raise NoApiKey(
            f"No IBM Cloud API key: {status.reason.rstrip('.') if status.reason else 'no keyring'}, "
            f"so set {API_KEY_ENV} (create a key at {APIKEYS_URL})."
        )
    raise NoApiKey(
        f"No IBM Cloud API key yet; run `sshdeck cloud login` or set {API_KEY_ENV} "
        f"(create a key at {APIKEYS_URL})."
    )


class _Secret:
    """A string that never shows itself: tracebacks with locals and debug dumps see a mask."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'[redacted]'"

    __str__ = __repr__


class _ApiKeyForm:
    """The IAM form body as a byte stream object, so no frame holds the API key as text."""

    def __init__(self, api_key: _Secret) -> None:
        self._body = _Secret(urlencode({"grant_type": GRANT_TYPE, "apikey": api_key.reveal()}))

    def __len__(self) -> int:
        return len(self._body.reveal().encode())

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._body.reveal().encode()
