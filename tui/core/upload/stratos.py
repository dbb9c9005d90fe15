"""Register public keys with Stratos for Power (the IBM Power Virtual Server API), over httpx.

Shapes follow IBM's Go SDK and API docs (see the README's cloud section): an IAM token from the
API key, the workspaces from the resource controller, and the workspace's ``/v1/ssh-keys``
(falling back to the older tenant API on hosts that lack it). Every failure becomes one
sentence with the next step. The API key and tokens live only in this object: they are sent in
request bodies and headers, never in URLs, and every text that leaves this module (errors, log
lines) is scrubbed of them, because httpx's exceptions and servers' error bodies may echo them.

The client is split by job, each module under ~400 lines: ``stratos_auth`` (the API key and
how it is held), ``stratos_http`` (transport, retries, IAM token), ``stratos_workspaces``
(workspaces, a workspace's API, its VMs) and ``stratos_keys`` (the SSH-key operations).
:class:`StratosClient` is all of them; this module keeps the names callers import.
"""

from __future__ import annotations

from tui.core.upload.cloud_keys import CloudKey, UploadResult
from tui.core.upload.instances import Instance
from tui.core.upload.stratos_auth import (
    API_KEY_ENV,
    APIKEYS_URL,
    BACKOFF_ENV,
    DEFAULT_IAM,
    DEFAULT_RC,
    DEFAULT_TIMEOUT,
    IAM_ENDPOINT_ENV,
    RC_ENDPOINT_ENV,
    TIMEOUT_ENV,
    _Secret,
    load_api_key,
)
from tui.core.upload.stratos_errors import (
    CloudAuthError,
    CloudConflict,
    CloudError,
    CloudForbidden,
    CloudNotFound,
    CloudRateLimited,
    CloudRefused,
    CloudUnavailable,
    NoApiKey,
)
from tui.core.upload.stratos_http import _retry_after
from tui.core.upload.stratos_keys import KeysApi
from tui.core.upload.stratos_transport import ResponseTooLarge
from tui.core.upload.stratos_workspaces import _names_the_workspace

__all__ = [
    "API_KEY_ENV",
    "APIKEYS_URL",
    "BACKOFF_ENV",
    "DEFAULT_IAM",
    "DEFAULT_RC",
    "DEFAULT_TIMEOUT",
    "IAM_ENDPOINT_ENV",
    "RC_ENDPOINT_ENV",
    "TIMEOUT_ENV",
    "CloudAuthError",
    "CloudConflict",
    "CloudError",
    "CloudForbidden",
    "CloudKey",
    "CloudNotFound",
    "CloudRateLimited",
    "CloudRefused",
    "CloudUnavailable",
    "Instance",
    "NoApiKey",
    "ResponseTooLarge",
    "StratosClient",
    "UploadResult",
    "_Secret",
    "_names_the_workspace",
    "_retry_after",
    "load_api_key",
]


class StratosClient(KeysApi):
    """One login to IBM Cloud and everything sshdeck asks of it; use ``async with``.

    ``settings`` (default: read from the environment now) gives the endpoints, private or
    public, timeouts and the answer size cap; the CLI and :class:`CloudService` hand theirs in.
    """
