"""The scenario matrix (issue 10, section 3): real failures, side by side with real ``ssh``.

Each scenario is a loopback sshd set-up (``tests/fixtures/matrix.py``: one sshd per distinct
config, users made once) and a client side written into the test's HOME (keys, an agent,
``~/.ssh/config``, known_hosts). Each runs twice:

1. ``ssh -vvv -o BatchMode=yes`` (the oracle; ``-F`` a copy of the test's config followed by
   ``/etc/ssh/ssh_config``, its own copy of known_hosts, both in ``~/ssh-oracle``; a password or passphrase reaches it
   through ``SSH_ASKPASS`` with ``SSH_ASKPASS_REQUIRE=force``, BatchMode off). Its exit code and
   stderr lines are mapped to an outcome code (``ssh_outcome``), which must be the outcome
   written down for the scenario: the scenario describes what ssh really does.
2. ``sshdeck test --json`` (asyncssh engine; ``--engine openssh`` too for a subset), which must
   reach the same outcome and exit code as ssh, and a diagnosis that names the true cause or
   ranks it among the causes (``cause``) and never asserts a false one (``never``). With
   ``--accept-new``, a changed host key is never trusted: known_hosts is byte for byte the same
   and nobody logged in.

The expectations come from the issue and from ssh's behaviour, not from today's sshdeck.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.matrix import Lab
from tests.fixtures.sshd import SshdServer
from tui.core.connect.outcomes import Outcome

RunCli = Callable[..., subprocess.CompletedProcess[str]]
BOTH = ("asyncssh", "openssh")

#: a refusal by the server stated as if the key were missing: false whenever it is authorized
FALSE_NOT_AUTHORIZED = (r"your key \S+ is not in", r"^upload the key first")


@dataclass(frozen=True)
class Scenario:
    name: str
    expect: Outcome
    server: str = "base"
    #: role of the test user (tests/fixtures/matrix.py), "root", or "invalid" (no such user)
    role: str = "plain"
    #: lab keys given with -i (copied into ~/.ssh)
    keys: tuple[str, ...] = ("good",)
    #: lab keys loaded into a fresh ssh-agent, in this order
    agent: tuple[str, ...] = ()
    #: -o options given to both tools
    options: tuple[str, ...] = ()
    #: ~/.ssh/config (a template: {port} {user} {host} {home} {jport} {juser} {key_NAME});
    #: the target is then ``target``
    config: str | None = None
    #: ~/.ssh/config.d/box.conf, for Include
    included: str | None = None
    target: str = "{user}@{host}"
    #: known (the server's line), unknown, changed, changed-type, hashed, hashed-changed,
    #: jump-unknown (the target's line only)
    known: str = "known"
    accept_new: bool = False
    #: password (--password-stdin) or passphrase (--passphrase-stdin), given to both tools
    secret: str | None = None
    #: the certificate beside ``certkey``: valid, expired, principal (signed for another name)
    cert: str | None = None
    key_mode: int = 0o600
    #: regexes (case-insensitive) that the diagnosis, fix and causes must all match
    cause: tuple[str, ...] = ()
    #: regexes that none of them may match
    never: tuple[str, ...] = ()
    engines: tuple[str, ...] = ("asyncssh",)
    #: extra check: (world, document, sshdeck result, ssh result)
    check: Callable[..., None] | None = field(default=None, compare=False)


JUMP_CONFIG = """\
Host jump
  HostName 127.0.0.1
  Port {jport}
  User {juser}
  IdentityFile {key_good}
  IdentitiesOnly yes
Host box
  HostName 127.0.0.1
  Port {port}
  User {user}
  IdentityFile {key_good}
  IdentitiesOnly yes
  ProxyJump jump
