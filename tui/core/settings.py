"""One settings object: the environment and the config file, read in one place.

Every variable sshdeck honours is read here, by :meth:`Settings.from_environment`, and nowhere
else; the result is handed to the services (``make_app(services=...)``, the CLI commands), so a
test or the screenshot script builds one pointed at a temporary HOME and the API emulator
instead of patching ``os.environ`` behind the code's back.

The config file is ``$XDG_CONFIG_HOME/sshdeck/cloud.json`` (``SSHDECK_CONFIG_FILE`` overrides the
path): ``{"private": true}`` selects the Power API's private endpoints.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ENVIRONMENT_VARIABLES", "Settings"]

#: every variable read here, with what it does (the README lists the same)
ENVIRONMENT_VARIABLES: dict[str, str] = {
    "HOME": "the home whose ~/.ssh is used",
    "SSH_AUTH_SOCK": "the ssh-agent to list, load and offer keys from",
    "IBMCLOUD_API_KEY": "an IBM Cloud API key used instead of the one in the keyring",
    "IBMCLOUD_IAM_API_ENDPOINT": "the IAM token service (default https://iam.cloud.ibm.com)",
    "IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT": "the resource controller (workspace list)",
    "IBMCLOUD_POWER_API_ENDPOINT": "the Power API for every zone (a bare host gets https://)",
    "IBMCLOUD_PI_API_ENDPOINT": "the Terraform provider's name for the same; the one above wins",
    "SSHDECK_CLOUD_PRIVATE": "1: use the private endpoints (Direct Link accounts)",
    "SSHDECK_HTTP_TIMEOUT": "seconds for each whole cloud request (default 15)",
    "SSHDECK_HTTP_BACKOFF": "seconds before the first retry of a failed cloud request",
    "SSHDECK_HTTP_MAX_BYTES": "the largest cloud answer read (default 32 MiB)",
    "SSHDECK_CONFIG_FILE": "the config file (default $XDG_CONFIG_HOME/sshdeck/cloud.json)",
}


def _float(value: str | None) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


def _startup_environ() -> dict[str, str]:
    """The environment this process was started with (Linux), before Python changed it: Python
    turns a C locale into C.UTF-8 by setting LC_CTYPE (PEP 538) in its own environment, but a
    tool we start beside us (ssh-keygen) would still run in C."""
    try:
        with open("/proc/self/environ", "rb") as handle:
            raw = handle.read()
    except OSError:
        return dict(os.environ)
    result: dict[str, str] = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            result[key.decode(errors="replace")] = value.decode(errors="replace")
    return result


def _utf8_locale(environ: Mapping[str, str], startup: Mapping[str, str]) -> bool:
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = environ.get(name)
        if value:
            if name == "LC_CTYPE" and value == "C.UTF-8" and startup.get(name) != value:
                continue  # set by Python itself, not by whoever started us
            return "utf-8" in value.lower() or "utf8" in value.lower()
    return False


def _default_config_file(environ: Mapping[str, str], home: Path) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    return Path(base) / "sshdeck" / "cloud.json"


@dataclass(frozen=True)
class Settings:
    """What the environment and the config file say, read once."""

    home: Path
    ssh_auth_sock: str | None = None
    #: never printed: ``repr`` leaves it out
    ibmcloud_api_key: str | None = field(default=None, repr=False)
    iam_endpoint: str | None = None
    resource_controller_endpoint: str | None = None
    #: (variable, value) of the Power API override, as IBM's tools name it
    power_endpoint_override: tuple[str, str] | None = None
    cloud_private: bool = False
    http_timeout: float | None = None
    http_backoff: float | None = None
    http_max_bytes: int | None = None
    #: would ssh-keygen started beside us run in a UTF-8 locale (it escapes comments otherwise)
    utf8_locale: bool = True
    config_file: Path | None = None

    @property
    def ssh_dir(self) -> Path:
        return self.home / ".ssh"

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, *, startup: Mapping[str, str] | None = None
    ) -> Settings:
        """Read the variables above and the config file; ``environ`` defaults to os.environ."""
        env: Mapping[str, str] = os.environ if environ is None else environ
        start = (_startup_environ() if environ is None else env) if startup is None else startup
        home = Path(env.get("HOME") or Path.home())
        config_file = Path(env["SSHDECK_CONFIG_FILE"]) if env.get("SSHDECK_CONFIG_FILE") else None
        config_file = config_file or _default_config_file(env, home)
        override: tuple[str, str] | None = None
        for variable in ("IBMCLOUD_POWER_API_ENDPOINT", "IBMCLOUD_PI_API_ENDPOINT"):
            value = env.get(variable, "").strip()
            if value:
                override = (variable, value)
                break
        private_text = env.get("SSHDECK_CLOUD_PRIVATE", "").strip().lower()
        if private_text:
            private = private_text in ("1", "true", "yes", "on")
        else:
            private = _config_private(config_file)
        return cls(
            home=home,
            ssh_auth_sock=env.get("SSH_AUTH_SOCK") or None,
            ibmcloud_api_key=env.get("IBMCLOUD_API_KEY", "").strip() or None,
            iam_endpoint=env.get("IBMCLOUD_IAM_API_ENDPOINT", "").strip() or None,
            resource_controller_endpoint=(
                env.get("IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT", "").strip() or None
            ),
            power_endpoint_override=override,
            cloud_private=private,
            http_timeout=_float(env.get("SSHDECK_HTTP_TIMEOUT")),
            http_backoff=_float(env.get("SSHDECK_HTTP_BACKOFF")),
            http_max_bytes=_int(env.get("SSHDECK_HTTP_MAX_BYTES")),
            utf8_locale=_utf8_locale(env, start),
            config_file=config_file,
        )


def _config_private(path: Path) -> bool:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("private") is True
