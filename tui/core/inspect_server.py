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
import fnmatch
import re
import secrets
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tui.core.refusal import LOG_COMMAND, Cause
from tui.core.text import visible

__all__ = ["Finding", "InspectRequest", "inspect_refusal", "strict_modes_problem"]

_MAX_OUTPUT = 512 * 1024  # bytes read back from the server, all sections together
_MAX_FILE = 256 * 1024
_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\$?$")
_LOG_REASONS = (
    (re.compile(r"bad ownership or modes for (file|directory) (\S+)"), "strict-modes"),
    (re.compile(r"User (\S+) from \S+ not allowed because (.*)"), "account-not-allowed"),
    (re.compile(r"Invalid user (\S+) from"), "account-not-allowed"),
    (re.compile(r"ROOT LOGIN REFUSED"), "root-login-refused"),
    (re.compile(r"signature algorithm (\S+) not in PubkeyAcceptedAlgorithms"), "algorithm"),
    (re.compile(r"Certificate invalid: (.*)"), "certificate-invalid"),
    (re.compile(r"but not from a permitted host"), "key-options"),
    (re.compile(r"Account \S+ has expired|Access denied for user \S+ by PAM account"), "x"),
)


@dataclass(frozen=True)
class InspectRequest:
    """The other way in: a password or a key, and the account to use (default: the tested one)."""

    password: str | None = field(default=None, repr=False)
    key: Path | None = None
    user: str | None = None


@dataclass
class Finding:
    """What the inspection established; ``cause`` None when it could not tell."""

    cause: Cause | None
    diagnosis: str
    fix: str
    facts: dict[str, Any]


@dataclass(frozen=True)
class PathStat:
    path: str
    mode: int
    uid: int
    gid: int
    kind: str
    owner: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "mode": f"{self.mode:04o}", "owner": self.owner,
                "uid": self.uid, "gid": self.gid}  # fmt: skip


