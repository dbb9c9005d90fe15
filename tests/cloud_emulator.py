"""A local emulator of the IBM Cloud APIs sshdeck uses: IAM, resource controller, Power keys.

A real HTTP server on 127.0.0.1 (one port serves all three base URLs) with in-memory state,
answering with the documented paths, headers, bodies and status codes, plus switches that make
it fail: ``fail(status, times)`` (401/403/409/429 with Retry-After/500...), ``hang(seconds,
times)``, ``expire_tokens()``, ``v1_enabled = False`` (``/v1/ssh-keys`` answers 404 so clients
fall back to the tenant API) and ``reject_non_rsa``. The same switches are reachable over
``POST /_admin/<switch>`` with a JSON body, for demos.

By hand: ``python -m tests.cloud_emulator --port 8765`` prints the variables to export.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

POWER_SERVICE_ID = "abd259f0-9990-11e8-acc8-b9f54a8f1661"
PUBLIC_PLAN_ID = "f165dd34-3a40-423b-9d95-e90a23f724dd"
GRANT_TYPE = "urn:ibm:params:oauth:grant-type:apikey"
NAME_PATTERN = re.compile(r"[A-Za-z0-9\-_]+(?: +[A-Za-z0-9\-_]+)*")
KEY_LINE = re.compile(
    r"(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-dss) [A-Za-z0-9+/]+={0,2}( .*)?"
)
FIXED_DATE = "2026-01-15T09:30:00.000Z"


@dataclass
class EmuWorkspace:
    guid: str
    name: str
    region_id: str
    account_id: str
    state: str = "active"

    @property
    def crn(self) -> str:
        return (
            f"crn:v1:bluemix:public:power-iaas:{self.region_id}:a/{self.account_id}:{self.guid}::"
        )

    def resource(self) -> dict[str, Any]:
        return {
            "id": self.crn,
            "guid": self.guid,
            "crn": self.crn,
            "name": self.name,
            "region_id": self.region_id,
            "account_id": self.account_id,
            "resource_id": POWER_SERVICE_ID,
            "resource_plan_id": PUBLIC_PLAN_ID,
            "resource_group_id": "0be5ad401ae913d8ff665d92680664ed",
            "state": self.state,
            "type": "service_instance",
        }


@dataclass
class Failure:
    status: int
    times: int
    method: str | None = None
    path: str | None = None  # prefix
    retry_after: int | None = None
    body: dict[str, Any] | None = None


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    status: int = 0
    body: bytes = field(default=b"", repr=False)  # the IAM form holds the API key
    answer: bytes = field(default=b"", repr=False)


@dataclass
class CloudEmulator:
    account_id: str = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    api_keys: set[str] = field(default_factory=set, repr=False)
    workspaces: list[EmuWorkspace] = field(default_factory=list)
    keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # guid -> /v1 keys
    tenant_keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # account -> keys
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (epoch)
    token_lifetime: int = 3600  # what the token answer advertises (expires_in)
    token_validity: float | None = None  # how long tokens really work (default: as advertised)
    page_size: int = 2
    v1_enabled: bool = True
    reject_non_rsa: bool = False
    failures: list[Failure] = field(default_factory=list)
    hang_seconds: float = 0.0
    hang_times: int = 0
    hang_path: str | None = None
    trickle_path: str | None = None  # answer one byte per trickle_interval seconds
    trickle_interval: float = 1.0
    flood_path: str | None = None  # answer an endless body (no Content-Length)
    flood_sent: int = 0  # bytes the flood wrote before the client hung up
    instances: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # guid -> VMs
    requests: list[Request] = field(default_factory=list)
    issued_tokens: list[str] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0

    # -- set-up ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            "IBMCLOUD_IAM_API_ENDPOINT": self.url,
            "IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT": self.url,
            "IBMCLOUD_POWER_API_ENDPOINT": self.url,
        }

    def add_workspace(
        self, name: str, zone: str = "dal12", guid: str | None = None
    ) -> EmuWorkspace:
        with self._lock:
            self._counter += 1
            guid = guid or f"{self._counter:08x}-7c1e-4d2a-9f3b-0c1d2e3f4a5b"
            ws = EmuWorkspace(guid, name, zone, self.account_id)
            self.workspaces.append(ws)
            self.keys[guid] = []
            return ws

    def add_key(self, ws: EmuWorkspace, name: str, ssh_key: str, **extra: Any) -> dict[str, Any]:
        with self._lock:
            # keys made by hand in a test look like the real ones, which carry a visibility
            return self._store_key(
                ws, {"name": name, "sshKey": ssh_key, "visibility": "workspace", **extra}
            )

    def fail(
        self,
        status: int,
        times: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        retry_after: int | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer ``status`` to the next ``times`` matching requests (path is a prefix)."""
        with self._lock:
            self.failures.append(Failure(status, times, method, path, retry_after, body))

    def add_instance(
        self,
        ws: EmuWorkspace,
        name: str,
        ip: str,
        *,
        external_ip: str = "",
        os_type: str = "rhel",
        status: str = "ACTIVE",
    ) -> dict[str, Any]:
        """A VM shaped as ``PVMInstanceReference`` (required fields filled in)."""
        with self._lock:
            self._counter += 1
            vm_id = f"{self._counter:08x}-aaaa-4bbb-8ccc-{ws.guid[:12]}"
            network: dict[str, Any] = {
                "ipAddress": ip,
                "macAddress": "fa:16:3e:00:00:%02x" % (self._counter % 256),
                "networkID": "net-" + ws.guid[:8],
                "networkName": "public-net" if external_ip else "private-net",
                "type": "fixed",
                "version": 4,
            }
            if external_ip:
                network["externalIP"] = external_ip
            row = {
                "pvmInstanceID": vm_id,
                "serverName": name,
                "status": status,
                "osType": os_type,
                "operatingSystem": {"aix": "AIX 7.3", "ibmi": "IBM i 7.5"}.get(os_type, "RHEL 9.4"),
                "diskSize": 120,
                "href": f"/pcloud/v1/cloud-instances/{ws.guid}/pvm-instances/{vm_id}",
                "imageID": "img-" + os_type,
                "memory": 4,
                "processors": 0.5,
                "procType": "shared",
                "networks": [network],
                "addresses": [network],
                "srcs": [],
                "creationDate": FIXED_DATE,
            }
            self.instances.setdefault(ws.guid, []).append(row)
            return row

    def hang(self, seconds: float, times: int = 1, path: str | None = None) -> None:
        with self._lock:
            self.hang_seconds, self.hang_times, self.hang_path = seconds, times, path

    def expire_tokens(self) -> None:
        with self._lock:
            for token in self.tokens:
                self.tokens[token] = 0.0

    def count(self, method: str, path_prefix: str) -> int:
        return sum(
            1 for r in self.requests if r.method == method and r.path.startswith(path_prefix)
        )

    def workspace_keys(self, ws: EmuWorkspace) -> list[dict[str, Any]]:
        return list(self.keys.get(ws.guid, []))

    def start(self, port: int = 0) -> CloudEmulator:
        emulator = self

        class Handler(_Handler):
            emu = emulator

        self._server = _QuietServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    # -- state helpers (called with the lock held) -----------------------------------------

    def _store_key(self, ws: EmuWorkspace, body: dict[str, Any]) -> dict[str, Any]:
        self._counter += 1
        row = {
            "id": f"{self._counter:08x}-3f2e-4c1b-8a09-{ws.guid[:12]}",
            "name": body["name"],
            "sshKey": body["sshKey"],
            "description": body.get("description") or "",
            "primaryWorkspace": True,
            "creationDate": FIXED_DATE,
        }
        if body.get("visibility") is not None:  # the API has no default: absent stays absent
            row["visibility"] = body["visibility"]
        self.keys.setdefault(ws.guid, []).append(row)
        return row

    def _visible_keys(self, ws: EmuWorkspace) -> list[dict[str, Any]]:
        own = [dict(k) for k in self.keys.get(ws.guid, [])]
        shared = [
            {**k, "primaryWorkspace": False}
            for other in self.workspaces
            if other.guid != ws.guid and other.account_id == ws.account_id
            for k in self.keys.get(other.guid, [])
            if k.get("visibility") == "account"
        ]
        return own + shared

    def _take_failure(self, method: str, path: str) -> Failure | None:
        for failure in self.failures:
            if (
                failure.times > 0
                and failure.method in (None, method)
                and (failure.path is None or path.startswith(failure.path))
            ):
                failure.times -= 1
                return failure
        return None


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout test, cancelled worker) is not worth a traceback."""


def error(code: int, description: str, err: str) -> dict[str, Any]:
    return {"code": code, "description": description, "error": err, "message": description}


class _Handler(BaseHTTPRequestHandler):
    emu: CloudEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def _trickle(self, interval: float) -> None:
        """A valid answer sent one byte at a time: a per-read timeout never fires."""
        data = json.dumps({"sshKeys": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self._record.status = 200
        try:
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                if self.emu._stop.wait(interval):
                    return
        except OSError:
            return

    def _flood(self) -> None:
        """An answer without end (and without Content-Length), until the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        self._record.status = 200
        chunk = b" " * 65536
        sent = 0
        try:
            self.wfile.write(b'{"sshKeys": [')
            while sent < 400 * 1024 * 1024 and not self.emu._stop.is_set():
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        self.emu.flood_sent = sent
        self.close_connection = True

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self._record.status = status
        self._record.answer = data

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self, method: str) -> None:
        emu = self.emu
        url = urlsplit(self.path)
        path = unquote(url.path)
        raw = self._body()
        self._record = Request(
            method, path, {k.lower(): v for k, v in self.headers.items()}, body=raw
        )
        if path.startswith("/_admin/"):
            self._admin(method, path[len("/_admin/") :], raw)
            return
        emu.requests.append(self._record)
        with emu._lock:
            hang = emu.hang_times > 0 and (emu.hang_path is None or path.startswith(emu.hang_path))
            if hang:
                emu.hang_times -= 1
            failure = emu._take_failure(method, path)
        if emu.trickle_path and path.startswith(emu.trickle_path):
            return self._trickle(emu.trickle_interval)
        if emu.flood_path and path.startswith(emu.flood_path):
            return self._flood()
        if hang:
            emu._stop.wait(emu.hang_seconds)
            return self._send(504, error(504, "emulated hang", "Gateway Timeout"))
        if failure:
            headers = (
                {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            )
            body = failure.body or error(
                failure.status, f"emulated HTTP {failure.status}", "emulated"
            )
            return self._send(failure.status, body, headers)
        if path == "/identity/token" and method == "POST":
            return self._token(raw)
        token = self.headers.get("Authorization", "")
        if not token.startswith("Bearer ") or emu.tokens.get(token[7:], 0) < time.time():
            return self._send(
                401, error(401, "the access token is missing, invalid or expired", "Unauthorized")
            )
        if path == "/v2/resource_instances" and method == "GET":
            return self._resource_instances(parse_qs(url.query))
        ws = self._workspace_from_crn()
        if ws is None:
            return None
        if path.startswith("/v1/ssh-keys"):
            if not emu.v1_enabled:
                return self._send(
                    404, {"code": 404, "error": "Not Found", "message": "path not found"}
                )
            return self._v1(method, path[len("/v1/ssh-keys") :].lstrip("/"), ws, raw)
        vms = re.fullmatch(r"/pcloud/v1/cloud-instances/([^/]+)/pvm-instances", path)
        if vms and method == "GET":
            if vms.group(1) != ws.guid:
                return self._send(
                    403, error(403, "the cloud instance does not match the CRN", "Forbidden")
                )
            with emu._lock:
                rows = [dict(vm) for vm in emu.instances.get(ws.guid, [])]
            return self._send(200, {"pvmInstances": rows})
        tenant = re.fullmatch(r"/pcloud/v1/tenants/([^/]+)/sshkeys(?:/(.+))?", path)
        if tenant:
            return self._tenant(method, tenant.group(1), tenant.group(2), ws, raw)
        return self._send(404, error(404, f"no route for {method} {path}", "Not Found"))

    # -- IAM and resource controller ---------------------------------------------------------

    def _token(self, raw: bytes) -> None:
        emu = self.emu
        form = parse_qs(raw.decode())
        if (
            self.headers.get("Content-Type", "").split(";")[0]
            != "application/x-www-form-urlencoded"
        ):
            return self._send(
                400, {"errorCode": "BXNIM0109E", "errorMessage": "Property missing or empty"}
            )
        if form.get("grant_type") != [GRANT_TYPE] or not form.get("apikey"):
            return self._send(
                400, {"errorCode": "BXNIM0308E", "errorMessage": "Grant type missing"}
            )
        if form["apikey"][0] not in emu.api_keys:
            return self._send(
                400,
                {
                    "errorCode": "BXNIM0415E",
                    "errorMessage": "Provided API key could not be found",
                    "context": {
                        "requestId": secrets.token_hex(8),
                        "url": "https://iam.cloud.ibm.com",
                    },
                },
            )
        token = "emu-token-" + secrets.token_urlsafe(24)
        now = int(time.time())
        with emu._lock:
            validity = emu.token_validity or emu.token_lifetime
            emu.tokens[token] = time.time() + validity
            emu.issued_tokens.append(token)
        return self._send(
            200,
            {
                "access_token": token,
                "refresh_token": "emu-refresh-" + secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": emu.token_lifetime,
                "expiration": now + emu.token_lifetime,
                "scope": "ibm openid",
            },
        )

    def _resource_instances(self, query: dict[str, list[str]]) -> None:
        emu = self.emu
        rows = [ws.resource() for ws in emu.workspaces]
        wanted = query.get("resource_id", [None])[0]
        if wanted:
            rows = [r for r in rows if r["resource_id"] == wanted]
        start = int(query.get("start", ["0"])[0] or 0)
        page = rows[start : start + emu.page_size]
        nxt = start + emu.page_size
        next_url = (
            f"/v2/resource_instances?resource_id={wanted}&start={nxt}" if nxt < len(rows) else None
        )
        return self._send(200, {"rows_count": len(page), "next_url": next_url, "resources": page})

    def _workspace_from_crn(self) -> EmuWorkspace | None:
        crn = self.headers.get("CRN")
        if not crn:
            self._send(400, error(400, "missing CRN header", "Bad Request"))
            return None
        for ws in self.emu.workspaces:
            if ws.crn == crn:
                return ws
        self._send(404, error(404, f"cloud instance for CRN {crn} not found", "Not Found"))
        return None

    # -- keys ---------------------------------------------------------------------------------

    def _json(self, raw: bytes) -> dict[str, Any] | None:
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._send(400, error(400, "request body is not a JSON object", "Bad Request"))
            return None
        return body

    def _validate(self, body: dict[str, Any], *, v1: bool) -> bool:
        name, key = body.get("name"), body.get("sshKey")
        if not isinstance(name, str) or not isinstance(key, str):
            self._send(422, error(422, "name and sshKey are required", "Unprocessable Entity"))
            return False
        if len(name) > 128 or not NAME_PATTERN.fullmatch(name):
            self._send(
                422,
                error(
                    422,
                    "name in body should match '^[A-Za-z0-9-_]+(?: +[A-Za-z0-9-_]+)*$'",
                    "Unprocessable Entity",
                ),
            )
            return False
        if v1 and body.get("visibility") not in (None, "workspace", "account"):
            self._send(
                422,
                error(
                    422,
                    "visibility in body should be one of [account workspace]",
                    "Unprocessable Entity",
                ),
            )
            return False
        if not KEY_LINE.fullmatch(key.strip()):
            self._send(
                400, error(400, "bad request: ssh key is not a valid public key", "Bad Request")
            )
            return False
        if self.emu.reject_non_rsa and not key.startswith("ssh-rsa "):
            self._send(
                400,
                error(
                    400, "ssh key type not supported, only RSA keys are supported", "Bad Request"
                ),
            )
            return False
        return True

    def _validate_update(self, body: dict[str, Any]) -> bool:
        """``UpdateWorkspaceSSHKey``: every field optional, the same rules when present."""
        unknown = set(body) - {"name", "sshKey", "description", "visibility"}
        if unknown:
            self._send(400, error(400, f"unknown fields {sorted(unknown)}", "Bad Request"))
            return False
        full = {"name": body.get("name", "x"), "sshKey": body.get("sshKey", "ssh-rsa AAAA")}
        return self._validate({**body, **full}, v1=True)

    def _v1(self, method: str, key_id: str, ws: EmuWorkspace, raw: bytes) -> None:
        emu = self.emu
        with emu._lock:
            visible = emu._visible_keys(ws)
        if method == "GET" and not key_id:
            return self._send(200, {"sshKeys": visible})
        if method == "GET":
            found = [k for k in visible if key_id in (k["id"], k["name"])]
            if found:
                return self._send(200, found[0])
            return self._send(404, error(404, f"ssh key {key_id} not found", "Not Found"))
        if method == "POST" and not key_id:
            body = self._json(raw)
            if body is None or not self._validate(body, v1=True):
                return None
            with emu._lock:
                if any(k["name"] == body["name"] for k in emu._visible_keys(ws)):
                    return self._send(
                        409,
                        error(
                            409,
                            f"ssh key name {body['name']} already exists; duplicate names are not allowed",
                            "Conflict",
                        ),
                    )
                created = emu._store_key(ws, body)
            return self._send(201, created)
        if method in ("DELETE", "PUT") and key_id:
            shared = [
                k for k in visible if key_id in (k["id"], k["name"]) and not k["primaryWorkspace"]
            ]
            if shared:  # the docs: a key is deleted (or changed) only where it was created
                return self._send(
                    403,
                    error(
                        403,
                        f"ssh key {key_id} is not owned by this workspace; it can only be "
                        "modified or deleted from the workspace that created it",
                        "Forbidden",
                    ),
                )
        if method == "DELETE" and key_id:
            with emu._lock:
                own = emu.keys.get(ws.guid, [])
                for k in own:
                    if key_id in (k["id"], k["name"]):
                        own.remove(k)
                        return self._send(200, {})
            return self._send(404, error(404, f"ssh key {key_id} not found", "Not Found"))
        if method == "PUT" and key_id:
            body = self._json(raw)
            if body is None or not self._validate_update(body):
                return None
            with emu._lock:
                own = emu.keys.get(ws.guid, [])
                row: dict[str, Any] | None = next(
                    (k for k in own if key_id in (k["id"], k["name"])), None
                )
                if row is None:
                    return self._send(404, error(404, f"ssh key {key_id} not found", "Not Found"))
                new_name = body.get("name")
                if new_name and any(
                    k["name"] == new_name and k is not row for k in emu._visible_keys(ws)
                ):
                    return self._send(
                        409,
                        error(409, f"ssh key name {new_name} already exists", "Conflict"),
                    )
                for field_name in ("name", "sshKey", "description", "visibility"):
                    if field_name in body:
                        row[field_name] = body[field_name]
                return self._send(200, dict(row))
        return self._send(405, error(405, "method not allowed", "Method Not Allowed"))

    def _tenant(
        self, method: str, tenant: str, name: str | None, ws: EmuWorkspace, raw: bytes
    ) -> None:
        emu = self.emu
        if unquote(tenant) != ws.account_id:
            return self._send(
                403, error(403, f"tenant {tenant} does not match the CRN", "Forbidden")
            )
        with emu._lock:
            keys = emu.tenant_keys.setdefault(ws.account_id, [])
            if method == "GET" and name is None:
                return self._send(200, {"sshKeys": [dict(k) for k in keys]})
            if method == "POST" and name is None:
                body = self._json(raw)
                if body is None or not self._validate(body, v1=False):
                    return None
                if any(k["name"] == body["name"] for k in keys):
                    return self._send(
                        409,
                        error(
                            409,
                            f"{body['name']} sshkey name already exists; duplicate names are not allowed",
                            "Conflict",
                        ),
                    )
                row = {"name": body["name"], "sshKey": body["sshKey"], "creationDate": FIXED_DATE}
                keys.append(row)
                return self._send(201, row)
            if method == "PUT" and name is not None:
                body = self._json(raw)
                if body is None or not self._validate(body, v1=False):
                    return None
                found: dict[str, Any] | None = next(
                    (k for k in keys if k["name"] == unquote(name)), None
                )
                if found is None:
                    return self._send(404, error(404, f"sshkey {name} not found", "Not Found"))
                found.update(name=body["name"], sshKey=body["sshKey"])
                return self._send(200, dict(found))
            if method in ("GET", "DELETE") and name is not None:
                for k in keys:
                    if k["name"] == unquote(name):
                        if method == "DELETE":
                            keys.remove(k)
                            return self._send(200, {})
                        return self._send(200, k)
                return self._send(404, error(404, f"sshkey {name} not found", "Not Found"))
        return self._send(405, error(405, "method not allowed", "Method Not Allowed"))

    # -- admin --------------------------------------------------------------------------------

    def _admin(self, method: str, switch: str, raw: bytes) -> None:
        emu = self.emu
        body = json.loads(raw or b"{}") if method == "POST" else {}
        if switch == "state" and method == "GET":
            return self._send(
                200,
                {
                    "workspaces": [w.resource() for w in emu.workspaces],
                    "keys": emu.keys,
                    "tenant_keys": emu.tenant_keys,
                    "v1_enabled": emu.v1_enabled,
                    "reject_non_rsa": emu.reject_non_rsa,
                },
            )
        if switch == "fail":
            emu.fail(
                int(body["status"]),
                int(body.get("times", 1)),
                method=body.get("method"),
                path=body.get("path"),
                retry_after=body.get("retry_after"),
            )
        elif switch == "hang":
            emu.hang(float(body.get("seconds", 30)), int(body.get("times", 1)), body.get("path"))
        elif switch == "expire-tokens":
            emu.expire_tokens()
        elif switch == "v1":
            emu.v1_enabled = bool(body.get("enabled", True))
        elif switch == "trickle":
            emu.trickle_path = body.get("path")
            emu.trickle_interval = float(body.get("interval", 1.0))
        elif switch == "flood":
            emu.flood_path = body.get("path")
        elif switch == "reject-non-rsa":
            emu.reject_non_rsa = bool(body.get("enabled", True))
        else:
            return self._send(404, error(404, f"no admin switch {switch}", "Not Found"))
        return self._send(200, {"ok": True})


def demo(port: int = 0, api_key: str = "demo-api-key") -> CloudEmulator:
    """An emulator with three workspaces in different zones, as demos and screenshots use."""
    emu = CloudEmulator(api_keys={api_key})
    dallas = emu.add_workspace("prod-dallas", "dal12")
    emu.add_workspace("dev-london", "lon06")
    emu.add_workspace("test-sydney", "syd05")
    emu.add_instance(dallas, "web-1", "192.168.10.5", external_ip="169.48.1.2")
    emu.add_instance(dallas, "aix-db", "192.168.10.6", os_type="aix")
    return emu.start(port)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Local emulator of the IBM Cloud APIs sshdeck uses."
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default="demo-api-key")
    args = parser.parse_args()
    emu = demo(args.port, args.api_key)
    for name, value in emu.env().items():
        print(f"export {name}={value}")
    print(f"export IBMCLOUD_API_KEY={args.api_key}")
    print(
        f'# admin: curl -X POST {emu.url}/_admin/fail -d \'{{"status": 403, "times": 1}}\'',
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        emu.stop()


if __name__ == "__main__":
    main()
