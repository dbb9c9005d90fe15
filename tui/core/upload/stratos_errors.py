"""Errors of the Stratos for Power client, and the one sentence each HTTP answer becomes.

Kept apart from the client so that the wording (what is wrong and what to do next) can be read
in one place. ``scrub`` removes the API key and tokens from anything a server echoes back.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tui.core.errors import SshDeckError
from tui.core.text import visible


class CloudError(SshDeckError):
    code = "cloud-error"


class NoApiKey(CloudError):
    code = "no-api-key"


class CloudAuthError(CloudError):
    code = "bad-api-key"


class CloudForbidden(CloudError):
    code = "forbidden"


class CloudNotFound(CloudError):
    code = "not-found"


class CloudConflict(CloudError):
    code = "conflict"


class CloudRefused(CloudError):
    """400/422: the server's own words say what it did not like."""

    code = "refused"


class CloudRateLimited(CloudError):
    code = "rate-limited"


class CloudUnavailable(CloudError):
    """5xx, timeouts and unreachable hosts, after the retries."""

    code = "unavailable"


def server_message(response: httpx.Response) -> str:
    """The server's own explanation from ``{code, description, error, message}`` (any missing)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    parts: list[str] = []
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            body = {**errors[0], **body}  # IAM and platform services: {"errors": [{"message"}]}
        for field in ("description", "message", "errorMessage", "error"):
            value = body.get(field)
            if isinstance(value, str) and value.strip() and value.strip() not in parts:
                parts.append(value.strip())
                break
    text = parts[0] if parts else (response.reason_phrase or f"HTTP {response.status_code}")
    text = " ".join(text.split())
    text = (text[:240] + "...") if len(text) > 240 else text.rstrip(".")
    return visible(text)  # the server's words are untrusted: no escape sequence gets through


def is_power_error(response: httpx.Response) -> bool:
    """Whether the body is the Power API's ``models.Error`` (``code``, ``description``,
    ``error``, ``message``; each optional, but at least one, and nothing else)."""
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict) or not body:
        return False
    fields = {"code", "description", "error", "message"}
    if set(body) - fields:
        return False
    code = body.get("code")
    if code is not None and not isinstance(code, int):
        return False
    return all(isinstance(body.get(f), str) for f in fields - {"code"} if f in body)


def failure_for(
    response: httpx.Response,
    label: str,
    *,
    op: str,
    name: str | None = None,
    key_type: str = "ssh-rsa",
    scrub: Callable[[str], str],
) -> CloudError:
    """The error for a non-success answer; ``op`` is workspaces, list, get, create, update,
    delete or instances."""
    status = response.status_code
    message = scrub(server_message(response))
    label = visible(label)
    name = visible(name) if name is not None else None
    if status == 401:
        return CloudAuthError(
            "IBM Cloud refused the token; run `sshdeck cloud login` again with a valid API key."
        )
    if status == 403:
        if op == "workspaces":
            return CloudForbidden(
                f"IBM Cloud refused to list the workspaces ({message}); your user needs at "
                "least Viewer access to the account's resource groups: ask an account "
                "administrator to grant it in IAM."
            )
        if op == "instances":
            return CloudForbidden(
                f"Stratos for Power refused: your user needs at least the Reader service role "
                f"on workspace {label} to list its virtual server instances; ask an account "
                "administrator to grant it in IAM."
            )
        if op in ("list", "get"):
            return CloudForbidden(
                f"Stratos for Power refused: your user needs at least the Reader service "
                f"role on workspace {label} to list its SSH keys (Manager to add them); ask "
                "an account administrator to grant it in IAM."
            )
        verb = {"delete": "delete", "update": "change"}.get(op, "add")
        return CloudForbidden(
            f"Stratos for Power refused: your user needs the Manager service role on "
            f"workspace {label} (or be the account owner) to {verb} SSH keys; ask an account "
            "administrator to grant it in IAM (Manage > Access)."
        )
    if status in (404, 410):
        if op == "workspaces":
            return CloudError(
                f"The resource controller answered HTTP {status} ({message}); check "
                f"IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT if you set it, or try again later."
            )
        if op in ("delete", "update", "get") and name is not None and is_power_error(response):
            what = {"delete": "nothing to delete", "update": "nothing to change"}.get(
                op, "list the keys again"
            )
            return CloudNotFound(
                f"The SSH key '{name}' is no longer in workspace {label} ({message}); {what}."
            )
        return CloudNotFound(
            f"Workspace {label} was not found ({message}); it may have been deleted or you "
            "lack access: run `sshdeck cloud workspaces` and choose another with --workspace."
        )
    if status == 409 and op == "update":
        return CloudConflict(
            f"Stratos for Power refused: {message} (HTTP 409); the workspace already has a key "
            "with that name, so choose another."
        )
    if status == 409:
        return CloudConflict(
            f"Stratos for Power refused: {message} (HTTP 409); choose another key name "
            "with --name or delete the existing key first."
        )
    if status in (400, 422):
        if op == "create" and key_type != "ssh-rsa":
            return CloudRefused(
                f"Stratos for Power refused the key: {message}; it may accept only RSA keys, "
                "so make one with `sshdeck keygen -t rsa -b 4096` (or `ssh-keygen -t rsa "
                "-b 4096`) and upload its .pub."
            )
        if op not in ("create", "delete", "update"):
            return CloudRefused(
                f"Stratos for Power refused to list the SSH keys of workspace {label}: "
                f"{message} (HTTP {status}); check the workspace with `sshdeck cloud "
                "workspaces` and try again."
            )
        return CloudRefused(
            f"Stratos for Power refused the request: {message} (HTTP {status}); fix the "
            "name or key and try again."
        )
    where = label if op == "workspaces" else f"Stratos for Power (workspace {label})"
    return CloudError(f"{where} answered HTTP {status} ({message}); try again in a few minutes.")
