"""Acceptance of ``sshdeck copy-id`` as the issue words it, against real sshd and OpenSSH.

Written by an independent tester from the issue text and ssh-copy-id's behaviour: one sshd
(listening on 127.0.0.1 and ::1) and one password-only sshd, with their test users, are shared
by the module to keep it short; every test resets the files it looks at.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.sshd import SshdServer, TestUser, _start_sshd, account_tool


@dataclass
class Site:
    server: SshdServer  # password and keys, on 127.0.0.1 and ::1
    password_only: SshdServer
    users: list[TestUser]


def _make_user() -> TestUser:
    name = "sdka" + secrets.token_hex(3)
    password = "pw-" + secrets.token_urlsafe(12)
    account_tool("useradd", "-m", "-d", f"/home/{name}", "-s", "/bin/bash", name)
    account_tool("chpasswd", input=f"{name}:{password}\n")
    entry = pwd.getpwnam(name)
    return TestUser(name, Path(entry.pw_dir), password, entry.pw_uid, entry.pw_gid)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    bases = [Path(tempfile.mkdtemp(prefix="sshdeck-acc-")) for _ in range(2)]
    servers: list[SshdServer] = []
    users: list[TestUser] = []
    try:
        servers.append(_start_sshd(bases[0], extra_config="ListenAddress ::1"))
        servers.append(_start_sshd(bases[1], pubkey_auth=False))
        users.extend(_make_user() for _ in range(4))
        yield Site(servers[0], servers[1], users)
    finally:
        for server in servers:
            server.stop()
        for user in users:
            account_tool("userdel", "-r", "-f", user.name, check=False)
        for base in bases:
            shutil.rmtree(base, ignore_errors=True)


def _keygen(path: Path, comment: str = "new@acceptance") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    return path


def _blob(path: Path) -> str:
    return path.read_text().split()[1]


def _reset(user: TestUser, content: bytes | None, mode: int = 0o600) -> Path:
    """``content`` in the user's authorized_keys (None: no ~/.ssh at all)."""
    ssh_dir = user.home / ".ssh"
    shutil.rmtree(ssh_dir, ignore_errors=True)
    path = ssh_dir / "authorized_keys"
    if content is not None:
        ssh_dir.mkdir(mode=0o700)
        os.chown(ssh_dir, user.uid, user.gid)
        path.write_bytes(content)
        os.chown(path, user.uid, user.gid)
        os.chmod(path, mode)
    return path


def _known_hosts(tmp_path: Path, *servers: SshdServer) -> Path:
    known = tmp_path / "known_hosts"
    known.write_text("".join(s.known_hosts_line() + "\n" for s in servers))
    return known