async def inspect_refusal(result: Any, connect: Any, request: InspectRequest) -> Finding:
    """Log in with ``request``'s credential and find why ``result`` (auth-failed) was refused."""
    from tui.core.connect import ConnectionFailed, Target, open_connection

    user = result_user(result, connect)
    who = request.user or user
    if not _USER.match(user) or not _USER.match(who):
        return _unknown(f"the user name {visible(who)!s} cannot be inspected safely", {})
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
        return _unknown(
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
    return _verdict(result, user, account, config, files, second, facts)


def result_user(result: Any, connect: Any) -> str:
    for line in getattr(result, "lines", []):
        text = getattr(line, "text", "")
        if text.startswith("debug1: Authenticating to ") and " as '" in text:
            return str(text.rsplit(" as '", 1)[1].rstrip("'"))
    from tui.core.connect import resolve_config

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


def _stats(text: str) -> list[PathStat]:
    """The stat lines of a file and its parents; empty when the file itself does not exist."""
    found: list[PathStat] = []
    lines = text.splitlines()
    if not lines or lines[0] == "missing":
        return found
    for line in lines:
        head, _, rest = line.partition("|")
        parts = head.split(" ", 3)
        owner, _, path = rest.partition("|")
        if len(parts) == 4 and all(p.isdigit() for p in parts[1:3]):
            try:
                mode = int(parts[0], 8)
            except ValueError:
                continue
            found.append(PathStat(path, mode, int(parts[1]), int(parts[2]), parts[3], owner))
    return found


def strict_modes_problem(
    chain: list[PathStat],
    uid: int,
    home: str,
    groups: dict[int, tuple[list[int], list[str]]],
    user: str,
    debian: bool,
) -> tuple[PathStat, str] | None:
    """The first entry sshd's StrictModes rejects (``misc.c: safe_path()``) and why, or None.

    ``chain`` is the file's realpath then each parent up to ``/``; ``groups`` maps a gid to the
    uids whose primary group it is and its listed members (Debian's group-write rule).
    """
    for index, entry in enumerate(chain):
        if index == 0 and "regular" not in entry.kind:
            return entry, "it is not a regular file"
        if entry.uid not in (0, uid):
            return entry, f"it is owned by {entry.owner or entry.uid}, not {user} or root"
        if entry.mode & 0o002:
            return entry, "it is writable by every user"
        if entry.mode & 0o020:
            primary, members = groups.get(entry.gid, ([], []))
            others = [u for u in primary if u != uid] + [m for m in members if m != user]
            lone = bool(primary or members) and not others and len(members) <= 1
            if not (debian and lone):
                return (
                    entry,
                    "it is group-writable and its group has other members"
                    if debian
                    else ("it is group-writable"),
                )
        if index > 0 and entry.path.rstrip("/") == home.rstrip("/"):
            break
    return None


def _groups(second: dict[str, str]) -> dict[int, tuple[list[int], list[str]]]:
    groups: dict[int, tuple[list[int], list[str]]] = {}
    for line in second.get("group", "").splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[2].isdigit():
            groups[int(parts[2])] = ([], [m for m in parts[3].split(",") if m])
    for line in second.get("primary", "").splitlines():
        uid, _, gid = line.partition(":")
        if uid.isdigit() and gid.isdigit() and int(gid) in groups:
            groups[int(gid)][0].append(int(uid))
    return groups


def _key_lines(text: str, wanted: set[str]) -> tuple[str, str] | None:
    """The offered key's fingerprint found in an authorized_keys text: (its SHA256, options)."""
    from tui.core.keys import parse_public_key

    for raw in text.splitlines()[:5000]:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = _split_options(line)
        for start in range(min(2, len(words))):
            try:
                key = parse_public_key(" ".join(words[start : start + 2]))
            except Exception:  # noqa: BLE001 - not a key at this position
                continue
            if key.sha256 in wanted:
                return key.sha256, words[0] if start == 1 else ""
            break
    return None


def _split_options(line: str) -> list[str]:
    """authorized_keys words: options (with quoted commas and spaces) stay one word."""
    words, current, quoted = [], "", False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        if ch in " \t" and not quoted:
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
    if current:
        words.append(current)
    return words


def _matches(patterns: list[str], user: str, groups: list[str] | None, addr: str) -> bool:
    for value in " ".join(patterns).split():
        name, _, host = value.partition("@")
        names = groups if groups is not None else [user]
        if any(fnmatch.fnmatchcase(n, name) for n in names) and (
            not host or fnmatch.fnmatchcase(addr, host)
        ):
            return True
    return False


def _verdict(
    result: Any,
    user: str,
    account: dict[str, Any],
    config: dict[str, list[str]] | None,
    files: list[str],
    second: dict[str, str],
    facts: dict[str, Any],
) -> Finding:
    offered = list(getattr(result, "offered_keys", []))
    wanted = {k.sha256 for k in offered}
    log = _log_lines(second.get("log", ""), user, files)
    facts["log"] = log
    if not facts.get("commands_ran"):
        return _unknown(f"commands could not be run as {facts.get('as')} (its shell?)", facts)
    if account.get("exists") is False:
        return _found("account-not-allowed", f"there is no user {user} on the server",
                      "check the user name (user@host), or create the account", facts)  # fmt: skip
    if not account.get("home"):
        return _unknown(f"the account entry of {user} could not be read", facts)
    addr = facts.get("client_addr", "")
    cfg = config or {}

    def listed(name: str, groups: bool = False) -> bool:
        return _matches(cfg.get(name, []), user, account["groups"] if groups else None, addr)

    where = "in the sshd config (sshd -T shows the effective value)"
    if cfg.get("denyusers") and listed("denyusers"):
        return _found("account-not-allowed", f"{user} is listed in DenyUsers {where}",
                      f"remove {user} from DenyUsers in sshd_config and reload sshd", facts)  # fmt: skip
    if cfg.get("allowusers") and not listed("allowusers"):
        allowed = visible(" ".join(cfg["allowusers"]))
        return _found("account-not-allowed",
                      f"{user} is not listed in AllowUsers ({allowed}) {where}",
                      f"add {user} to AllowUsers in sshd_config and reload sshd", facts)  # fmt: skip
    if cfg.get("denygroups") and listed("denygroups", True):
        return _found("account-not-allowed", f"a group of {user} is listed in DenyGroups {where}",
                      "remove the group from DenyGroups, or the user from the group", facts)  # fmt: skip
    if cfg.get("allowgroups") and not listed("allowgroups", True):
        return _found("account-not-allowed",
                      f"none of {user}'s groups is listed in AllowGroups {where}",
                      f"add one of {user}'s groups to AllowGroups (or usermod -aG GROUP {user})",
                      facts)  # fmt: skip
    if account.get("expired"):
        expiry = visible(str(account.get("expires")))
        return _found("account-not-allowed", f"the account {user} expired on {expiry}",
                      f"lift the expiry (as root): chage -E -1 {user}", facts)  # fmt: skip
    if account.get("locked") and cfg.get("usepam", ["yes"])[0] == "no":
        return _found("account-not-allowed", f"the account {user} is locked (passwd -S: L)",
                      f"unlock it (as root): usermod -U {user}, or give it a new password", facts)  # fmt: skip
    if account.get("uid") == 0 and cfg.get("permitrootlogin", [""])[0] == "no":
        return _found("root-login-refused",
                      f"{user} is root (uid 0) and sshd's PermitRootLogin is no",
                      "log in as another user, or set PermitRootLogin prohibit-password in "
                      "sshd_config and reload sshd", facts)  # fmt: skip
    accepted = cfg.get("pubkeyacceptedalgorithms")
    if accepted and offered:
        from tui.core.refusal import sig_algs_for

        allowed_algs = set(accepted[0].split(","))
        if all(not set(sig_algs_for(k.label)) & allowed_algs for k in offered):
            labels = ", ".join(sorted({k.label for k in offered}))
            return _found("algorithm-not-accepted",
                          f"sshd's PubkeyAcceptedAlgorithms ({visible(accepted[0])}) allows no "
                          f"algorithm for the {labels} key offered",
                          "use a key of an accepted type (ssh-keygen -t ed25519) or add its "
                          "algorithm to PubkeyAcceptedAlgorithms", facts)  # fmt: skip
    strict = cfg.get("strictmodes", ["yes"])[0] != "no"
    debian = any(w in str(getattr(result, "server_version", "")) for w in ("Debian", "Ubuntu"))
    groups = _groups(second)
    checked: list[dict[str, Any]] = []
    found_in: tuple[str, str] | None = None
    ignored: tuple[str, PathStat, str] | None = None
    for index, path in enumerate(files):
        chain = _stats(second.get(f"stat-{index}", ""))
        checked.append({"file": path, "paths": [s.to_json() for s in chain]})
        if not chain:
            continue
        problem = None
        if strict and account.get("uid") is not None:
            problem = strict_modes_problem(chain, account["uid"], account.get("home", ""),
                                           groups, user, debian)  # fmt: skip
        hit = _key_lines(second.get(f"file-{index}", ""), wanted)
        if hit is not None and found_in is None:
            found_in = (chain[0].path, hit[1])
        if problem is not None and ignored is None and (hit is not None or found_in is None):
            ignored = (chain[0].path, *problem)
    facts["authorized_keys"] = checked
    facts["key_in_file"] = found_in[0] if found_in else None
    facts["key_options"] = found_in[1] if found_in else None
    if ignored is not None and (found_in is None or found_in[0] == ignored[0]):
        file, entry, why = ignored
        what = "it" if entry.path == file else visible(entry.path)
        fix = _strict_fix(entry, file, user, account["uid"])
        because = f"{what} {why.removeprefix('it ')}"
        if config is None:  # not root: StrictModes is on unless sshd_config turns it off
            return _found("strict-modes",
                          f"sshd ignores {visible(file)} if StrictModes is on (the default; "
                          f"sshd -T needs root) because {because}", fix, facts,
                          confirmed=False)  # fmt: skip
        return _found("strict-modes",
                      f"sshd ignores {visible(file)} because {because} (StrictModes)", fix,
                      facts)  # fmt: skip
    if found_in is None:
        names = ", ".join(visible(f) for f in files)
        default = (
            "" if config is not None else " (the default AuthorizedKeysFile; sshd -T needs root)"
        )
        return _found("key-not-authorized",
                      f"the key offered is not in {names}{default}",
                      "add it: sshdeck copy-id (or the upload screen)", facts,
                      confirmed=config is not None)  # fmt: skip
    options = found_in[1]
    if _from_refuses(options, addr):
        return _found("key-options",
                      f"the key's line in {visible(found_in[0])} allows it only with "
                      f"{visible(options)}, and this client's address does not match",
                      "widen or remove the from=\"…\" option of that line", facts)  # fmt: skip
    for text in reversed(log):
        for pattern, code in _LOG_REASONS:
            if pattern.search(text):
                return _found(code if code != "x" else "account-not-allowed",
                              f"sshd logged: {text}",
                              "act on sshd's own reason above", facts)  # fmt: skip
    return _unknown(
        f"everything sshdeck could read looks right (the key is in {visible(found_in[0])}, "
        "modes and sshd_config allow it)",
        facts,
    )


def _from_refuses(options: str, addr: str) -> bool:
    """Does the line's ``from="…"`` list leave this client's address out? (Patterns only; a
    CIDR entry or a host name counts as a possible match: no false claim of a refusal.)"""
    found = re.search(r'(?:^|,)from="([^"]*)"', options)
    if found is None or not addr:
        return False
    patterns = found.group(1).split(",")
    if any("/" in p or not re.fullmatch(r"[0-9a-fA-F.:*?!]+", p) for p in patterns):
        return False
    allowed = [p for p in patterns if not p.startswith("!")]
    denied = [p[1:] for p in patterns if p.startswith("!")]
    if any(fnmatch.fnmatchcase(addr, p) for p in denied):
        return True
    return not any(fnmatch.fnmatchcase(addr, p) for p in allowed)


def _strict_fix(entry: PathStat, file: str, user: str, uid: int) -> str:
    owner = f"chown {user} {entry.path}; " if entry.uid not in (0, uid) else ""
    if entry.path == file:
        return f"make it {user}'s and private: {owner}chmod 600 {file}"
    if entry.path.endswith("/.ssh"):
        return f"make it {user}'s and private: {owner}chmod 700 {entry.path}"
    return f"make it writable by {user} alone: {owner}chmod go-w {entry.path}"


def _log_lines(text: str, user: str, files: list[str]) -> list[str]:
    """The sshd log lines about this user or its files, last 10, escaped and cut to size."""
    wanted = [user, *files, "ROOT LOGIN REFUSED", "PubkeyAcceptedAlgorithms"]
    kept = [visible(line[:300]) for line in text.splitlines() if any(w in line for w in wanted)]
    return kept[-10:]


def _found(
    code: str, text: str, fix: str, facts: dict[str, Any], confirmed: bool = True
) -> Finding:
    """The cause found; ``confirmed`` False when a setting sshdeck could not read might undo it."""
    cause = Cause(code, text, fix, confirmed=confirmed)
    facts["cause"] = code
    return Finding(cause, f"Looked on the server as {facts.get('as')}: {text}", fix, facts)


def _unknown(text: str, facts: dict[str, Any]) -> Finding:
    facts.setdefault("cause", None)
    return Finding(None, f"Looked on the server as {facts.get('as')}: {text}",
                   f"read sshd's own reason in its log: {LOG_COMMAND}", facts)  # fmt: skip
