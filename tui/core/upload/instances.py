"""The virtual server instances (VMs) of a Power workspace, as the console lists them.

Shapes from IBM's Go SDK (``power/models/p_vm_instances.go``, ``p_vm_instance_reference.go``,
``p_vm_instance_network.go``): ``{"pvmInstances": [{"serverName", "pvmInstanceID", "status",
"osType", "networks": [{"ipAddress", "externalIP", "networkName", ...}], ...}]}``. The address to
log in to is the external IP when a public network gives one, else the first private address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Network:
    name: str
    ip_address: str
    external_ip: str

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Network:
        return cls(
            name=str(row.get("networkName") or ""),
            # "ip" is the deprecated name of ipAddress; old answers still carry it
            ip_address=str(row.get("ipAddress") or row.get("ip") or ""),
            external_ip=str(row.get("externalIP") or ""),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "network_name": self.name,
            "ip_address": self.ip_address or None,
            "external_ip": self.external_ip or None,
        }


@dataclass(frozen=True)
class Instance:
    id: str
    name: str
    status: str
    os_type: str
    operating_system: str
    networks: tuple[Network, ...]

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Instance:
        nets = row.get("networks")
        if not isinstance(nets, list) or not nets:
            nets = row.get("addresses")  # deprecated, replaced by networks
        return cls(
            id=str(row.get("pvmInstanceID") or ""),
            name=str(row.get("serverName") or ""),
            status=str(row.get("status") or ""),
            os_type=str(row.get("osType") or ""),
            operating_system=str(row.get("operatingSystem") or ""),
            networks=tuple(
                Network.from_json(n)
                for n in (nets if isinstance(nets, list) else [])
                if isinstance(n, dict)
            ),
        )

    @property
    def login_address(self) -> str | None:
        """The external IP when there is one, else the first private address."""
        for net in self.networks:
            if net.external_ip:
                return net.external_ip
        for net in self.networks:
            if net.ip_address:
                return net.ip_address
        return None

    @property
    def login_target(self) -> str | None:
        """``root@IP``: Power VMs are created with the workspace's keys in root's account."""
        address = self.login_address
        if not address:
            return None
        return f"root@[{address}]" if ":" in address else f"root@{address}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "os_type": self.os_type,
            "operating_system": self.operating_system,
            "networks": [n.to_json() for n in self.networks],
            "login_address": self.login_address,
            "login_target": self.login_target,
        }
