"""Acceptance checks of ``sshdeck test`` found by exercising the issue's text against real ssh.

Each test pins a gap found by comparing sshdeck with ``ssh -vvv`` in the same situation: the
openssh engine reading ``~`` in the config against HOME (ssh itself uses the passwd home), no
"no such identity" noise for default key names, the changed-host-key file:line and removal
command in both engines, ``HashKnownHosts yes`` honoured by ``--accept-new``, a remote command's
words joined like ssh joins them, agent keys named by their comment. One sshd and one user are
shared by the whole module to keep it quick.
"""

from __future__ import annotations

import json
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ssh_keygen
from tests.fixtures.sshd import SshdServer, _start_sshd, account_tool

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def server() -> Iterator[SshdServer]:
    base = Path(tempfile.mkdtemp(prefix="sshdeck-acc-"))
    started = _start_sshd(base)
    yield started
    started.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def user() -> Iterator[tuple[str, Path]]:
    name = "sdka" + secrets.token_hex(3)
    account_tool("useradd", "-m", "-s", "/bin/bash", name)
    home = Path(pwd.getpwnam(name).pw_dir)
    yield name, home
    account_tool("userdel", "-r", "-f", name, check=False)


def authorize(user: tuple[str, Path], key: Path) -> None:
    name, home = user
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text(key.with_name(key.name + ".pub").read_text())
    shutil.chown(ssh_dir, name, name)
    shutil.chown(ssh_dir / "authorized_keys", name, name)


