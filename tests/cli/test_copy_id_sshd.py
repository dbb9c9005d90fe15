"""``sshdeck copy-id`` as a real process against a real sshd on 127.0.0.1 and real test users."""

from __future__ import annotations

import json
import socket
import stat
from collections.abc import Callable
from pathlib import Path

from tests.conftest import ssh_keygen
from tests.fixtures.hosts import CopyHost
from tests.fixtures.sshd import TestUser
from tui.core.keys.public import read_public_key_file


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_password_bootstrap_dry_run_then_install_then_already_present(
    run_cli, copy_host: CopyHost, copy_key: Path
) -> None:
    known = f"UserKnownHostsFile={copy_host.known_hosts}"
    pub = str(copy_key.with_suffix(".pub"))
    password = copy_host.user.password + "\n"
    dry = run_cli("copy-id", "-i", pub, "-n", "--password-stdin", "-o", known, "--json",
                  copy_host.target, input=password)  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["hosts"][0]["result"] == "would-install"
    assert not copy_host.ssh_dir.exists()

    done = run_cli("copy-id", "-i", pub, "--password-stdin", "-o", known, "--json",
                   copy_host.target, input=password)  # fmt: skip
    assert done.returncode == 0, done.stderr
    (host,) = json.loads(done.stdout)["hosts"]
    assert {k: host[k] for k in ("host", "user", "port", "result", "error")} == {
        "host": "127.0.0.1",
        "user": copy_host.user.name,
        "port": copy_host.server.port,
        "result": "installed",
        "error": None,
    }
    assert host["verified"] is True
    assert copy_host.user.password not in done.stdout + done.stderr
    assert stat.S_IMODE(copy_host.ssh_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(copy_host.authorized_keys.stat().st_mode) == 0o600
    login = copy_host.ssh_login(copy_key)
    assert login.stdout.strip() == "ok", login.stderr

    # the private key path works for -i too, like ssh-copy-id; human output this time
    again = run_cli("copy-id", "-i", str(copy_key), "--password-stdin", "-o", known,
                    copy_host.target, input=password)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"{copy_host.target}: already-present\n"
    assert f"[1/1] {copy_host.target}: already-present" in again.stderr

    wrong = run_cli("copy-id", "-i", pub, "--password-stdin", "-o", known, copy_host.target,
                    input="not the password\n")  # fmt: skip
    assert wrong.returncode == 1
    assert "refused" in wrong.stderr and "Traceback" not in wrong.stderr
    assert "not the password" not in wrong.stdout + wrong.stderr


def test_many_hosts_one_unreachable_from_a_hosts_file(
    run_cli,
    copy_host: CopyHost,
    copy_key: Path,
    test_user_factory: Callable[[], TestUser],
    tmp_path: Path,
) -> None:
    login = tmp_path / "login"
    ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(login))
    users = [copy_host.user, test_user_factory(), test_user_factory()]
    for user in users:
        user.authorize(login.with_suffix(".pub").read_text())
    dead_port = _closed_port()
    hosts = tmp_path / "hosts"
    hosts.write_text(
        "# the lab\n\n"
        + "".join(f"{u.name}@127.0.0.1:{copy_host.server.port}  # {u.name}\n" for u in users[1:])
        + f"ghost@127.0.0.1:{dead_port}\n"
    )
    result = run_cli(
        "copy-id", "-i", str(copy_key.with_suffix(".pub")), "--identity", str(login),
        "-o", f"UserKnownHostsFile={copy_host.known_hosts}", "--parallel", "2", "--json",
        "--hosts-file", str(hosts), copy_host.target,
    )  # fmt: skip
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert [(h["user"], h["port"], h["result"]) for h in document["hosts"]] == [
        (users[0].name, copy_host.server.port, "installed"),
        (users[1].name, copy_host.server.port, "installed"),
        (users[2].name, copy_host.server.port, "installed"),
        ("ghost", dead_port, "failed"),
    ]
    assert "refused" in document["hosts"][3]["error"]
    assert "1 of 4 host(s) failed" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("[")]) == 4
    public = read_public_key_file(copy_key.with_suffix(".pub"))
    for user in users:
        text = (user.home / ".ssh" / "authorized_keys").read_text()
        assert text == login.with_suffix(".pub").read_text() + public.line() + "\n"


def test_unknown_host_key_needs_accept_new(
    run_cli, copy_host: CopyHost, copy_key: Path, ssh_dir: Path
) -> None:
    pub = str(copy_key.with_suffix(".pub"))
    port_given = copy_host.target.rsplit(":", 1)[0]
    args = ("copy-id", "-i", pub, "--password-stdin", "-p", str(copy_host.server.port))
    refused = run_cli(*args, port_given, input=copy_host.user.password + "\n")
    assert refused.returncode == 1
    assert "host key" in refused.stderr
    assert not copy_host.ssh_dir.exists()
    accepted = run_cli(*args, "--accept-new", port_given, input=copy_host.user.password + "\n")
    assert accepted.returncode == 0, accepted.stderr
    line = (ssh_dir / "known_hosts").read_text().split()  # hashed when /etc/ssh/ssh_config says
    assert line[1:] == copy_host.server.known_hosts_line().split()[1:]
    assert copy_host.ssh_login(copy_key).stdout.strip() == "ok"


def test_config_alias_gives_host_port_and_user(
    run_cli, copy_host: CopyHost, copy_key: Path, tmp_path: Path
) -> None:
    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host lab\n  HostName 127.0.0.1\n  Port {copy_host.server.port}\n"
        f"  User {copy_host.user.name}\n"
    )
    result = run_cli(
        "copy-id", "-i", str(copy_key.with_suffix(".pub")), "-F", str(config),
        "-o", f"UserKnownHostsFile={tmp_path / 'kh'}", "-o", "StrictHostKeyChecking=accept-new",
        "--password-stdin", "--json", "lab",
        input=copy_host.user.password + "\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (host,) = json.loads(result.stdout)["hosts"]
    assert (host["host"], host["user"], host["port"], host["result"]) == (
        "lab",
        copy_host.user.name,
        copy_host.server.port,
        "installed",
    )
    assert copy_host.ssh_login(copy_key).stdout.strip() == "ok"
    assert (tmp_path / "kh").read_text().split()[1:] == copy_host.server.known_hosts_line().split()[
        1:
    ]


def test_an_aix_host_gets_its_note_in_the_install_detail(
    run_cli, copy_host_factory: Callable[..., CopyHost], copy_key: Path
) -> None:
    from tui.core.connect.power_os import NOTES

    aix = copy_host_factory(extra_config="VersionAddendum AIX 7.3")
    known = f"UserKnownHostsFile={aix.known_hosts}"
    done = run_cli("copy-id", "-i", str(copy_key.with_suffix(".pub")), "--password-stdin",
                   "-o", known, "--json", aix.target, input=aix.user.password + "\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    (host,) = json.loads(done.stdout)["hosts"]
    assert host["result"] == "installed" and NOTES["aix"] in host["detail"]
    plain = copy_host_factory()
    known = f"UserKnownHostsFile={plain.known_hosts}"
    done = run_cli("copy-id", "-i", str(copy_key.with_suffix(".pub")), "--password-stdin",
                   "-o", known, "--json", plain.target, input=plain.user.password + "\n")  # fmt: skip
    assert "AIX" not in json.loads(done.stdout)["hosts"][0]["detail"]
