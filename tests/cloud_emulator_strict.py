"""A second, deliberately strict emulator of IBM's APIs, written from the documented shapes only.

It shares no code with ``tests/cloud_emulator.py`` on purpose: the acceptance tests run the real
CLI against both, so the client cannot lean on one emulator's quirks. What it insists on, as the
real services do (see ``/work/shared/reference/powervs-ssh-key-api.md``):

- IAM takes only a form body (``application/x-www-form-urlencoded`` with a Content-Length, no
  chunked upload) and answers exactly ``access_token``, ``refresh_token``, ``token_type``,
  ``expires_in``, ``expiration``; a bad key is 400 ``BXNIM0415E``.
- The resource controller pages one row at a time with a *relative* ``next_url`` that, like
  IBM's, carries a ``next_docid`` and not the original ``resource_id`` filter (or an absolute one
  with ``absolute_next``); ``rows_count`` counts the page.
- The Power API may live under a path prefix; every call needs ``Authorization: Bearer`` and the
  workspace ``CRN``; a missing or stale token gets 401 with an empty body; errors carry only some
  of ``code``, ``description``, ``error``, ``message``.
- Canned answers (``queue``) and stalls (``stall``) per path suffix model 403/409/422/429/5xx.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

POWER_ID = "abd259f0-9990-11e8-acc8-b9f54a8f1661"
NAME_RE = re.compile(r"^[A-Za-z0-9-_]+(?: +[A-Za-z0-9-_]+)*$")


@dataclass
class Canned:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)


class StrictIBM:
    """IAM at ``/``, resource controller at ``/``, Power API under ``power_prefix``."""

    def __init__(
        self,
        api_keys: set[str],
        *,
        power_prefix: str = "/power/api",
        absolute_next: bool = False,
        v1: bool = True,
        expires_in: int = 3600,
        rsa_only: bool = False,
    ) -> None:
        self.rsa_only = rsa_only
        self.api_keys = api_keys
        self.power_prefix = power_prefix
        self.absolute_next = absolute_next
        self.v1 = v1
        self.expires_in = expires_in
        self.resources: list[dict[str, Any]] = []
        self.keys: dict[str, list[dict[str, Any]]] = {}  # crn -> workspace keys
        self.tenant: dict[str, list[dict[str, Any]]] = {}  # account -> tenant keys
        self.tokens: set[str] = set()
        self.seen: list[Seen] = []
        self._queue: list[tuple[str, str, Canned]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- set-up --------------------------------------------------------------------------------

    def workspace(self, name: str, zone: str, account: str = "acc0123456789") -> dict[str, Any]:
        guid = str(uuid.uuid4())
        crn = f"crn:v1:bluemix:public:power-iaas:{zone}:a/{account}:{guid}::"
        row = {
            "id": crn,
            "guid": guid,
            "crn": crn,
            "name": name,
            "region_id": zone,
            "account_id": account,
            "resource_id": POWER_ID,
            "resource_plan_id": "f165dd34-3a40-423b-9d95-e90a23f724dd",
            "resource_group_id": "rg0",
            "state": "active",
            "type": "service_instance",
        }
        self.resources.append(row)
        self.keys[crn] = []
        self.tenant.setdefault(account, [])
        return row

    def queue(self, method: str, suffix: str, answer: Canned, times: int = 1) -> None:
        """The next ``times`` requests whose path ends with ``suffix`` get ``answer``."""
        with self._lock:
            self._queue.extend((method, suffix, answer) for _ in range(times))

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def count(self, method: str, suffix: str) -> int:
        return sum(1 for s in self.seen if s.method == method and s.path.endswith(suffix))

    @property
    def base(self) -> str:
        assert self._server
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """Base URLs written three ways: trailing slash, bare, and with a path prefix."""
        return {
            "IBMCLOUD_IAM_API_ENDPOINT": self.base + "/",
            "IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT": self.base,
            "IBMCLOUD_POWER_API_ENDPOINT": self.base + self.power_prefix + "/",
        }

    def start(self) -> StrictIBM:
        emu = self

        class Handler(_Handler):
            owner = emu

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def take(self, method: str, path: str) -> Canned | None:
        with self._lock:
            for i, (m, suffix, answer) in enumerate(self._queue):
                if m == method and path.endswith(suffix):
                    del self._queue[i]
                    return answer
        return None


def err(status: int, **fields: Any) -> Canned:
    return Canned(status, json.dumps(fields).encode(), {"Content-Type": "application/json"})


class _Handler(BaseHTTPRequestHandler):
    owner: StrictIBM
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _reply(self, answer: Canned) -> None:
        if answer.delay:
            time.sleep(answer.delay)
        try:
            self.send_response(answer.status)
            for k, v in answer.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except OSError:
            pass

    def _json(self, status: int, doc: Any) -> None:
        self._reply(Canned(status, json.dumps(doc).encode(), {"Content-Type": "application/json"}))

    def _serve(self, method: str) -> None:
        emu = self.owner
        if self.headers.get("Transfer-Encoding"):
            return self._reply(err(400, error="chunked bodies are not accepted"))
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        split = urlsplit(self.path)
        path = split.path
        emu.seen.append(Seen(method, self.path, dict(self.headers.items()), raw))
        canned = emu.take(method, path)
        if canned:
            return self._reply(canned)
        if method == "POST" and path == "/identity/token":
            return self._iam(raw)
        if method == "GET" and path == "/v2/resource_instances":
            if not self._bearer():
                return self._reply(Canned(401))
            return self._rc(parse_qs(split.query))
        if path.startswith(emu.power_prefix + "/"):
            if not self._bearer():
                return self._reply(Canned(401))
            return self._power(method, path[len(emu.power_prefix) :], raw)
        self._json(404, {"code": 404, "message": f"path {path} was not found"})

    def _bearer(self) -> bool:
        auth = self.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.owner.tokens

    def _iam(self, raw: bytes) -> None:
        if (
            self.headers.get("Content-Type", "").split(";")[0]
            != "application/x-www-form-urlencoded"
        ):
            return self._json(400, {"errorCode": "BXNIM0109E", "errorMessage": "Property missing"})
        form = parse_qs(raw.decode())
        if form.get("grant_type") != ["urn:ibm:params:oauth:grant-type:apikey"]:
            return self._json(400, {"errorCode": "BXNIM0109E", "errorMessage": "grant_type"})
        if form.get("apikey", [""])[0] not in self.owner.api_keys:
            return self._json(
                400,
                {
                    "errorCode": "BXNIM0415E",
                    "errorMessage": "Provided API key could not be found",
                    "context": {"requestId": "r1", "url": "https://iam.cloud.ibm.com"},
                },
            )
        token = "eyJ" + uuid.uuid4().hex
        self.owner.tokens.add(token)
        self._json(
            200,
            {
                "access_token": token,
                "refresh_token": "ref" + uuid.uuid4().hex,
                "token_type": "Bearer",
                "expires_in": self.owner.expires_in,
                "expiration": int(time.time()) + self.owner.expires_in,
            },
        )

    def _rc(self, query: dict[str, list[str]]) -> None:
        emu = self.owner
        if "next_docid" in query:
            start, wanted = query["next_docid"][0].split("~", 1)
        else:
            start, wanted = "0", query.get("resource_id", [""])[0]
        rows = [r for r in emu.resources if not wanted or r["resource_id"] == wanted]
        first = int(start)
        page = rows[first : first + 1]
        next_url = None
        if first + 1 < len(rows):
            next_url = f"/v2/resource_instances?next_docid={first + 1}~{wanted}&limit=1"
            next_url += "&account_id=acc0123456789"
            if emu.absolute_next:
                next_url = emu.base + next_url
        self._json(200, {"rows_count": len(page), "next_url": next_url, "resources": page})

    def _power(self, method: str, path: str, raw: bytes) -> None:
        emu = self.owner
        crn = self.headers.get("CRN", "")
        ws = next((r for r in emu.resources if r["crn"] == crn), None)
        tenant = re.fullmatch(r"/pcloud/v1/tenants/([^/]+)/sshkeys(?:/([^/]+))?", path)
        if path.startswith("/v1/ssh-keys") and not emu.v1:
            return self._json(404, {"code": 404, "message": f"path {path} was not found"})
        if ws is None:
            return self._json(404, {"description": f"workspace {crn} not found", "error": "nf"})
        vms = re.fullmatch(r"/pcloud/v1/cloud-instances/([^/]+)/pvm-instances", path)
        if vms and method == "GET" and vms.group(1) == ws["guid"]:
            return self._json(200, {"pvmInstances": []})
        if path == "/v1/ssh-keys" or path.startswith("/v1/ssh-keys/"):
            store = emu.keys[crn]
            key_id = unquote(path[len("/v1/ssh-keys/") :]) if path != "/v1/ssh-keys" else None
        elif tenant and unquote(tenant.group(1)) == ws["account_id"]:
            store = emu.tenant[ws["account_id"]]
            key_id = unquote(tenant.group(2)) if tenant.group(2) else None
        else:
            return self._json(404, {"code": 404, "message": f"path {path} was not found"})
        v1 = path.startswith("/v1/")
        if method == "GET" and key_id is None:
            return self._json(200, {"sshKeys": store})
        if method == "DELETE" and key_id is not None:
            hit = [k for k in store if k.get("id", k["name"]) == key_id or k["name"] == key_id]
            if not hit:
                return self._json(404, {"error": "ssh key not found"})
            store.remove(hit[0])
            return self._json(200, {})
        if method == "POST" and key_id is None:
            if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                return self._json(415, {"message": "content type"})
            body = json.loads(raw or b"null")
            allowed = {"name", "sshKey", "description", "visibility"} if v1 else {"name", "sshKey"}
            if not isinstance(body, dict) or set(body) - allowed:
                return self._json(400, {"description": "unexpected fields", "code": 400})
            name, line = body.get("name"), body.get("sshKey")
            if not isinstance(name, str) or len(name) > 128 or not NAME_RE.match(name):
                return self._json(422, {"description": "name in body should match pattern"})
            if not isinstance(line, str) or (emu.rsa_only and not line.startswith("ssh-rsa ")):
                return self._json(400, {"message": "invalid ssh key: only RSA is supported"})
            if body.get("visibility") not in (None, "workspace", "account"):
                return self._json(422, {"description": "visibility should be one of"})
            if any(k["name"] == name for k in store):
                return self._json(409, {"description": f"{name} sshkey name already exists"})
            row: dict[str, Any] = {"name": name, "sshKey": line, "creationDate": "2026-01-01"}
            if v1:
                row = {
                    "id": uuid.uuid4().hex[:20],
                    "description": body.get("description", ""),
                    "primaryWorkspace": True,
                    **row,
                }
                if "visibility" in body:  # the API has no default
                    row["visibility"] = body["visibility"]
            store.append(row)
            return self._json(201 if v1 else 200, row)
        if method == "GET" and key_id is not None:
            hit = [k for k in store if k.get("id", k["name"]) == key_id or k["name"] == key_id]
            if not hit:
                return self._json(404, {"error": "ssh key not found"})
            return self._json(200, hit[0])
        if method == "PUT" and key_id is not None:
            if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                return self._json(415, {"message": "content type"})
            body = json.loads(raw or b"null")
            # UpdateWorkspaceSSHKey: all optional; the tenant API's SSHKey: name, sshKey required
            allowed = {"name", "sshKey", "description", "visibility"} if v1 else {"name", "sshKey"}
            if not isinstance(body, dict) or set(body) - allowed:
                return self._json(400, {"description": "unexpected fields", "code": 400})
            if not v1 and not {"name", "sshKey"} <= set(body):
                return self._json(422, {"description": "name and sshKey are required"})
            name = body.get("name")
            if name is not None and (
                not isinstance(name, str) or len(name) > 128 or not NAME_RE.match(name)
            ):
                return self._json(422, {"description": "name in body should match pattern"})
            if body.get("visibility") not in (None, "workspace", "account"):
                return self._json(422, {"description": "visibility should be one of"})
            hit = [k for k in store if k.get("id", k["name"]) == key_id or k["name"] == key_id]
            if not hit:
                return self._json(404, {"error": "ssh key not found"})
            hit[0].update(body)
            return self._json(200, hit[0])
        self._json(405, {"error": "method not allowed"})