def make_key(path: Path, comment: str = "") -> Path:
    made = ssh_keygen("-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path))
    assert made.returncode == 0
    return path


def assert_one_entry(known: Path, name: str, key_fields: str) -> None:
    """``known`` holds one line for ``name`` with that key, as ssh writes it: plain, or hashed
    (``|1|...``) when the config (Debian's /etc/ssh/ssh_config) says HashKnownHosts yes."""
    lines = known.read_text().splitlines()
    assert len(lines) == 1, lines
    first, _, rest = lines[0].partition(" ")
    assert rest == key_fields and (first == name or first.startswith("|1|"))
    found = ssh_keygen("-F", name, "-f", str(known))
    assert found.returncode == 0 and "found: line 1" in found.stdout


def report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.fixture
def key(user: tuple[str, Path], ssh_dir: Path) -> Path:
    made = make_key(ssh_dir / "id_ed25519", "acc@test")
    authorize(user, made)
    return made


def test_openssh_engine_reads_tilde_in_config_against_home(
    server: SshdServer, user: tuple[str, Path], key: Path, ssh_dir: Path, run_cli: RunCli
) -> None:
    """ssh expands ``~`` to the passwd home; sshdeck's HOME must win, as for the asyncssh engine."""
    moved = ssh_dir / "login_key"
    key.rename(moved)
    key.with_suffix(".pub").rename(moved.with_name("login_key.pub"))
    (ssh_dir.parent / "kh").write_text(server.known_hosts_line() + "\n")
    (ssh_dir / "config").write_text(
        f"Host box\n  HostName 127.0.0.1\n  Port {server.port}\n  User {user[0]}\n"
        "  IdentityFile ~/.ssh/login_key\n  IdentitiesOnly yes\n  UserKnownHostsFile ~/kh\n"
    )
    for engine in ("asyncssh", "openssh"):
        result = run_cli("test", "box", "--engine", engine, "-v", "--json")
        assert result.returncode == 0, result.stderr
        document = report(result)
        assert document["ok"] is True and document["outcome"] == "ok"
        assert document["accepted_key"] == str(moved)
        assert document["host_key_status"] == "known"
    # the transcript names the user's config, not sshdeck's rewritten copy
    assert f"Reading configuration data {ssh_dir / 'config'}" in result.stderr


def test_openssh_engine_is_quiet_about_missing_default_names(
    server: SshdServer, key: Path, user: tuple[str, Path], ssh_dir: Path, run_cli: RunCli
) -> None:
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    target = f"{user[0]}@127.0.0.1:{server.port}"
    result = run_cli("test", target, "--engine", "openssh")
    assert result.returncode == 0, result.stderr
    assert "no such identity" not in result.stderr
    # without -v, only what ssh prints without it (no "Authenticated to", no blank line)
    assert result.stderr == f"Logged in to 127.0.0.1 as {user[0]} with the key {key}.\n"
    verbose = run_cli("test", target, "--engine", "openssh", "-v")
    assert "Authenticated to 127.0.0.1 ([127.0.0.1]:" in verbose.stderr
    assert "no such identity" not in verbose.stderr


def test_changed_host_key_names_the_line_and_the_removal_in_both_engines(
    server: SshdServer, key: Path, user: tuple[str, Path], tmp_path: Path, run_cli: RunCli
) -> None:
    other = make_key(tmp_path / "other_host_key")
    other_blob = other.with_name("other_host_key.pub").read_text().split()[1]
    known = tmp_path / "known"
    name = f"[127.0.0.1]:{server.port}"
    known.write_text(f"example.org ssh-ed25519 {other_blob}\n{name} ssh-ed25519 {other_blob}\n")
    before = known.read_text()
    for engine in ("asyncssh", "openssh"):
        result = run_cli(
            "test",
            f"{user[0]}@127.0.0.1",
            "-p",
            str(server.port),
            "-o",
            f"UserKnownHostsFile={known}",
            "--accept-new",
            "--engine",
            engine,
            "--json",
        )
        assert result.returncode == 255
        document = report(result)
        assert document["outcome"] == "host-key-changed"
        assert f"{known}:2" in document["diagnosis"]
        assert f'ssh-keygen -f "{known}" -R "{name}"' in document["fix"]
        assert f"Offending ED25519 key in {known}:2" in result.stderr
        assert document["offered_keys"] == []
    assert known.read_text() == before  # --accept-new never replaces a changed key


def test_accept_new_hashes_when_the_config_says_so(
    server: SshdServer, key: Path, user: tuple[str, Path], ssh_dir: Path, run_cli: RunCli
) -> None:
    target = f"{user[0]}@127.0.0.1:{server.port}"
    name = f"[127.0.0.1]:{server.port}"
    plain = ssh_dir / "plain_known"
    # -F: only this config (not /etc/ssh/ssh_config, whose Debian copy hashes): plain lines
    (ssh_dir / "plain_config").write_text("Host *\n  HashKnownHosts no\n")
    result = run_cli(
        "test", target, "-F", str(ssh_dir / "plain_config"), "-o",
        f"UserKnownHostsFile={plain}", "--accept-new",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert plain.read_text() == server.known_hosts_line() + "\n"
    (ssh_dir / "config").write_text("Host *\n  HashKnownHosts yes\n")
    hashed = ssh_dir / "hashed_known"
    result = run_cli("test", target, "-o", f"UserKnownHostsFile={hashed}", "--accept-new")
    assert result.returncode == 0, result.stderr
    line = hashed.read_text()
    assert line.startswith("|1|") and name not in line
    assert line.split()[1:] == server.known_hosts_line().split()[1:]
    found = ssh_keygen("-F", name, "-f", str(hashed))  # the oracle finds it under its name
    assert found.returncode == 0 and "found: line 1" in found.stdout
    again = run_cli("test", target, "-o", f"UserKnownHostsFile={hashed}", "-v")
    assert again.returncode == 0
    assert f"Host '{name}' is known and matches the ED25519 host key." in again.stderr


def test_remote_command_words_are_joined_like_ssh(
    server: SshdServer, key: Path, user: tuple[str, Path], ssh_dir: Path, run_cli: RunCli
) -> None:
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    target = f"{user[0]}@127.0.0.1:{server.port}"
    for engine in ("asyncssh", "openssh"):
        words = ("echo", "a", "b  c", ";", "echo", "oops", ">&2", ";", "exit", "7")
        result = run_cli("test", target, "--engine", engine, "--", *words)
        assert result.stdout == "a b c\n"  # ssh sends "echo a b  c ; ..." to the shell
        assert result.returncode == 7
        assert result.stderr.endswith("oops\n")
        document = report(run_cli("test", target, "--engine", engine, "--json", "--", *words))
        assert (document["stdout"], document["stderr"]) == ("a b c\n", "oops\n")
        assert document["exit_status"] == 7


def test_agent_key_is_named_by_its_comment(
    server: SshdServer,
    user: tuple[str, Path],
    ssh_dir: Path,
    tmp_path: Path,
    ssh_agent: Any,
    run_cli: RunCli,
) -> None:
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    loaded = make_key(tmp_path / "agent_only", "agent-comment")
    authorize(user, loaded)
    assert ssh_agent.ssh_add(str(loaded)).returncode == 0
    loaded.unlink()  # only the agent has it now
    result = run_cli("test", f"{user[0]}@127.0.0.1:{server.port}", "-v", "--json")
    assert result.returncode == 0, result.stderr
    sha = report(result)["offered_keys"][0]["sha256"]
    assert f"Will attempt key: agent-comment ED25519 {sha} agent" in result.stderr
    assert f"Offering public key: agent-comment ED25519 {sha} agent" in result.stderr


def test_too_many_agent_keys_is_an_auth_failure_with_the_way_out(
    server: SshdServer,
    key: Path,
    user: tuple[str, Path],
    ssh_dir: Path,
    tmp_path: Path,
    ssh_agent: Any,
    run_cli: RunCli,
) -> None:
    """sshd's MaxAuthTries (6) ends the login before ~/.ssh/id_ed25519 is reached, as with ssh."""
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    for number in range(7):
        extra = make_key(tmp_path / f"extra{number}", f"extra{number}")
        assert ssh_agent.ssh_add(str(extra)).returncode == 0
    target = f"{user[0]}@127.0.0.1:{server.port}"
    for engine in ("asyncssh", "openssh"):
        result = run_cli("test", target, "--engine", engine, "--json")
        assert result.returncode == 255
        document = report(result)
        assert document["outcome"] == "auth-failed"
        assert "Too many authentication failures" in document["diagnosis"]
        assert "IdentitiesOnly" in document["fix"]
    # the way out works
    result = run_cli("test", target, "-i", str(key), "-F", str(ssh_dir / "only"), "--json")
    assert result.returncode == 2  # a missing -F file is a usage error
    (ssh_dir / "only").write_text("Host *\n  IdentitiesOnly yes\n")
    result = run_cli("test", target, "-i", str(key), "-F", str(ssh_dir / "only"), "--json")
    assert result.returncode == 0, result.stderr
    assert report(result)["accepted_key"] == str(key)


def test_openssh_engine_proxy_jump_checks_home_known_hosts(
    server: SshdServer, key: Path, user: tuple[str, Path], ssh_dir: Path, run_cli: RunCli
) -> None:
    """The ssh that ProxyJump starts never sees our -o options: the config copy carries them."""
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    (ssh_dir / "config").write_text(
        f"Host jump inner\n  HostName 127.0.0.1\n  Port {server.port}\n  User {user[0]}\n"
        "  IdentityFile ~/.ssh/id_ed25519\nHost inner\n  ProxyJump jump\n"
    )
    for engine in ("asyncssh", "openssh"):
        result = run_cli("test", "inner", "--engine", engine, "-v", "--json")
        assert result.returncode == 0, result.stderr
        assert report(result)["outcome"] == "ok"
    assert f"Found key in {ssh_dir / 'known_hosts'}:1" in result.stderr
    assert "(via proxy)" in result.stderr
    # the jump host's login is not the target's: a refused key behind it is a failure
    wrong = make_key(ssh_dir / "wrong")
    (ssh_dir / "config").write_text(
        f"Host jump inner\n  HostName 127.0.0.1\n  Port {server.port}\n  User {user[0]}\n"
        "  IdentitiesOnly yes\nHost jump\n  IdentityFile ~/.ssh/id_ed25519\n"
        f"Host inner\n  IdentityFile {wrong}\n  ProxyJump jump\n"
    )
    for engine in ("asyncssh", "openssh"):
        result = run_cli("test", "inner", "--engine", engine, "--json")
        assert result.returncode == 255, result.stdout
        document = report(result)
        assert (document["ok"], document["outcome"]) == (False, "auth-failed")
        assert [k["path"] for k in document["offered_keys"]] == [str(wrong)]


def test_openssh_engine_passphrase_reaches_ssh_every_time(
    server: SshdServer, user: tuple[str, Path], ssh_dir: Path, run_cli: RunCli
) -> None:
    """The askpass helper once lost the race with its FIFO feeder about every other run."""
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    passphrase = ' odd \\ "pass" $HOME '
    locked = ssh_dir / "locked"
    made = ssh_keygen("-q", "-t", "ed25519", "-N", passphrase, "-C", "", "-f", str(locked))
    assert made.returncode == 0
    authorize(user, locked)
    target = f"{user[0]}@127.0.0.1:{server.port}"
    args = ("test", target, "-i", str(locked), "--engine", "openssh", "--passphrase-stdin")
    for _attempt in range(5):
        result = run_cli(*args, "-vvv", input=passphrase + "\n")
        assert result.returncode == 0, result.stderr
        assert '"pass"' not in result.stderr and passphrase.strip() not in result.stderr
    wrong = run_cli(*args, "--json", input="not it\n")
    assert wrong.returncode == 255
    assert report(wrong)["outcome"] == "key-needs-passphrase"


def test_log_into_a_directory_uses_the_guides_name(
    server: SshdServer, key: Path, user: tuple[str, Path], ssh_dir: Path, tmp_path: Path,
    run_cli: RunCli,
) -> None:  # fmt: skip
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    target = f"{user[0]}@127.0.0.1:{server.port}"
    result = run_cli("test", target, "--log", str(tmp_path))
    assert result.returncode == 0, result.stderr
    saved = tmp_path / "ssh.127.0.0.1.debug"
    assert saved.stat().st_mode & 0o777 == 0o600
    assert "debug3: " in saved.read_text() and "debug1: " not in result.stderr
    missing = run_cli("test", target, "--log", str(tmp_path / "no" / "such.debug"))
    assert missing.returncode == 2 and "--log" in missing.stderr
    # DIR/ names a directory, existing or not: the guide's name inside it, never a file "DIR"
    logs = tmp_path / "logs"
    logs.mkdir()
    slashed = run_cli("test", target, "--log", f"{logs}/")
    assert slashed.returncode == 0, slashed.stderr
    assert [p.name for p in logs.iterdir()] == ["ssh.127.0.0.1.debug"]
    absent = tmp_path / "absent"
    refused = run_cli("test", target, "--log", f"{absent}/")
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.count("\n") == 1 and "--log" in refused.stderr
    assert "Traceback" not in refused.stderr and str(absent) in refused.stderr
    assert not absent.exists()  # no file named after the directory, nothing created


def test_config_strict_host_key_checking_accept_new_like_ssh(
    server: SshdServer, key: Path, user: tuple[str, Path], ssh_dir: Path, tmp_path: Path,
    run_cli: RunCli,
) -> None:  # fmt: skip
    (ssh_dir / "config").write_text(
        f"Host sk\n  HostName 127.0.0.1\n  Port {server.port}\n  User {user[0]}\n"
        "  StrictHostKeyChecking accept-new\n"
    )
    for engine in ("asyncssh", "openssh"):
        known = ssh_dir / "known_hosts"
        known.unlink(missing_ok=True)
        result = run_cli("test", "sk", "--engine", engine)
        assert result.returncode == 0, result.stderr
        assert "Warning: Permanently added" in result.stderr
        name, key_fields = server.known_hosts_line().split(" ", 1)
        assert_one_entry(known, name, key_fields)
    other = make_key(tmp_path / "other_host")
    blob = other.with_name("other_host.pub").read_text().split()[1]
    (ssh_dir / "known_hosts").write_text(f"[127.0.0.1]:{server.port} ssh-ed25519 {blob}\n")
    changed = run_cli("test", "sk", "--json")
    assert changed.returncode == 255 and report(changed)["outcome"] == "host-key-changed"


def test_server_with_two_host_keys_shows_the_one_ssh_picks(
    user: tuple[str, Path], key: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    """OpenSSH's host key order (ed25519 before RSA; rsa-sha2-512 for RSA), not asyncssh's."""
    rsa = tmp_path / "host_rsa"
    assert ssh_keygen("-q", "-t", "rsa", "-b", "1024", "-N", "", "-f", str(rsa)).returncode == 0
    base = tmp_path / "sshd"
    base.mkdir()
    both = _start_sshd(base, extra_config=f"HostKey {rsa}")
    try:
        target = f"{user[0]}@127.0.0.1:{both.port}"
        ours, theirs = tmp_path / "ours", tmp_path / "theirs"
        result = run_cli("test", target, "-o", f"UserKnownHostsFile={ours}", "--accept-new", "-v")
        assert result.returncode == 0, result.stderr
        assert "debug1: kex: host key algorithm: ssh-ed25519" in result.stderr
        ssh = subprocess.run(
            ["ssh", "-F", "/dev/null", "-o", f"UserKnownHostsFile={theirs}", "-o",
             "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", "-i", str(key),
             "-p", str(both.port), f"{user[0]}@127.0.0.1", "true"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert ssh.returncode == 0, ssh.stderr
        # the same key (ours may be hashed: /etc/ssh/ssh_config is read; ssh -F /dev/null not)
        assert ours.read_text().split()[1:] == theirs.read_text().split()[1:]
        rsa_line = rsa.with_name("host_rsa.pub").read_text().split()[:2]
        ours.write_text(f"[127.0.0.1]:{both.port} {' '.join(rsa_line)}\n")
        known = run_cli("test", target, "-o", f"UserKnownHostsFile={ours}", "-v", "--json")
        assert known.returncode == 0, known.stderr
        assert "debug1: kex: host key algorithm: rsa-sha2-512" in known.stderr
        assert "is known and matches the RSA host key." in known.stderr
        assert report(known)["host_key"]["type"] == "ssh-rsa"
    finally:
        both.stop()


def test_unprotected_key_is_refused_only_when_the_server_would_take_it(
    server: SshdServer, key: Path, user: tuple[str, Path], ssh_dir: Path, tmp_path: Path,
    run_cli: RunCli,
) -> None:  # fmt: skip
    """ssh offers the public half first; the permission warning comes after "Server accepts"."""
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    stranger = make_key(tmp_path / "stranger")
    for path in (key, stranger):
        path.chmod(0o644)
    target = f"{user[0]}@127.0.0.1:{server.port}"
    for engine in ("asyncssh", "openssh"):
        taken = run_cli("test", target, "-i", str(key), "--engine", engine, "-v", "--json")
        assert taken.returncode == 255
        assert report(taken)["outcome"] == "key-permissions"
        assert report(taken)["offered_keys"][0]["accepted"] is True
        lines = taken.stderr.splitlines()
        accepts = next(i for i, t in enumerate(lines) if t.startswith("debug1: Server accepts"))
        assert "UNPROTECTED PRIVATE KEY FILE" in lines[accepts + 2]
        refused = run_cli("test", target, "-i", str(stranger), "--engine", engine, "--json")
        assert refused.returncode == 255
        assert report(refused)["outcome"] == "auth-failed"
        assert "UNPROTECTED" not in refused.stderr


def test_ipv6_target_in_brackets(
    user: tuple[str, Path], key: Path, ssh_dir: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    base = tmp_path / "sshd6"
    base.mkdir()
    six = _start_sshd(base, extra_config="ListenAddress ::1")
    try:
        target = f"{user[0]}@[::1]:{six.port}"
        for engine in ("asyncssh", "openssh"):
            known = ssh_dir / "known_hosts"
            known.unlink(missing_ok=True)
            result = run_cli("test", target, "--accept-new", "--engine", engine, "-v")
            assert result.returncode == 0, result.stderr
            assert f"Connecting to ::1 [::1] port {six.port}." in result.stderr
            assert f'Authenticated to ::1 ([::1]:{six.port}) using "publickey".' in result.stderr
            blob = six.known_hosts_line().split(" ", 1)[1]
            assert_one_entry(known, f"[::1]:{six.port}", blob)
    finally:
        six.stop()


def test_unknown_host_shows_fingerprint_and_randomart_in_both_engines(
    server: SshdServer, user: tuple[str, Path], run_cli: RunCli
) -> None:
    target = f"{user[0]}@127.0.0.1:{server.port}"
    art = server.host_public_key.randomart().splitlines()
    for engine in ("asyncssh", "openssh"):
        result = run_cli("test", target, "--engine", engine, "--json")
        assert result.returncode == 255
        assert report(result)["outcome"] == "host-key-unknown"
        lines = result.stderr.splitlines()
        assert f"ED25519 key fingerprint is {server.host_public_key.sha256}." in lines
        start = lines.index(art[0])
        assert lines[start : start + len(art)] == art


@pytest.fixture
def stalling_port() -> Iterator[int]:
    """A listener that sends an SSH greeting and then nothing at all."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                peer, _ = server.accept()
            except OSError:
                continue
            peer.sendall(b"SSH-2.0-OpenSSH_9.2p1 Stall\r\n")
            held.append(peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(timeout=2)
    for peer in held:
        peer.close()
    server.close()


def test_a_server_stalling_after_its_greeting_times_out_in_both_engines(
    stalling_port: int, run_cli: RunCli
) -> None:
    """ssh's ConnectTimeout ends at the greeting; the openssh engine used to wait forever."""
    for engine in ("asyncssh", "openssh"):
        result = run_cli(
            "test", f"127.0.0.1:{stalling_port}", "--timeout", "1", "--engine", engine,
            "--json", timeout=20,
        )  # fmt: skip
        assert result.returncode == 255
        document = report(result)
        assert document["outcome"] == "timeout"
        assert "key exchange" in document["diagnosis"]
    # a fraction of a second is a valid --timeout for ssh too (it takes whole seconds)
    result = run_cli("test", f"127.0.0.1:{stalling_port}", "--timeout", "0.5",
                     "--engine", "openssh", "--json", timeout=20)  # fmt: skip
    assert report(result)["outcome"] == "timeout"
    assert "invalid time value" not in result.stderr


def test_passphrase_stdin_without_a_line_or_a_broken_config_is_a_usage_error(
    run_cli: RunCli, tmp_path: Path
) -> None:
    result = run_cli("test", "127.0.0.1", "--passphrase-stdin", input="")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--passphrase-stdin" in result.stderr
    config = tmp_path / "config"
    config.write_text("Host x\n  Port notanumber\n")
    for engine in ("asyncssh", "openssh"):
        result = run_cli("test", "x", "-F", str(config), "--engine", engine)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and f"{config} line 2" in result.stderr
