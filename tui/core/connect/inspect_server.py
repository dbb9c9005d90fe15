"""Look at the server side of a refused login, read-only, through another way in.

``sshdeck test … --inspect-with-password`` (or ``--inspect-with KEY``) logs in with that other
credential, as the tested user or ``--inspect-user``, and reads what sshd decides with: the
account (``getent passwd``, groups, ``chage -l``, ``passwd -S``), the effective sshd config for
this login (``sshd -T -C user=…`` on the config of the sshd that listens on the port; root only),
owner and modes of every directory from each ``AuthorizedKeysFile`` up to the home (StrictModes,
with Debian's group-write rule), the file itself (is the key there, under which options) and the
last sshd log lines. Only ``stat``, ``cat``-like reads and ``sshd -T`` run: nothing is written.

Everything the server prints is hostile: it is cut to a bound, split by a random marker it cannot
guess, and shown only through :func:`tui.core.text.visible`. The credential never reaches an
output (the password is scrubbed from the inspector's trace like any secret).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core.connect.inspect_verdict import Finding, unknown_finding, verdict
from tui.core.text import visible

if TYPE_CHECKING:
    from tui.core.connect.engine import Sink
    from tui.core.connect.options import ConnectOptions
    from tui.core.connect.result import ProbeResult

__all__ = ["Finding", "InspectRequest", "inspect_refusal", "inspect_result"]

_MAX_OUTPUT = 512 * 1024  # bytes read back from the server, all sections together
_MAX_FILE = 256 * 1024
_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\$?$")


@dataclass(frozen=True)
class InspectRequest:
    """The other way in: a password or a key, and the account to use (default: the tested one)."""

    password: str | None = field(default=None, repr=False)
    key: Path | None = None
    user: str | None = None


async def inspect_refusal(
    result: ProbeResult, connect: ConnectOptions, request: InspectRequest
) -> Finding:
    """Log in with ``request``'s credential and find why ``result`` (auth-failed) was refused."""
    from tui.core.connect.client import ConnectionFailed, Target, open_connection

    user = result_user(result, connect)
    who = request.user or user
    if not _USER.match(user) or not _USER.match(who):
        return unknown_finding(f"the user name {visible(who)!s} cannot be inspected safely", {})
    method = "key " + str(request.key) if request.key else "password"
    inspector = replace(
        connect,
        target=Target(who, connect.target.host, connect.target.port),
        password=request.password,
        identities=(request.key,) if request.key else (),
        identities_only=True,
        use_agent=False,
        ask_passphrase=None,
        ask_password=None,
        accept_new=False,  # the host key was checked by the test itself
    )
    facts: dict[str, Any] = {"as": who, "with": "key" if request.key else "password"}
    try:
        conn = await open_connection(inspector, None)
    except ConnectionFailed as failed:
        facts["login"] = False
        return unknown_finding(
            f"sshdeck could not log in as {who} with the {method} to look ({failed.diagnosis})",
            facts,
        )
    facts["login"] = True
    async with conn:
        local = conn.get_extra_info("sockname") or ("", 0)
        peer = conn.get_extra_info("peername") or ("", 0)
        facts_addr = str(local[0])
        spec = f"user={user},host={local[0]},addr={local[0]},laddr={peer[0]},lport={peer[1]}"
        marker = "@@sshdeck-" + secrets.token_hex(8)
        first = _sections(await _run(conn, _first_script(user, spec, int(peer[1]), marker),
                                     connect.timeout), marker)  # fmt: skip
        account = _account(first, user)
        config = _sshd_config(first.get("sshd-T", ""))
        home = account.get("home", "")
        files = _key_files(config, home, user, account.get("uid"))
        second = _sections(
            await _run(conn, _second_script(files, first.get("log-path", "").strip(), marker),
                       connect.timeout), marker,
        )  # fmt: skip
    facts.update(_public_facts(account, config, first))
    facts["client_addr"] = facts_addr
    facts["commands_ran"] = "id" in first and "log" in second
    return verdict(result, user, account, config, files, second, facts)