def _ssh_login(server: SshdServer, user: TestUser, key: Path, known: Path, host: str = "127.0.0.1"
               ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run(
        ["ssh", "-F", "none", "-i", str(key), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
         "-o", "IdentityAgent=none", "-o", f"UserKnownHostsFile={known}",
         "-o", "StrictHostKeyChecking=yes", "-p", str(server.port), f"{user.name}@{host}", "id -un"],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_many_hosts_every_case_of_the_issue_in_one_run(
    run_cli, site: Site, tmp_path: Path, ssh_dir: Path
) -> None:
    server, (u_opts, u_crlf, u_plain, _) = site.server, site.users
    new = _keygen(tmp_path / "k" / "new")
    login = _keygen(ssh_dir / "login", "login@acceptance")
    login_line = (ssh_dir / "login.pub").read_bytes()
    known = _known_hosts(tmp_path, server)
    known.write_text(known.read_text() + f"[::1]:{server.port} " + " ".join(
        server.known_hosts_line().split()[1:]) + "\n")  # fmt: skip
    # present with options (quoted space) and another comment: nothing to do
    opts = _reset(u_opts, login_line + f'from="10.0.0.1",command="echo a b",no-pty ssh-ed25519 '
                  f"{_blob(new.with_suffix('.pub'))} another comment\r\n".encode())  # fmt: skip
    # CRLF lines, no final newline, mode 0640: every byte kept, newline added, mode kept
    crlf_before = b"# keys\r\n" + login_line.rstrip(b"\n") + b"\r\nssh-rsa AAAAjunk x"
    crlf = _reset(u_crlf, crlf_before, mode=0o640)
    crlf_inode = crlf.stat().st_ino
    plain = _reset(u_plain, login_line)
    hosts = tmp_path / "hosts"
    hosts.write_text(
        "# the fleet\n\n"
        f"{u_crlf.name}@[::1]:{server.port}   # v6, with its port\n"
        f"   # indented comment\n{u_plain.name}@127.0.0.1:{server.port}\n"
        f"nobody@127.0.0.1:{_closed_port()}\nroot@no-such-host.invalid\n"
    )
    done = run_cli(
        "copy-id", "-i", str(new.with_suffix(".pub")), "--identity", str(login),
        "-p", str(_closed_port()), "-o", f"UserKnownHostsFile={known}",
        "--parallel", "3", "--json", "--hosts-file", str(hosts),
        f"{u_opts.name}@127.0.0.1:{server.port}",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    rows = json.loads(done.stdout)["hosts"]
    assert [(r["host"], r["user"], r["port"], r["result"]) for r in rows[:3]] == [
        ("127.0.0.1", u_opts.name, server.port, "already-present"),
        ("::1", u_crlf.name, server.port, "installed"),
        ("127.0.0.1", u_plain.name, server.port, "installed"),
    ]
    assert [r["result"] for r in rows[3:]] == ["failed", "failed"]
    assert all(r["error"] is None for r in rows[:3]) and all(r["error"] for r in rows[3:])
    assert "refused the connection" in rows[3]["error"]
    assert "no-such-host.invalid" in rows[4]["error"]
    assert "Traceback" not in done.stderr

    assert opts.read_bytes().endswith(b"another comment\r\n")
    after = crlf.read_bytes()
    assert after == crlf_before + b"\n" + new.with_suffix(".pub").read_bytes()
    # appended in place, as ssh-copy-id's ``cat >>`` (a replaced file would lose the lines a
    # concurrent installer appended to the old one): same inode, same mode
    assert stat.S_IMODE(crlf.stat().st_mode) == 0o640 and crlf.stat().st_ino == crlf_inode
    assert plain.read_bytes() == login_line + new.with_suffix(".pub").read_bytes()
    assert stat.S_IMODE(plain.stat().st_mode) == 0o600
    assert (plain.stat().st_uid, plain.stat().st_gid) == (u_plain.uid, u_plain.gid)
    for user in (u_crlf, u_plain):
        assert _ssh_login(server, user, new, known).stdout.strip() == user.name
    assert not list(u_crlf.home.joinpath(".ssh").glob(".authorized_keys.*"))


def test_config_alias_gives_host_port_and_user(run_cli, site: Site, tmp_path: Path) -> None:
    server, user = site.server, site.users[3]
    new = _keygen(tmp_path / "k" / "new")
    _reset(user, b"")
    config = tmp_path / "config"
    config.write_text(f"Host web\n  HostName 127.0.0.1\n  Port {server.port}\n  User {user.name}\n")
    done = run_cli("copy-id", "-n", "-i", str(new) + ".pub", "--password-stdin", "-F", str(config),
                   "-o", f"UserKnownHostsFile={_known_hosts(tmp_path, server)}", "--json", "web",
                   input=user.password + "\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)["hosts"]
    assert (row["user"], row["port"], row["result"]) == (user.name, server.port, "would-install")


def test_password_bootstrap_creates_ssh_dir_dry_run_first_and_says_why_no_verification(
    run_cli, site: Site, tmp_path: Path
) -> None:
    server, user = site.password_only, site.users[0]
    new = _keygen(tmp_path / "k" / "id_new")
    path = _reset(user, None)
    known = tmp_path / "kh"  # empty: --accept-new records the host like ssh
    args = [
        "copy-id",
        "-i",
        str(new.with_suffix(".pub")),
        "--password-stdin",
        "--accept-new",
        "-o",
        f"UserKnownHostsFile={known}",
        "--json",
        f"{user.name}@127.0.0.1:{server.port}",
    ]
    dry = run_cli(*args[:1], "-n", *args[1:], input=user.password + "\n")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["hosts"][0]["result"] == "would-install"
    assert not path.parent.exists() and not known.exists()

    done = run_cli(*args, input=user.password + "\n")
    assert done.returncode == 0, done.stderr  # the key is there, even though it cannot log in
    (row,) = json.loads(done.stdout)["hosts"]
    assert (row["result"], row["verified"]) == ("installed", False)
    assert "PubkeyAuthentication" in row["error"]
    assert user.password not in done.stdout + done.stderr
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.parent.stat().st_uid == user.uid == path.stat().st_uid
    (line,) = known.read_text().splitlines()  # plain or hashed (HashKnownHosts), as ssh writes
    assert line.split()[1:] == server.known_hosts_line().split()[1:]
    found = subprocess.run(["ssh-keygen", "-F", f"[127.0.0.1]:{server.port}", "-f", str(known)],
                           capture_output=True, text=True, timeout=30)  # fmt: skip
    assert found.returncode == 0


def test_default_key_is_the_newest_id_pub_but_never_a_certificate(
    run_cli, site: Site, tmp_path: Path, ssh_dir: Path
) -> None:
    """ssh-copy-id: ``ls -t ~/.ssh/id*.pub | grep -v -- '-cert.pub$' | head -n 1``."""
    server, user = site.server, site.users[1]
    _keygen(ssh_dir / "id_ed25519")
    newest = _keygen(ssh_dir / "idnew")
    subprocess.run(["ssh-keygen", "-q", "-s", str(newest), "-I", "c", "-n", user.name,
                    str(ssh_dir / "id_ed25519.pub")], check=True, capture_output=True, timeout=30)  # fmt: skip
    now = time.time()
    for age, name in ((30, "id_ed25519.pub"), (20, "idnew.pub"), (10, "id_ed25519-cert.pub")):
        os.utime(ssh_dir / name, (now - age, now - age))
    _reset(user, None)
    done = run_cli("copy-id", "--password-stdin", "-o",
                   f"UserKnownHostsFile={_known_hosts(tmp_path, server)}",
                   f"{user.name}@127.0.0.1:{server.port}", input=user.password + "\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"using the key {ssh_dir / 'idnew.pub'}" in done.stderr
    installed = (user.home / ".ssh" / "authorized_keys").read_text()
    assert installed == (ssh_dir / "idnew.pub").read_text()


def test_no_default_file_falls_back_to_the_agent_keys_like_ssh_copy_id(
    run_cli, site: Site, tmp_path: Path, ssh_dir: Path, ssh_agent
) -> None:
    server, user = site.server, site.users[2]
    one, two = _keygen(tmp_path / "a" / "one"), _keygen(tmp_path / "a" / "two")
    for key in (one, two):
        assert ssh_agent.ssh_add(str(key)).returncode == 0
    path = _reset(user, one.with_suffix(".pub").read_bytes())  # the agent logs in with "one"
    done = run_cli("copy-id", "-o", f"UserKnownHostsFile={_known_hosts(tmp_path, server)}",
                   f"{user.name}@127.0.0.1:{server.port}")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ssh-agent" in done.stderr
    assert [line.split()[1] for line in path.read_text().splitlines()] == [
        _blob(one.with_suffix(".pub")), _blob(two.with_suffix(".pub"))]  # fmt: skip


def test_changed_host_key_stops_and_names_the_command_that_removes_the_old_one(
    run_cli, site: Site, tmp_path: Path
) -> None:
    server, user = site.server, site.users[3]
    other = _keygen(tmp_path / "hk" / "other")
    known = tmp_path / "kh"
    known.write_text(f"[127.0.0.1]:{server.port} ssh-ed25519 {_blob(other.with_suffix('.pub'))}\n")
    before = known.read_bytes()
    path = _reset(user, b"# untouched\n")
    done = run_cli("copy-id", "-i", str(other.with_suffix(".pub")), "--password-stdin",
                   "--accept-new", "-o", f"UserKnownHostsFile={known}",
                   f"{user.name}@127.0.0.1:{server.port}", input=user.password + "\n")  # fmt: skip
    assert done.returncode == 1
    assert "CHANGED" in done.stdout and "shown above" not in done.stdout
    assert f'ssh-keygen -f "{known}" -R "[127.0.0.1]:{server.port}"' in done.stdout
    assert known.read_bytes() == before and path.read_bytes() == b"# untouched\n"


def test_refused_logins_name_the_user_and_the_way_in(run_cli, site: Site, tmp_path: Path) -> None:
    server, user = site.server, site.users[3]
    key = _keygen(tmp_path / "k" / "new")
    known = f"UserKnownHostsFile={_known_hosts(tmp_path, server)}"
    pub = str(key.with_suffix(".pub"))
    wrong_user = run_cli("copy-id", "-i", pub, "--identity", str(key), "-o", known,
                         f"nosuchuser@127.0.0.1:{server.port}")  # fmt: skip
    assert wrong_user.returncode == 1
    assert f"refused the key {key} for nosuchuser" in wrong_user.stdout
    wrong_password = run_cli("copy-id", "-i", pub, "--password-stdin", "-o", known,
                             f"{user.name}@127.0.0.1:{server.port}", input="not it\n")  # fmt: skip
    assert wrong_password.returncode == 1
    assert f"refused the password for {user.name}" in wrong_password.stdout
    assert "not it" not in wrong_password.stdout + wrong_password.stderr
    # an encrypted login key and no terminal: copy-id's own ways out, not the tester's options
    locked = _keygen(tmp_path / "k" / "locked")
    subprocess.run(["ssh-keygen", "-q", "-p", "-P", "", "-N", "pass phrase", "-f", str(locked)],
                   check=True, capture_output=True, timeout=30)  # fmt: skip
    _reset(user, locked.with_suffix(".pub").read_bytes())
    needs = run_cli("copy-id", "-i", pub, "--identity", str(locked), "-o", known,
                    f"{user.name}@127.0.0.1:{server.port}")  # fmt: skip
    assert needs.returncode == 1
    assert "is encrypted" in needs.stdout and "ssh-agent" in needs.stdout
    assert "--passphrase-stdin" not in needs.stdout


def _missing(d: Path) -> Path:
    return d / "missing.pub"


def _junk(d: Path) -> Path:
    (d / "junk.pub").write_text("hello world\n")
    return d / "junk.pub"


def _private_without_pub(d: Path) -> Path:
    _keygen(d / "bare").with_suffix(".pub").unlink()
    return d / "bare"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_missing, "does not exist"),
        (_junk, "is not a public key"),
        (_private_without_pub, "ssh-keygen -y -f"),
    ],
    ids=["missing", "junk", "private-without-pub"],
)
def test_a_bad_key_file_is_one_sentence_and_no_connection(
    run_cli, tmp_path: Path, make: Callable[[Path], Path], expected: str
) -> None:
    key = make(tmp_path)
    done = run_cli("copy-id", "-i", str(key), f"x@127.0.0.1:{_closed_port()}")
    assert done.returncode == 1
    assert done.stdout == "" and expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_missing_login_key_and_missing_hosts_are_refused_before_any_login(
    run_cli, tmp_path: Path
) -> None:
    pub = _keygen(tmp_path / "k" / "new").with_suffix(".pub")
    missing = run_cli("copy-id", "-i", str(pub), "--identity", str(tmp_path / "nope"),
                      f"x@127.0.0.1:{_closed_port()}")  # fmt: skip
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.strip().splitlines() == [
        f"The login key {tmp_path / 'nope'} (--identity) does not exist; check the path."
    ]
    usage = run_cli("copy-id", "-i", str(pub))
    assert usage.returncode == 2 and "usage:" in usage.stderr


def test_everyday_ssh_options_are_understood_not_refused(
    run_cli, site: Site, tmp_path: Path
) -> None:
    """ssh-copy-id hands every -o to ssh; scripts carry BatchMode, LogLevel, ConnectTimeout..."""
    server, user = site.server, site.users[3]
    login = _keygen(tmp_path / "k" / "login")
    _reset(user, login.with_suffix(".pub").read_bytes())
    new = _keygen(tmp_path / "k" / "new")
    known = _known_hosts(tmp_path, server)
    done = run_cli("copy-id", "-n", "--json", "-i", f"{new}.pub",
                   "-o", f"UserKnownHostsFile={known}", "-o", "BatchMode=yes",
                   "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", "-o", f"User={user.name}",
                   "-o", f"Port={server.port}", "-o", f"IdentityFile={login}",
                   "-o", "IdentitiesOnly=yes", "127.0.0.1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)["hosts"]
    assert (row["user"], row["port"], row["result"]) == (user.name, server.port, "would-install")
    refused = run_cli("copy-id", "-i", f"{new}.pub", "-o", "ProxyCommand=nc %h %p", "127.0.0.1")
    assert refused.returncode == 2 and "not supported" in refused.stderr


def test_every_key_of_a_multi_key_pub_file_goes_in_once(
    run_cli, site: Site, tmp_path: Path
) -> None:
    """ssh-copy-id installs every line of KEY.pub, skipping the ones already there."""
    server, user = site.server, site.users[2]
    keys = [_keygen(tmp_path / "k" / name).with_suffix(".pub") for name in ("a", "b", "c")]
    bundle = tmp_path / "bundle.pub"
    bundle.write_bytes(b"".join(k.read_bytes() for k in keys))
    path = _reset(user, keys[1].read_bytes())
    done = run_cli("copy-id", "-i", str(bundle), "--password-stdin",
                   "-o", f"UserKnownHostsFile={_known_hosts(tmp_path, server)}",
                   f"{user.name}@127.0.0.1:{server.port}", input=user.password + "\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert path.read_bytes() == keys[1].read_bytes() + keys[0].read_bytes() + keys[2].read_bytes()


def test_throwaway_known_hosts_still_verifies_the_new_key(
    run_cli, site: Site, tmp_path: Path
) -> None:
    """``-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=accept-new`` (a common pair):
    the check login accepts the host key as the first login did instead of failing on it."""
    server, user = site.server, site.users[0]
    new = _keygen(tmp_path / "k" / "new")
    _reset(user, b"")
    done = run_cli("copy-id", "-i", f"{new}.pub", "--password-stdin", "--json",
                   "-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=accept-new",
                   f"{user.name}@127.0.0.1:{server.port}", input=user.password + "\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)["hosts"]
    assert (row["result"], row["verified"], row["error"]) == ("installed", True, None)
