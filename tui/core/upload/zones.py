"""Stratos for Power workspaces: where their API lives, and which one the user chose.

The zone -> host table is IBM's published one (API docs, "Endpoint URLs"); the Go SDK's own
fallback (drop the zone's trailing digits) covers zones the table does not know yet. A workspace
is named by its name, GUID or CRN, whichever the user has at hand; the chosen one is remembered
in a small JSON file so that scripts need not repeat ``--workspace``. No environment is read
here: the endpoint override and the config file come from :class:`~tui.core.settings.Settings`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.core.errors import InvalidArgument, SshDeckError

POWER_ENDPOINT_ENV = "IBMCLOUD_POWER_API_ENDPOINT"
#: the Go SDK's name first, then the Terraform provider's
POWER_ENDPOINT_ENVS = (POWER_ENDPOINT_ENV, "IBMCLOUD_PI_API_ENDPOINT")
PRIVATE_ENV = "SSHDECK_CLOUD_PRIVATE"

#: zone (or region) -> API region, from https://cloud.ibm.com/apidocs/power-cloud#endpoint
ZONE_REGIONS = {
    "dal10": "us-south",
    "dal12": "us-south",
    "us-south": "us-south",
    "us-east": "us-east",
    "wdc06": "us-east",
    "wdc07": "us-east",
    "lon04": "lon",
    "lon06": "lon",
    "eu-de-1": "eu-de",
    "eu-de-2": "eu-de",
    "sao01": "sao",
    "sao04": "sao",
    "tor01": "tor",
    "mon01": "mon",
    "syd04": "syd",
    "syd05": "syd",
    "tok04": "tok",
    "osa21": "osa",
    "che01": "che",
    "mad02": "mad",
    "mad04": "mad",
}


def region_of_zone(zone: str) -> str:
    """The API region of a zone; unknown zones lose their trailing digits, as the Go SDK does."""
    zone = zone.strip().lower()
    if zone in ZONE_REGIONS:
        return ZONE_REGIONS[zone]
    return re.sub(r"-?\d+$", "", zone) or zone


#: zone -> region of the private endpoint ``https://private.{region}.power-iaas.cloud.ibm.com``
#: (API docs, "Endpoint URLs": us-east, us-south, eu-de, eu-gb, ca-tor, au-syd, jp-tok, jp-osa,
#: br-sao and ca-mon are the regions with one)
PRIVATE_REGIONS = {
    "dal10": "us-south",
    "dal12": "us-south",
    "us-south": "us-south",
    "us-east": "us-east",
    "wdc06": "us-east",
    "wdc07": "us-east",
    "eu-de-1": "eu-de",
    "eu-de-2": "eu-de",
    "lon04": "eu-gb",
    "lon06": "eu-gb",
    "tor01": "ca-tor",
    "syd04": "au-syd",
    "syd05": "au-syd",
    "tok04": "jp-tok",
    "osa21": "jp-osa",
    "sao01": "br-sao",
    "sao04": "br-sao",
    "mon01": "ca-mon",
}


def private_region_of_zone(zone: str) -> str:
    region = PRIVATE_REGIONS.get(zone.strip().lower())
    if region is None:
        raise InvalidArgument(
            f"Zone {zone} has no private endpoint in IBM's table (private endpoints exist in "
            f"{', '.join(sorted(set(PRIVATE_REGIONS.values())))}); leave out --private, or set "
            f"{POWER_ENDPOINT_ENV} to the address your network reaches."
        )
    return region


def power_endpoint(zone: str, *, private: bool = False, override: str | None = None) -> str:
    """Base URL of the Power API for a zone, as IBM's Go SDK builds it.

    ``override`` (``IBMCLOUD_POWER_API_ENDPOINT`` or the Terraform provider's
    ``IBMCLOUD_PI_API_ENDPOINT``, read by :class:`~tui.core.settings.Settings`) serves every
    zone; a bare host gets ``https://``, and a host that starts with ``power-iaas.`` gets the
    zone's region in front (``private.{region}.`` when private).
    """
    if override:
        url = override.rstrip("/")
        if url.startswith("power-iaas."):
            prefix = f"private.{private_region_of_zone(zone)}" if private else region_of_zone(zone)
            url = f"{prefix}.{url}"
        if "://" not in url:
            url = "https://" + url
        return url
    if private:
        return f"https://private.{private_region_of_zone(zone)}.power-iaas.cloud.ibm.com"
    return f"https://{region_of_zone(zone)}.power-iaas.cloud.ibm.com"


@dataclass(frozen=True)
class Workspace:
    """One Power Virtual Server workspace (a resource instance of the Power service)."""

    guid: str
    name: str
    crn: str
    region_id: str  # the zone, e.g. dal12
    account_id: str
    state: str = "active"
    private: bool = False  # reached through the private endpoint of its region
    #: the Power API address from the settings (``IBMCLOUD_POWER_API_ENDPOINT``), if any
    endpoint_override: str | None = None

    @property
    def zone(self) -> str:
        return self.region_id

    @property
    def endpoint(self) -> str:
        return power_endpoint(self.region_id, private=self.private, override=self.endpoint_override)

    @classmethod
    def from_resource(
        cls, row: dict[str, Any], *, private: bool = False, endpoint_override: str | None = None
    ) -> Workspace:
        crn = str(row.get("crn") or row.get("id") or "")
        account = str(row.get("account_id") or _crn_account(crn))
        return cls(
            guid=str(row.get("guid") or ""),
            name=str(row.get("name") or ""),
            crn=crn,
            region_id=str(row.get("region_id") or _crn_part(crn, 5)),
            account_id=account,
            state=str(row.get("state") or "unknown"),
            private=private,
            endpoint_override=endpoint_override,
        )

    def to_json(self) -> dict[str, Any]:
        try:
            endpoint: str | None = self.endpoint
        except SshDeckError:
            endpoint = None  # a zone without a private endpoint
        return {
            "guid": self.guid,
            "name": self.name,
            "crn": self.crn,
            "zone": self.region_id,
            "region_id": self.region_id,
            "account_id": self.account_id,
            "state": self.state,
            "api_endpoint": endpoint,
        }


def _crn_part(crn: str, index: int) -> str:
    parts = crn.split(":")
    return parts[index] if len(parts) > index else ""


def _crn_account(crn: str) -> str:
    scope = _crn_part(crn, 6)
    return scope[2:] if scope.startswith("a/") else scope


def resolve_workspace(
    workspaces: list[Workspace], wanted: str | None, *, config: Path | None = None
) -> Workspace:
    """The workspace named by ``wanted`` (name, GUID or CRN), the remembered one, or the only one.

    Raises :class:`WorkspaceChoiceNeeded` when several exist and none was chosen, and
    :class:`InvalidArgument` when the name matches nothing or several.
    """
    if not workspaces:
        raise InvalidArgument(
            "Your account has no Power Virtual Server workspace; create one in the IBM Cloud "
            "console (Resource list > Create > Workspace for Power Virtual Server)."
        )
    if wanted:
        return _match(workspaces, wanted)
    remembered = load_chosen_workspace(config)
    if remembered:
        for ws in workspaces:
            if remembered in (ws.guid, ws.crn):
                return ws
        raise InvalidArgument(
            f"The remembered workspace {remembered} no longer exists or you lost access to it; "
            "choose another with --workspace NAME|GUID|CRN."
        )
    if len(workspaces) == 1:
        return workspaces[0]
    names = ", ".join(sorted(ws.name for ws in workspaces))
    raise WorkspaceChoiceNeeded(
        f"There are {len(workspaces)} workspaces ({names}); choose one with "
        "--workspace NAME|GUID|CRN (it is remembered for next time)."
    )


class WorkspaceChoiceNeeded(InvalidArgument):
    """Several workspaces and no choice: a usage error, the user must say which."""

    code = "workspace-choice-needed"


def _match(workspaces: list[Workspace], wanted: str) -> Workspace:
    wanted = wanted.strip()
    for ws in workspaces:
        if wanted in (ws.guid, ws.crn):
            return ws
    named = [ws for ws in workspaces if ws.name == wanted] or [
        ws for ws in workspaces if ws.name.lower() == wanted.lower()
    ]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise InvalidArgument(
            f"{len(named)} workspaces are named {wanted!r}; give the GUID or CRN instead "
            "(sshdeck cloud workspaces lists them)."
        )
    raise InvalidArgument(
        f"No workspace is named {wanted!r} in your account (or you cannot see it); "
        "sshdeck cloud workspaces lists the ones you can use."
    )


# -- the remembered choice -------------------------------------------------------------------


def config_file() -> Path:
    """The default config file; :attr:`Settings.config_file` is the one the commands use."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("sshdeck")) / "cloud.json"


def load_chosen_workspace(path: Path | None = None) -> str | None:
    """The CRN (or GUID) of the workspace chosen last time, if any (``path``: the config file)."""
    try:
        data = json.loads((path or config_file()).read_text())
    except (OSError, ValueError):
        return None
    chosen = data.get("workspace") if isinstance(data, dict) else None
    if isinstance(chosen, dict):
        value = chosen.get("crn") or chosen.get("guid")
        return str(value) if value else None
    return None


def save_chosen_workspace(ws: Workspace, path: Path | None = None) -> None:
    """Remember ``ws``; a config directory that cannot be written only loses the convenience."""
    from tui.core.fsutil import atomic_write

    path = path or config_file()
    try:
        existing = json.loads(path.read_text())
        if not isinstance(existing, dict):
            existing = {}
    except (OSError, ValueError):
        existing = {}
    existing["workspace"] = {"crn": ws.crn, "guid": ws.guid, "name": ws.name}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(
            path, (json.dumps(existing, indent=2) + "\n").encode(), mode=0o600, overwrite=True
        )
    except (OSError, SshDeckError):
        pass