def result_user(result: ProbeResult, connect: ConnectOptions) -> str:
    for line in getattr(result, "lines", []):
        text = getattr(line, "text", "")
        if text.startswith("debug1: Authenticating to ") and " as '" in text:
            return str(text.rsplit(" as '", 1)[1].rstrip("'"))
    from tui.core.connect.client import resolve_config

    try:
        return str(resolve_config(connect).user)  # the config's User for a Host alias
    except Exception:  # noqa: BLE001 - a config the test already read; fall back to the target
        import getpass

        return str(connect.target.user or getpass.getuser())


async def _run(conn: Any, script: str, timeout: float) -> str:
    import asyncio

    # sh reads the script from stdin: no argument holds it, and no shell quoting of ours can
    # break out of it
    async with asyncio.timeout(max(timeout, 10.0)):
        done = await conn.run("sh -s", input=script.encode(), check=False, encoding=None)
    out = bytes(done.stdout or b"")[:_MAX_OUTPUT]
    return out.decode("utf-8", "surrogateescape")


def _sections(text: str, marker: str) -> dict[str, str]:
    found: dict[str, str] = {}
    name = None
    for line in text.splitlines():
        if line.startswith(marker + " "):
            name = line[len(marker) + 1 :].strip()
            found[name] = ""
        elif name is not None:
            found[name] += line + "\n"
    return found


def _first_script(user: str, spec: str, port: int, marker: str) -> str:
    u, m = shlex.quote(user), shlex.quote(marker)
    return f"""set -f; export LC_ALL=C
s() {{ printf '%s %s\\n' {m} "$1"; }}
s id; id -u
s passwd; getent passwd {u}; echo "getent=$?"
s groups; id -Gn {u} 2>/dev/null
s gids; id -G {u} 2>/dev/null; id -g {u} 2>/dev/null
cfg=/etc/ssh/sshd_config; log=; prev=
pid=$(ss -Hltnp "sport = :{port}" 2>/dev/null | sed -n 's/.*pid=\\([0-9]*\\).*/\\1/p' | head -n 1)
if [ -n "$pid" ] && [ -r /proc/$pid/cmdline ]; then
  for a in $(tr '\\0' ' ' < /proc/$pid/cmdline | head -c 4096); do
    case "$prev" in -f) cfg=$a;; -E) log=$a;; esac; prev=$a
  done
fi
s log-path; printf '%s\\n' "$log"
s sshd-T; sshd -T -f "$cfg" -C {shlex.quote(spec)} 2>/dev/null | head -c 65536
s passwd-S; passwd -S {u} 2>/dev/null
s chage; chage -l {u} 2>/dev/null
"""


def _second_script(files: list[str], log: str, marker: str) -> str:
    m = shlex.quote(marker)
    lines = ["set -f; export LC_ALL=C", f"s() {{ printf '%s %s\\n' {m} \"$1\"; }}"]
    for index, path in enumerate(files):
        p = shlex.quote(path)
        lines += [
            f"f=$(readlink -f -- {p} 2>/dev/null) || f={p}",
            f's stat-{index}; d="$f"',
            "while :; do stat -c '%a %u %g %F|%U|%n' -- \"$d\" 2>/dev/null || echo missing;"
            ' [ "$d" = / ] && break; d=$(dirname -- "$d"); done',
            f's file-{index}; head -c {_MAX_FILE} -- "$f" 2>/dev/null',
        ]
    lines += [
        "s primary; getent passwd | cut -d: -f3,4 | head -c 65536",
        "s group; getent group | head -c 65536",
    ]
    if log:
        lines.append(f"s log; tail -n 400 -- {shlex.quote(log)} 2>/dev/null | head -c 131072")
    else:
        lines.append(
            "s log; { journalctl -u ssh -u sshd -n 400 --no-pager -o cat 2>/dev/null ||"
            " grep sshd /var/log/auth.log 2>/dev/null | tail -n 400; } | head -c 131072"
        )
    return "\n".join(lines) + "\n"


