"""The verdict of an inspection: from the server-side facts read, the one cause and its fix.

:mod:`tui.core.connect.inspect_server` logs in and reads; this module only reasons about what
was read (no network), so each rule is tested on its own: StrictModes as sshd's ``safe_path()``
applies it (with Debian's group-write rule), AllowUsers/DenyUsers/AllowGroups/DenyGroups, an
expired or locked account, PermitRootLogin, PubkeyAcceptedAlgorithms, whether the key is in the
file and under which ``from="…"`` option, and sshd's own log lines.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.core.connect.refusal import LOG_COMMAND, Cause
from tui.core.text import visible

if TYPE_CHECKING:
    from tui.core.connect.result import ProbeResult

__all__ = ["Finding", "PathStat", "strict_modes_problem", "unknown_finding", "verdict"]

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
    from tui.core.keys.public import parse_public_key

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


def verdict(
    result: ProbeResult,
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
        return unknown_finding(
            f"commands could not be run as {facts.get('as')} (its shell?)", facts
        )
    if account.get("exists") is False:
        return _found("account-not-allowed", f"there is no user {user} on the server",
                      "check the user name (user@host), or create the account", facts)  # fmt: skip
    if not account.get("home"):
        return unknown_finding(f"the account entry of {user} could not be read", facts)
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
        from tui.core.connect.refusal import sig_algs_for

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
    return unknown_finding(
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


def unknown_finding(text: str, facts: dict[str, Any]) -> Finding:
    facts.setdefault("cause", None)
    return Finding(None, f"Looked on the server as {facts.get('as')}: {text}",
                   f"read sshd's own reason in its log: {LOG_COMMAND}", facts)  # fmt: skip