"""
BOX = "Host box\n  HostName {host}\n  Port {port}\n  User {user}\n  IdentityFile {key_good}\n"


def _escaped_banner(world: World, doc: dict[str, Any], result: Any, ssh: Any) -> None:
    assert "\\033[31m" in ssh.stderr and "\x1b" not in ssh.stderr  # ssh's own way
    assert "Welcome \\033[31mred\\033[0m bell\\007 done" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\x1b" not in result.stdout


def _accepted_new_hashed_like_ssh(world: World, doc: dict[str, Any], result: Any, ssh: Any) -> None:
    """--accept-new wrote what ssh wrote: a line ssh-keygen -F finds, hashed like ssh's."""
    assert doc["host_key_status"] == "added"
    for known in (world.known_hosts, world.oracle_known_hosts):
        found = subprocess.run(
            ["ssh-keygen", "-F", world.known_name, "-f", str(known)],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert found.returncode == 0, f"{known} lacks {world.known_name}"
    ours = world.known_hosts.read_text().split()
    theirs = world.oracle_known_hosts.read_text().split()
    assert ours[0].startswith("|1|") == theirs[0].startswith("|1|")
    assert ours[1:] == theirs[1:]


def _jump_host_added(world: World, doc: dict[str, Any], result: Any, ssh: Any) -> None:
    jump_name = f"[127.0.0.1]:{world.jump.port}" if world.jump else ""
    found = subprocess.run(
        ["ssh-keygen", "-F", jump_name, "-f", str(world.known_hosts)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert found.returncode == 0, "--accept-new did not record the jump host's key"


def _session_message(text: str | None) -> Callable[..., None]:
    """The remote status is ssh's; the remote message (when there is one) is shown."""

    def check(world: World, doc: dict[str, Any], result: Any, ssh: Any) -> None:
        assert doc["exit_status"] == ssh.returncode
        if text is not None:
            assert text in ssh.stdout + ssh.stderr  # what ssh shows
            assert text in json.dumps(doc) or text in result.stderr

    return check


def _fingerprint_shown(world: World, doc: dict[str, Any], result: Any, ssh: Any) -> None:
    """ssh in BatchMode shows nothing to compare; the tester shows the key it was offered."""
    assert world.server.host_public_key.sha256 in result.stderr
    assert doc["host_key_status"] == "unknown" and doc["offered_keys"] == []


def _host_key_type(kind: str) -> Callable[..., None]:
    def check(world: World, doc: dict[str, Any], result: Any, ssh: Any) -> None:
        assert doc["host_key"]["type"] == kind and doc["host_key_status"] == "known"

    return check


def _accepted(key: str) -> Callable[..., None]:
    def check(world: World, doc: dict[str, Any], result: Any, ssh: Any) -> None:
        assert doc["accepted_key"] == str(world.keys[key])

    return check


def _offered_only(*keys: str) -> Callable[..., None]:
    def check(world: World, doc: dict[str, Any], result: Any, ssh: Any) -> None:
        offered = [k["sha256"] for k in doc["offered_keys"]]
        assert offered == [world.fingerprint(k) for k in keys]

    return check


SCENARIOS = [
    # -- which keys, in which order --------------------------------------------------------
    Scenario(
        "agent-order-maxauthtries-3",
        Outcome.OK,
        role="maxtries",
        agent=("other1", "other2", "other3", "good"),
        engines=BOTH,
        check=_offered_only("good"),
    ),
    Scenario(
        "agent-other-keys-first-too-many-failures",
        Outcome.AUTH_FAILED,
        role="maxtries",
        agent=("other1", "other2", "other3"),
        cause=(r"too many authentication failures|MaxAuthTries|IdentitiesOnly",),
        never=FALSE_NOT_AUTHORIZED,
    ),
    Scenario(
        "identities-only-from-config",
        Outcome.OK,
        role="maxtries",
        keys=(),
        agent=("other1", "other2", "other3"),
        config=BOX + "  IdentitiesOnly yes\n",
        target="box",
        engines=BOTH,
        check=_offered_only("good"),
    ),
    Scenario(
        "identities-only-from-o",
        Outcome.OK,
        role="maxtries",
        agent=("other1", "other2", "other3"),
        options=("IdentitiesOnly=yes",),
        check=_offered_only("good"),
    ),
    Scenario(
        "key-not-authorized",
        Outcome.AUTH_FAILED,
        keys=("stranger",),
        cause=(r"authorized_keys",),
        engines=BOTH,
    ),
    # -- PubkeyAcceptedAlgorithms ----------------------------------------------------------
    Scenario(
        "pubkey-algorithms-ed25519-only-rsa-key",
        Outcome.AUTH_FAILED,
        role="alged",
        keys=("rsa",),
        cause=(r"PubkeyAcceptedAlgorithms",),
        never=FALSE_NOT_AUTHORIZED,
    ),
    Scenario(
        "pubkey-algorithms-rsa-sha2-512-only",
        Outcome.OK,
        role="alg512",
        keys=("rsa",),
        engines=BOTH,
        check=_accepted("rsa"),
    ),
    Scenario(
        "pubkey-algorithms-minus-ssh-rsa",
        Outcome.OK,
        role="algnorsa",
        keys=("rsa",),
        check=_accepted("rsa"),
    ),
    Scenario(
        "pubkey-algorithms-minus-rsa-sha2",
        Outcome.AUTH_FAILED,
        role="algnosha2",
        keys=("rsa",),
        cause=(r"PubkeyAcceptedAlgorithms",),
        never=FALSE_NOT_AUTHORIZED,
    ),
    # -- StrictModes -----------------------------------------------------------------------
    Scenario(
        "strictmodes-authorized-keys-group-writable-shared-group",
        Outcome.AUTH_FAILED,
        role="smgroup",
        cause=(r"StrictModes|\bmodes\b",),
        never=FALSE_NOT_AUTHORIZED,
        engines=BOTH,
    ),
    Scenario(
        "strictmodes-home-0777",
        Outcome.AUTH_FAILED,
        role="smhome",
        cause=(r"StrictModes|\bmodes\b",),
        never=FALSE_NOT_AUTHORIZED,
    ),
    Scenario(
        "strictmodes-ssh-dir-owned-by-another-user",
        Outcome.AUTH_FAILED,
        role="smdir",
        cause=(r"StrictModes|\bowner",),
        never=FALSE_NOT_AUTHORIZED,
    ),
    # -- the account -----------------------------------------------------------------------
    Scenario(
        "allow-users-not-listed",
        Outcome.AUTH_FAILED,
        server="access",
        role="anotlisted",
        cause=(r"AllowUsers",),
        never=FALSE_NOT_AUTHORIZED,
        engines=BOTH,
    ),
    Scenario(
        "deny-users-listed",
        Outcome.AUTH_FAILED,
        server="access",
        role="adenied",
        cause=(r"DenyUsers",),
        never=FALSE_NOT_AUTHORIZED,
    ),
    Scenario(
        "allow-groups-not-a-member",
        Outcome.AUTH_FAILED,
        server="access",
        role="anogroup",
        cause=(r"AllowGroups",),
        never=FALSE_NOT_AUTHORIZED,
    ),
    Scenario("allow-users-listed-and-in-group", Outcome.OK, server="access", role="aok"),
    # Debian's sshd runs with UsePAM yes: a locked password (usermod -L) does not stop a key
    Scenario("locked-account-key-login", Outcome.OK, role="locked"),
    # PAM's account stage refuses after the key was accepted; sshd sends PAM's sentence
    Scenario(
        "expired-account",
        Outcome.AUTH_FAILED,
        role="expired",
        cause=(r"expired",),
        never=FALSE_NOT_AUTHORIZED,
    ),
    Scenario(
        "invalid-user",
        Outcome.AUTH_FAILED,
        role="invalid",
        cause=(r"not exist|no such user|invalid user|unknown user|account",),
    ),
    Scenario(
        "nologin-shell",
        Outcome.SESSION_FAILED,
        role="nologin",
        cause=(r"This account is currently not available",),
        engines=BOTH,
        check=_session_message("This account is currently not available."),
    ),
    Scenario(
        "force-command-exits-3",
        Outcome.SESSION_FAILED,
        role="forced",
        cause=(r"\b3\b",),
        engines=BOTH,
        check=_session_message(None),
    ),
    Scenario(
        "permit-root-login-no",
        Outcome.AUTH_FAILED,
        server="root-no",
        role="root",
        cause=(r"PermitRootLogin",),
        never=FALSE_NOT_AUTHORIZED,
        engines=BOTH,
    ),
    Scenario(
        "permit-root-login-prohibit-password-key",
        Outcome.OK,
        server="root-prohibit-password",
        role="root",
    ),
    # -- other methods ---------------------------------------------------------------------
    Scenario(
        "password-only-no-password",
        Outcome.AUTH_FAILED,
        role="pwonly",
        keys=(),
        cause=(r"password",),
        never=FALSE_NOT_AUTHORIZED,
    ),
    Scenario(
        "password-only-with-password",
        Outcome.OK,
        role="pwonly",
        keys=(),
        secret="password",
        engines=BOTH,
    ),
    Scenario(
        "keyboard-interactive-only-no-answer",
        Outcome.AUTH_FAILED,
        role="kbd",
        keys=(),
        cause=(r"keyboard-interactive|password",),
        never=FALSE_NOT_AUTHORIZED,
    ),
    Scenario(
        "keyboard-interactive-only-with-password",
        Outcome.OK,
        role="kbd",
        keys=(),
        secret="password",
    ),
    Scenario(
        "publickey-and-password-no-password",
        Outcome.AUTH_PARTIAL,
        role="both",
        cause=(r"password",),
        never=FALSE_NOT_AUTHORIZED,
        engines=BOTH,
    ),
    Scenario(
        "publickey-and-password-with-password",
        Outcome.OK,
        role="both",
        secret="password",
    ),
    # -- certificates ----------------------------------------------------------------------
    Scenario("certificate-valid", Outcome.OK, role="cert", keys=("certkey",), cert="valid"),
    Scenario(
        "certificate-expired",
        Outcome.CERTIFICATE_INVALID,
        role="cert",
        keys=("certkey",),
        cert="expired",
        cause=(r"expired",),
        never=FALSE_NOT_AUTHORIZED,
        engines=BOTH,
    ),
    Scenario(
        "certificate-not-yet-valid",
        Outcome.CERTIFICATE_INVALID,
        role="cert",
        keys=("certkey",),
        cert="not-yet-valid",
        cause=(r"not yet valid",),
        never=FALSE_NOT_AUTHORIZED,
    ),
    Scenario(
        "certificate-file-from-config",
        Outcome.OK,
        role="cert",
        keys=(),
        cert="valid",
        config=BOX.replace("key_good", "key_certkey") + "  CertificateFile {cert}\n",
        target="box",
    ),
    Scenario(
        "certificate-wrong-principal",
        Outcome.CERTIFICATE_INVALID,
        role="cert",
        keys=("certkey",),
        cert="principal",
        cause=(r"principal",),
        never=FALSE_NOT_AUTHORIZED,
    ),
    # -- host keys -------------------------------------------------------------------------
    Scenario(
        "host-key-unknown",
        Outcome.HOST_KEY_UNKNOWN,
        known="unknown",
        cause=(r"127\.0\.0\.1",),
        never=(r"has changed|REMOTE HOST IDENTIFICATION",),
        engines=BOTH,
        check=_fingerprint_shown,
    ),
    Scenario(
        "host-key-unknown-accept-new",
        Outcome.OK,
        known="unknown",
        accept_new=True,
        check=_accepted_new_hashed_like_ssh,
    ),
    Scenario(
        "host-key-changed-accept-new",
        Outcome.HOST_KEY_CHANGED,
        known="changed",
        accept_new=True,
        cause=(r"changed|REMOTE HOST IDENTIFICATION",),
    ),
    Scenario(
        "host-key-changed-type-accept-new",
        Outcome.HOST_KEY_CHANGED,
        server="rsa-only",
        known="changed-type",
        accept_new=True,
        cause=(r"changed|REMOTE HOST IDENTIFICATION",),
        engines=BOTH,
    ),
    Scenario("hashed-known-hosts", Outcome.OK, known="hashed"),
    Scenario(
        "hashed-known-hosts-changed-accept-new",
        Outcome.HOST_KEY_CHANGED,
        known="hashed-changed",
        accept_new=True,
        cause=(r"changed|REMOTE HOST IDENTIFICATION",),
    ),
    Scenario("rsa-only-server", Outcome.OK, server="rsa-only"),
    # ssh puts the known key type first, so the server shows the key known_hosts has
    Scenario(
        "two-host-keys-known-by-rsa-only",
        Outcome.OK,
        server="two-host-keys",
        known="rsa-only-known",
        engines=BOTH,
        check=_host_key_type("ssh-rsa"),
    ),
    Scenario("ecdsa-only-server", Outcome.OK, server="ecdsa-only"),
    Scenario(
        "ecdsa-only-server-known-as-ed25519-accept-new",
        Outcome.HOST_KEY_CHANGED,
        server="ecdsa-only",
        known="changed-type",
        accept_new=True,
        cause=(r"changed|REMOTE HOST IDENTIFICATION",),
    ),
    # -- ProxyJump -------------------------------------------------------------------------
    Scenario("proxy-jump-known", Outcome.OK, keys=(), config=JUMP_CONFIG, target="box"),
    Scenario(
        "proxy-jump-unknown-jump-host",
        Outcome.HOST_KEY_UNKNOWN,
        keys=(),
        config=JUMP_CONFIG,
        target="box",
        known="jump-unknown",
        cause=(r"\bjump\b|:{jport}\b",),
        engines=BOTH,
    ),
    Scenario(
        "proxy-jump-unknown-jump-host-accept-new",
        Outcome.OK,
        keys=(),
        config=JUMP_CONFIG,
        target="box",
        known="jump-unknown",
        accept_new=True,
        check=_jump_host_added,
    ),
    # -- ssh_config ------------------------------------------------------------------------
    Scenario(
        "config-include",
        Outcome.OK,
        keys=(),
        config="Include {home}/.ssh/config.d/*.conf\n",
        included=BOX,
        target="box",
        check=_accepted("good"),
    ),
    Scenario(
        "config-match-host-and-user",
        Outcome.OK,
        keys=(),
        config=(
            "Host box\n  HostName 127.0.0.1\n  Port {port}\n"
            "Match host 127.0.0.1 user {user}\n  IdentityFile {key_good}\n"
        ),
        target="{user}@box",
        check=_accepted("good"),
    ),
    Scenario(
        "config-match-other-user-not-applied",
        Outcome.AUTH_FAILED,
        keys=("stranger",),
        config=(
            "Host box\n  HostName 127.0.0.1\n  Port {port}\n"
            "Match host 127.0.0.1 user nobody-else\n  IdentityFile {key_good}\n"
        ),
        target="{user}@box",
        cause=(r"authorized_keys",),
    ),
    # -- negotiation -----------------------------------------------------------------------
    Scenario(
        "no-common-cipher",
        Outcome.NO_COMMON_ALGORITHM,
        server="old-cipher",
        cause=(r"no matching cipher found", r"Their offer: aes128-cbc", r"Ciphers \+aes128-cbc"),
        engines=BOTH,
    ),
    Scenario(
        "no-common-kex",
        Outcome.NO_COMMON_ALGORITHM,
        server="old-kex",
        cause=(
            r"no matching key exchange method found",
            r"Their offer: diffie-hellman-group14-sha1",
            r"KexAlgorithms \+diffie-hellman-group14-sha1",
        ),
    ),
    Scenario(
        "old-cipher-allowed-by-config",
        Outcome.OK,
        server="old-cipher",
        keys=(),
        config=BOX + "  Ciphers +aes128-cbc\n",
        target="box",
    ),
    # -- transport, text, local keys -------------------------------------------------------
    Scenario("ipv6-loopback", Outcome.OK, server="ipv6", engines=BOTH),
    Scenario(
        "banner-control-characters", Outcome.OK, role="banner", check=_escaped_banner, engines=BOTH
    ),  # fmt: skip
    Scenario(
        "private-key-0644",
        Outcome.KEY_PERMISSIONS,
        key_mode=0o644,
        cause=(r"chmod 600",),
        engines=BOTH,
    ),
    Scenario(
        "encrypted-key-no-passphrase",
        Outcome.KEY_NEEDS_PASSPHRASE,
        keys=("enc",),
        cause=(r"passphrase",),
        never=FALSE_NOT_AUTHORIZED,
    ),
    Scenario(
        "encrypted-key-passphrase-stdin",
        Outcome.OK,
        keys=("enc",),
        secret="passphrase",
        engines=BOTH,
        check=_accepted("enc"),
    ),
]

CASES = [
    pytest.param(scenario, engine, id=f"{scenario.name}[{engine}]")
    for scenario in SCENARIOS
    for engine in scenario.engines
]


@dataclass
class World:
    """One scenario made real: the server, the user, the files in HOME, the arguments."""

    lab: Lab
    server: SshdServer
    user: str
    home: Path
    keys: dict[str, Path]
    args: list[str]
    known_hosts: Path
    oracle_known_hosts: Path
    oracle_config: Path
    env: dict[str, str]
    secret: str | None
    jump: SshdServer | None = None
    cert: Path | None = None

    @property
    def known_name(self) -> str:
        return f"[{self.server.host}]:{self.server.port}"

    def fingerprint(self, key: str) -> str:
        path = self.lab.key(key).with_suffix(".pub")
        out = subprocess.run(["ssh-keygen", "-lf", str(path)], capture_output=True, text=True)
        return out.stdout.split()[1]


def _sign(lab: Lab, public: Path, principal: str, validity: str) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-s", str(lab.ca), "-I", "matrix", "-n", principal, "-V", validity,
         str(public)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return public.with_name(public.name.removesuffix(".pub") + "-cert.pub")


def _host_line(name: str, blob_line: str) -> str:
    kind, blob = blob_line.split()[:2]
    return f"{name} {kind} {blob}\n"


def prepare(scenario: Scenario, lab: Lab, home: Path, request: pytest.FixtureRequest) -> World:
    server = lab.server(scenario.server)
    if scenario.role == "root":
        user = "root"
    elif scenario.role == "invalid":
        user = lab.name("nouser")
    else:
        user = lab.user(scenario.role)
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    names = (
        set(scenario.keys)
        | set(scenario.agent)
        | {"good"}
        | ({"certkey"} if scenario.cert else set())
    )
    keys: dict[str, Path] = {}
    for name in sorted(names):
        source = lab.key(name)
        target = ssh_dir / name
        shutil.copyfile(source.with_suffix(".pub"), target.with_suffix(".pub"))
        target.touch(mode=0o600)
        target.write_bytes(source.read_bytes())
        os.chmod(target, scenario.key_mode if name in scenario.keys else 0o600)
        keys[name] = target
    cert = None
    if scenario.cert:
        principal = "someone-else" if scenario.cert == "principal" else user
        validity = {"expired": "20200101:20200102", "not-yet-valid": "+1d:+2d"}
        cert = _sign(lab, keys["certkey"].with_suffix(".pub"), principal,
                     validity.get(scenario.cert, "-5m:+1h"))  # fmt: skip
        if scenario.config and "{cert}" in scenario.config:  # named by CertificateFile
            (ssh_dir / "certs").mkdir()
            cert = cert.rename(ssh_dir / "certs" / "login-cert.pub")
    if scenario.agent:
        agent = request.getfixturevalue("ssh_agent")
        for name in scenario.agent:
            assert agent.ssh_add(str(keys[name])).returncode == 0
    jump = lab.server("rsa-only") if scenario.config == JUMP_CONFIG else None
    fields = {
        "port": server.port,
        "host": server.host,
        "user": user,
        "home": home,
        "jport": jump.port if jump else "",
        "juser": lab.user("plain"),
        "cert": cert,
        **{f"key_{name}": path for name, path in keys.items()},
    }
    config_text = ""
    if scenario.config is not None:
        config_text = scenario.config.format(**fields)
        (ssh_dir / "config").write_text(config_text)
    if scenario.included is not None:
        (ssh_dir / "config.d").mkdir()
        (ssh_dir / "config.d" / "box.conf").write_text(scenario.included.format(**fields))
    # known_hosts
    known = ssh_dir / "known_hosts"
    name = f"[{server.host}]:{server.port}"
    stranger = lab.key("stranger").with_suffix(".pub").read_text()
    lines = {
        "known": server.known_hosts_line() + "\n",
        "hashed": server.known_hosts_line() + "\n",
        "changed": _host_line(name, stranger),
        "changed-type": _host_line(name, stranger),
        "hashed-changed": _host_line(name, stranger),
        "jump-unknown": server.known_hosts_line() + "\n",
        "rsa-only-known": _host_line(
            name, (server.host_key_path.parent / "ssh_host_rsa_key.pub").read_text()
        )
        if scenario.known == "rsa-only-known"
        else "",
        "unknown": "",
    }[scenario.known]
    if jump is not None and scenario.known == "known":
        lines += jump.known_hosts_line() + "\n"
    if lines:
        known.write_text(lines)
        if scenario.known.startswith("hashed"):
            subprocess.run(["ssh-keygen", "-H", "-f", str(known)], check=True, capture_output=True)
            known.with_name("known_hosts.old").unlink()
            assert known.read_text().startswith("|1|")
    oracle = home / "ssh-oracle"  # ssh's own config and known_hosts, beside sshdeck's ~/.ssh
    oracle.mkdir()
    oracle_known = oracle / "known_hosts"
    if known.exists():
        shutil.copyfile(known, oracle_known)
    # ssh reads ~ from the passwd entry (root's), so the oracle gets every path spelled out
    oracle_config = oracle / "config"
    oracle_config.write_text(
        config_text
        + f"\nMatch all\n  UserKnownHostsFile {oracle_known}\n"
        + f"  IdentityFile {ssh_dir}/id_ed25519\n"  # stands for the default names: none exist
        + ("  StrictHostKeyChecking accept-new\n" if scenario.accept_new else "")
        + ("  BatchMode yes\n" if scenario.secret is None else "")
        + "Include /etc/ssh/ssh_config\n"
    )
    env = dict(os.environ)
    secret = None
    if scenario.secret == "password":
        secret = lab.password(scenario.role)
    elif scenario.secret == "passphrase":
        secret = lab.passphrase(scenario.keys[0])
    if secret is not None:
        secret_file = oracle / "secret"
        secret_file.touch(mode=0o600)
        secret_file.write_text(secret + "\n")
        askpass = oracle / "askpass"
        askpass.write_text(f"#!/bin/sh\ncat {secret_file}\n")
        os.chmod(askpass, 0o700)
        env |= {"SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force"}
    args: list[str] = []
    if scenario.config is None:
        args += ["-p", str(server.port)]
    for name in scenario.keys:
        args += ["-i", str(keys[name])]
    for option in scenario.options:
        args += ["-o", option]
    args.append(scenario.target.format(**fields))
    return World(
        lab, server, user, home, keys, args, known, oracle_known, oracle_config, env, secret, jump,
        cert,
    )  # fmt: skip


def run_ssh(scenario: Scenario, world: World) -> subprocess.CompletedProcess[str]:
    batch = "no" if world.secret is not None else "yes"
    argv = ["ssh", "-vvv", "-F", str(world.oracle_config), "-o", f"BatchMode={batch}"]
    if world.secret is not None:
        argv += ["-o", "NumberOfPasswordPrompts=1"]
    if scenario.accept_new:
        argv += ["-o", "StrictHostKeyChecking=accept-new"]
    return subprocess.run(
        [*argv, *world.args, "true"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, env=world.env,
        start_new_session=True,  # no controlling terminal: ssh can never prompt on a tty
    )  # fmt: skip


def _certificate_problem(cert: Path, user: str) -> str | None:
    """What ``ssh-keygen -L`` says is wrong with a user certificate for ``user``, if anything."""
    text = subprocess.run(
        ["ssh-keygen", "-L", "-f", str(cert)], capture_output=True, text=True, timeout=30
    ).stdout
    valid = re.search(r"Valid: from (\S+) to (\S+)", text)
    if valid and datetime.fromisoformat(valid.group(2)) < datetime.now():
        return "expired"
    if valid and datetime.fromisoformat(valid.group(1)) > datetime.now():
        return "not yet valid"
    principals = text.split("Principals:")[1].split("Critical Options:")[0].split()
    if user not in principals:
        return "principal"
    return None


def ssh_outcome(ssh: subprocess.CompletedProcess[str], world: World) -> Outcome:
    """ssh's result (exit code and stderr lines) as the tester's outcome code."""
    err = ssh.stderr
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in err:
        return Outcome.HOST_KEY_CHANGED
    if "Host key verification failed." in err:  # BatchMode prints only this line
        return Outcome.HOST_KEY_UNKNOWN
    if "Unable to negotiate with" in err:
        return Outcome.NO_COMMON_ALGORITHM
    if "Authenticated to " in err:
        return Outcome.OK if ssh.returncode == 0 else Outcome.SESSION_FAILED
    if ssh.returncode == 0:
        return Outcome.OK
    if "UNPROTECTED PRIVATE KEY FILE!" in err:
        return Outcome.KEY_PERMISSIONS
    if "with partial success" in err:
        return Outcome.AUTH_PARTIAL
    refused = "Permission denied (" in err or "Too many authentication failures" in err
    lines = err.splitlines()
    unsigned = any(  # ssh went to sign with a key the server accepted, and sent nothing
        "signing using" in line and "send packet: type 50" not in after
        for line, after in zip(lines, lines[1:], strict=False)
    )
    if refused and unsigned:
        return Outcome.KEY_NEEDS_PASSPHRASE  # accepted, but BatchMode could not unlock it
    problem = None
    if refused and world.cert is not None and "-CERT SHA256:" in err:  # ssh offered it
        problem = _certificate_problem(world.cert, world.user)
    if problem is not None:
        return Outcome.CERTIFICATE_INVALID
    if refused:
        return Outcome.AUTH_FAILED
    if "Server accepts key" in err and "Connection closed by" in err:
        return Outcome.AUTH_FAILED  # the server closed during authentication (PAM account)
    return Outcome.DISCONNECTED


def _report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    try:
        document: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON (exit {result.returncode}): {result.stderr[-1500:]}")
    return document


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.mark.parametrize(("scenario", "engine"), CASES)
def test_scenario(
    scenario: Scenario,
    engine: str,
    matrix_lab: Lab,
    isolated_home: Path,
    run_cli: RunCli,
    request: pytest.FixtureRequest,
) -> None:
    world = prepare(scenario, matrix_lab, isolated_home, request)
    ssh = run_ssh(scenario, world)
    assert ssh_outcome(ssh, world) == scenario.expect, (
        f"ssh itself (exit {ssh.returncode}) does not give {scenario.expect}:\n{_tail(ssh.stderr)}"
    )

    known_before = world.known_hosts.read_bytes() if world.known_hosts.exists() else None
    log_mark = len(world.server.log_text())
    argv = ["test", *world.args, "--json", "--engine", engine]
    if scenario.accept_new:
        argv.append("--accept-new")
    if scenario.secret is not None:
        argv.append(f"--{scenario.secret}-stdin")
    result = run_cli(*argv, input=(world.secret + "\n") if world.secret else None)
    doc = _report(result)
    summary = (
        f"sshdeck: {doc.get('outcome')} / {doc.get('diagnosis')} / {doc.get('fix')}\n"
        f"stderr: {_tail(result.stderr, 12)}\nssh: {_tail(ssh.stderr, 8)}"
    )
    assert doc["outcome"] == scenario.expect, summary
    assert result.returncode == ssh.returncode, summary
    assert doc["ok"] is (scenario.expect == Outcome.OK)

    text = "\n".join(
        [str(doc.get("diagnosis") or ""), str(doc.get("fix") or ""),
         json.dumps(doc.get("causes") or "")]
    )  # fmt: skip
    fields = {"jport": world.jump.port if world.jump else ""}
    for pattern in scenario.cause:
        assert re.search(pattern.format(**fields), text, re.I | re.M), (pattern, summary)
    for pattern in scenario.never:
        assert not re.search(pattern, text, re.I | re.M), (pattern, summary)

    if scenario.known in ("changed", "changed-type", "hashed-changed"):
        # --accept-new never trusts a changed key: the file as it was, and nobody logged in
        assert world.known_hosts.read_bytes() == known_before
        assert doc["host_key_status"] == "changed" and doc["accepted_key"] is None
        assert doc["offered_keys"] == []
        assert f"Accepted publickey for {world.user}" not in world.server.log_text()[log_mark:]
    if scenario.check is not None:
        scenario.check(world, doc, result, ssh)