def _account(first: dict[str, str], user: str) -> dict[str, Any]:
    account: dict[str, Any] = {"exists": None}  # None: could not tell
    passwd = first.get("passwd", "").strip().splitlines()
    if passwd and passwd[-1] == "getent=2":  # getent's "key not found"
        account["exists"] = False
    entry = passwd[0].split(":") if passwd else []
    if len(entry) >= 7 and entry[0] == user:
        account.update(exists=True, uid=_int(entry[2]), gid=_int(entry[3]), home=entry[5],
                       shell=entry[6])  # fmt: skip
    account["groups"] = first.get("groups", "").split()
    account["inspector_root"] = first.get("id", "").strip() == "0"
    status = first.get("passwd-S", "").split()
    if len(status) >= 2 and status[0] == user:
        account["locked"] = status[1] == "L"
    for line in first.get("chage", "").splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "Account expires":
            value = value.strip()
            account["expires"] = value
            try:
                when = dt.datetime.strptime(value, "%b %d, %Y").date()
            except ValueError:
                continue
            account["expired"] = when <= dt.date.today()
    return account


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _sshd_config(text: str) -> dict[str, list[str]] | None:
    config: dict[str, list[str]] = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name and name.isalnum():
            config.setdefault(name.lower(), []).append(value.strip())
    return config or None


def _key_files(config: dict[str, list[str]] | None, home: str, user: str, uid: Any) -> list[str]:
    words = " ".join((config or {}).get("authorizedkeysfile", [])).split()
    if not words:
        words = [".ssh/authorized_keys", ".ssh/authorized_keys2"]
    files = []
    for word in words[:8]:
        if word.lower() == "none":
            continue
        path = re.sub(
            "%[%hHuU]",
            lambda m: {"%%": "%", "%h": home, "%u": user, "%U": str(uid)}.get(m.group(0), ""),
            word,
        )
        files.append(path if path.startswith("/") else f"{home.rstrip('/')}/{path}")
    return files


def _public_facts(account: dict[str, Any], config: Any, first: dict[str, str]) -> dict[str, Any]:
    keep = ("permitrootlogin", "pubkeyacceptedalgorithms", "authorizedkeysfile", "allowusers",
            "denyusers", "allowgroups", "denygroups", "strictmodes", "usepam")  # fmt: skip
    facts: dict[str, Any] = {
        "account": {k: v for k, v in account.items() if k != "inspector_root"},
        "privileged": bool(account.get("inspector_root")),
    }
    if config is not None:
        facts["sshd_config"] = {k: config[k] for k in keep if k in config}
    return facts


async def inspect_result(
    result: ProbeResult, connect: ConnectOptions, request: InspectRequest, sink: Sink | None = None
) -> ProbeResult:
    """The result amended by an inspection when every key was refused (else ``result``).

    The finding replaces the diagnosis and the ranked causes; a look that could not run keeps
    the test's answer and says why in ``inspection``. A new result: the old one is unchanged.
    """
    import asyncssh

    from tui.core.connect.outcomes import Outcome
    from tui.core.connect.result import sentence
    from tui.core.connect.trace import TranscriptLine
    from tui.core.errors import SshDeckError

    if result.outcome != Outcome.AUTH_FAILED:
        return result
    try:
        finding = await inspect_refusal(result, connect, request)
    except (OSError, TimeoutError, asyncssh.Error, SshDeckError) as exc:
        # the look is extra: the test's answer stands
        return replace(result, inspection={"login": False, "error": type(exc).__name__})
    causes = result.causes
    if finding.cause is not None:
        rest = tuple(c for c in result.causes if c.code != finding.cause.code)
        # established: the ranking gives way to it; likely only (a setting it could not read
        # might undo it): first, before the others
        causes = (finding.cause, *(() if finding.cause.confirmed else rest))
    line = TranscriptLine(0, f"{finding.diagnosis}: {finding.fix}.")
    if sink is not None:
        sink(line)
    return replace(
        result,
        inspection=finding.facts,
        diagnosis=sentence(finding.diagnosis),
        fix=sentence(finding.fix),
        causes=causes,
        lines=(*result.lines, line),
    )
