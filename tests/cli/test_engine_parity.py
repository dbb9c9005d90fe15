"""The asyncssh engine behaves like ssh (issue 10, section 1), each against a real sshd and
side by side with real ``ssh -o BatchMode=yes`` where ssh says the same fact.

Key order with MaxAuthTries, ``-o IdentitiesOnly``, a host known by another key type, no common
cipher or key exchange, an rsa-sha2-512-only server, AuthenticationMethods publickey,password,
a nologin shell and a failing ForceCommand, user certificates, an unknown ProxyJump host, a
banner with control characters and ``-o`` options sshdeck cannot honour.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import ssh_keygen
from tests.fixtures.engine_servers import UserCA
from tests.fixtures.sshd import SshdServer, TestUser, account_tool

RunCli = Callable[..., subprocess.CompletedProcess[str]]
Start = Callable[..., SshdServer]


def make_key(path: Path, kind: str = "ed25519", comment: str = "") -> Path:
    args = ["-q", "-t", kind, "-N", "", "-C", comment or path.name, "-f", str(path)]
    if kind == "rsa":
        args += ["-b", "2048"]
    assert ssh_keygen(*args).returncode == 0
    return path


def pub(key: Path) -> str:
    return key.with_name(key.name + ".pub").read_text()


def report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def ssh(*args: str, known: Path, keys: tuple[Path, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Real OpenSSH, BatchMode, with the test's files named explicitly: ssh expands ``~`` to the
    passwd home, never HOME, so nothing of the real ~/.ssh may be left to it."""
    options = ["-F", "none", "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={known}",
               "-o", "GlobalKnownHostsFile=/dev/null"]  # fmt: skip
    for key in keys:
        options += ["-i", str(key)]
    if not keys:
        options += ["-o", "IdentityFile=/dev/null"]
    return subprocess.run(
        ["ssh", *options, *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def trust(server: SshdServer, ssh_dir: Path) -> Path:
    known = ssh_dir / "known_hosts"
    with known.open("a") as out:
        out.write(server.known_hosts_line() + "\n")
    return known


def test_agent_key_order_with_max_auth_tries_logs_in_like_ssh(
    engine_sshd: Start, test_user: TestUser, ssh_dir: Path, tmp_path: Path, ssh_agent: Any,
    run_cli: RunCli,
) -> None:  # fmt: skip
    """Three other agent keys before the right one and MaxAuthTries 3: ssh offers the agent's
    copy of ~/.ssh/id_ed25519 first (pubkey_prepare), so it logs in; so must sshdeck."""
    server = engine_sshd(extra_config="MaxAuthTries 3")
    known = trust(server, ssh_dir)
    for number in range(3):
        other = make_key(tmp_path / f"other{number}")
        assert ssh_agent.ssh_add(str(other)).returncode == 0
    right = make_key(ssh_dir / "id_ed25519")
    assert ssh_agent.ssh_add(str(right)).returncode == 0
    test_user.authorize(pub(right))
    target = f"{test_user.name}@127.0.0.1:{server.port}"
    result = run_cli("test", target, "--json", "-v")
    assert result.returncode == 0, result.stderr
    document = report(result)
    assert document["outcome"] == "ok"
    assert document["offered_keys"][0]["path"] == str(right)  # the file key, from the agent
    assert len(document["offered_keys"]) == 1
    oracle = ssh("-p", str(server.port), f"{test_user.name}@127.0.0.1", "true",
                 known=known, keys=(right,))  # fmt: skip
    assert oracle.returncode == 0, oracle.stderr
    # IdentitiesOnly from -o: only the -i key, never the agent's others
    only = run_cli("test", target, "-i", str(right), "-o", "IdentitiesOnly=yes", "--json")
    assert only.returncode == 0, only.stderr
    assert [k["path"] for k in report(only)["offered_keys"]] == [str(right)]
    # without the key file the agent's others come first, then the right one: refused at 3
    moved = tmp_path / "elsewhere"
    right.rename(moved)
    right.with_name("id_ed25519.pub").unlink()
    crowded = run_cli("test", target, "--json")
    assert crowded.returncode == 255
    assert report(crowded)["outcome"] == "auth-failed"


def test_host_known_by_another_type_is_changed_and_accept_new_never_trusts_it(
    engine_sshd: Start, test_user: TestUser, ssh_dir: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    server = engine_sshd(host_key_type="rsa")  # the server offers only an RSA key
    other = make_key(tmp_path / "old_host_key")
    name = f"[127.0.0.1]:{server.port}"
    known = ssh_dir / "known_hosts"
    known.write_text(f"{name} {pub(other).split()[0]} {pub(other).split()[1]}\n")
    before = known.read_text()
    key = make_key(ssh_dir / "id_ed25519")
    test_user.authorize(pub(key))
    target = f"{test_user.name}@127.0.0.1:{server.port}"
    for flags in ((), ("--accept-new",), ("-o", "StrictHostKeyChecking=accept-new")):
        result = run_cli("test", target, "--json", *flags)
        assert result.returncode == 255, result.stderr
        document = report(result)
        assert (document["outcome"], document["host_key_status"]) == ("host-key-changed", "changed")
        assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in result.stderr
        assert f"Offending ED25519 key in {known}:1" in result.stderr
        assert document["auth_attempts"] == []  # nothing was sent to it
    assert known.read_text() == before
    oracle = ssh("-o", "StrictHostKeyChecking=accept-new", "-p", str(server.port),
                 f"{test_user.name}@127.0.0.1", "true", known=known, keys=(key,))  # fmt: skip
    assert oracle.returncode == 255
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in oracle.stderr


def test_no_common_cipher_or_kex_says_what_ssh_says_and_the_fix_works(
    engine_sshd: Start, test_user: TestUser, ssh_dir: Path, run_cli: RunCli
) -> None:
    key = make_key(ssh_dir / "id_ed25519")
    test_user.authorize(pub(key))
    cases = (
        ("Ciphers", "aes128-cbc", "cipher"),
        ("KexAlgorithms", "diffie-hellman-group14-sha1", "key exchange method"),
    )
    for option, value, words in cases:
        server = engine_sshd(settings={option: value})
        known = trust(server, ssh_dir)
        target = f"{test_user.name}@127.0.0.1:{server.port}"
        result = run_cli("test", target, "--json")
        assert result.returncode == 255, result.stderr
        document = report(result)
        assert document["outcome"] == "no-common-algorithm"
        oracle = ssh("-p", str(server.port), f"{test_user.name}@127.0.0.1", "true",
                     known=known, keys=(key,))  # fmt: skip
        assert oracle.returncode == 255
        said = next(ln for ln in oracle.stderr.splitlines() if "Unable to negotiate" in ln)
        assert f"no matching {words} found" in said
        assert said.split(": ", 1)[1] in document["diagnosis"]  # the same words, the same offer
        assert f"{option} +{value}" in document["fix"]
        fixed = run_cli("test", target, "-o", f"{option}=+{value}", "--json")
        assert fixed.returncode == 0, fixed.stderr
        assert report(fixed)["outcome"] == "ok"


def test_rsa_key_on_a_server_allowing_only_rsa_sha2_512(
    engine_sshd: Start, test_user: TestUser, ssh_dir: Path, run_cli: RunCli
) -> None:
    server = engine_sshd(settings={"PubkeyAcceptedAlgorithms": "rsa-sha2-512"})
    trust(server, ssh_dir)
    key = make_key(ssh_dir / "id_rsa", "rsa")
    test_user.authorize(pub(key))
    result = run_cli("test", f"{test_user.name}@127.0.0.1:{server.port}", "--json", "-v")
    assert result.returncode == 0, result.stderr
    document = report(result)
    assert document["outcome"] == "ok" and document["accepted_key"] == str(key)
    assert "rsa-sha2-512" in document["server_sig_algs"]
    assert "server-sig-algs=<" in result.stderr


def test_publickey_then_password_is_partial_success_then_logs_in_with_the_password(
    engine_sshd: Start, test_user: TestUser, ssh_dir: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    server = engine_sshd(extra_config="AuthenticationMethods publickey,password")
    trust(server, ssh_dir)
    key = make_key(ssh_dir / "id_ed25519")
    test_user.authorize(pub(key))
    target = f"{test_user.name}@127.0.0.1:{server.port}"
    partial = run_cli("test", target, "--json")
    assert partial.returncode == 255, partial.stderr
    document = report(partial)
    assert document["outcome"] == "auth-partial"
    assert document["partial_success"] == ["publickey"]
    assert "accepted" in document["diagnosis"] and "password" in document["diagnosis"]
    log = tmp_path / "partial.debug"
    full = run_cli("test", target, "--json", "--password-stdin", "-vvv", "--log", str(log),
                   input=test_user.password + "\n")  # fmt: skip
    assert full.returncode == 0, full.stderr
    done = report(full)
    assert (done["outcome"], done["auth_method"]) == ("ok", "password")
    assert test_user.password not in full.stderr + full.stdout + log.read_text()
    wrong = run_cli("test", target, "--json", "--password-stdin", input="not-the-password\n")
    assert report(wrong)["outcome"] == "auth-partial" and wrong.returncode == 255
    # both secrets from stdin: the passphrase line first, then the password
    both = run_cli("test", target, "--passphrase-stdin", "--password-stdin", input="only one\n")
    assert both.returncode == 2 and "passphrase first" in both.stderr


def test_nologin_shell_and_failing_force_command_are_session_failures(
    engine_sshd: Start, test_user_factory: Callable[[], TestUser], ssh_dir: Path,
    run_cli: RunCli,
) -> None:  # fmt: skip
    shut, forced = test_user_factory(), test_user_factory()
    server = engine_sshd(
        extra_config=f"Match User {forced.name}\n  ForceCommand echo 'no shell for you' >&2; exit 3"
    )
    known = trust(server, ssh_dir)
    key = make_key(ssh_dir / "id_ed25519")
    for user in (shut, forced):
        user.authorize(pub(key))
    account_tool("usermod", "-s", "/usr/sbin/nologin", shut.name)
    for user, status, said in ((shut, 1, "This account is currently not available."),
                               (forced, 3, "no shell for you")):  # fmt: skip
        target = f"{user.name}@127.0.0.1:{server.port}"
        oracle = ssh("-p", str(server.port), f"{user.name}@127.0.0.1", "true",
                     known=known, keys=(key,))  # fmt: skip
        assert oracle.returncode == status, oracle.stderr
        result = run_cli("test", target, "--json")
        assert result.returncode == status, result.stderr  # what ssh host true exits with
        document = report(result)
        assert (document["ok"], document["outcome"]) == (False, "session-failed")
        assert document["exit_status"] == status
        assert said in document["diagnosis"]


def test_user_certificate_valid_expired_and_wrong_principal(
    engine_sshd: Start, test_user: TestUser, ssh_dir: Path, user_ca: UserCA, run_cli: RunCli
) -> None:
    ca_pub = ssh_dir.parent / "ca.pub"
    ca_pub.write_text(user_ca.public_line)
    server = engine_sshd(extra_config=f"TrustedUserCAKeys {ca_pub}")
    known = trust(server, ssh_dir)
    key = make_key(ssh_dir / "id_ed25519")  # not in authorized_keys: only the cert can work
    target = f"{test_user.name}@127.0.0.1:{server.port}"
    user_ca.sign(key.with_name("id_ed25519.pub"), test_user.name)
    good = run_cli("test", target, "--json", "-v")
    assert good.returncode == 0, good.stderr
    assert report(good)["accepted_key"] == str(ssh_dir / "id_ed25519-cert.pub")
    assert "ED25519-CERT" in good.stderr
    cases = (
        (test_user.name, "20200101:20200201", "expired"),
        ("someone-else", "-5m:+1h", "name is not a listed principal"),
        (test_user.name, "+1d:+2d", "not yet valid"),
    )
    for principals, validity, problem in cases:
        user_ca.sign(key.with_name("id_ed25519.pub"), principals, validity)
        oracle = ssh("-p", str(server.port), f"{test_user.name}@127.0.0.1", "true",
                     known=known, keys=(key,))  # fmt: skip
        assert oracle.returncode == 255
        result = run_cli("test", target, "--json")
        assert result.returncode == 255, result.stderr
        document = report(result)
        assert document["outcome"] == "certificate-invalid"
        assert problem in document["diagnosis"]
        assert any(problem in p for p in document["certificate_problems"])
    # CertificateFile: offered first, with the key that certifies it; no KEY-cert.pub needed
    cert = user_ca.sign(key.with_name("id_ed25519.pub"), test_user.name)
    named = cert.rename(ssh_dir / "named-cert.pub")
    by_option = run_cli("test", target, "-o", f"CertificateFile={named}", "--json")
    assert by_option.returncode == 0, by_option.stderr
    assert report(by_option)["offered_keys"][0]["path"] == str(named)


def test_proxy_jump_host_key_is_checked_and_named(
    engine_sshd: Start, test_user: TestUser, ssh_dir: Path, run_cli: RunCli
) -> None:
    jump, inner = engine_sshd(), engine_sshd()
    known = trust(inner, ssh_dir)  # the target is known, the jump host is not
    key = make_key(ssh_dir / "id_ed25519")
    test_user.authorize(pub(key))
    (ssh_dir / "config").write_text(
        f"Host jump\n  HostName 127.0.0.1\n  Port {jump.port}\n  User {test_user.name}\n"
        f"Host inner\n  HostName 127.0.0.1\n  Port {inner.port}\n  User {test_user.name}\n"
        "  ProxyJump jump\n"
    )
    result = run_cli("test", "inner", "--json")
    assert result.returncode == 255, result.stderr
    document = report(result)
    assert (document["outcome"], document["failed_host"]) == ("host-key-unknown", "jump")
    assert "jump host jump" in document["diagnosis"]
    added = run_cli("test", "inner", "--json", "--accept-new")
    assert added.returncode == 0, added.stderr
    found = ssh_keygen("-F", f"[127.0.0.1]:{jump.port}", "-f", str(known))
    assert found.returncode == 0  # the jump host's key was added, as ssh would add it
    # now the jump host's key changes: stop, whatever --accept-new says
    lines = known.read_text().splitlines()
    other = make_key(ssh_dir.parent / "other_key")
    blob = pub(other).split()[1]
    kept = [ln for ln in lines if ln.split()[2] != jump.known_hosts_line().split()[2]]
    known.write_text("\n".join([*kept, f"[127.0.0.1]:{jump.port} ssh-ed25519 {blob}"]) + "\n")
    changed = run_cli("test", "inner", "--json", "--accept-new")
    assert changed.returncode == 255
    assert (report(changed)["outcome"], report(changed)["failed_host"]) == (
        "host-key-changed",
        "jump",
    )


def test_banner_control_characters_are_shown_escaped(
    engine_sshd: Start, test_user: TestUser, ssh_dir: Path, run_cli: RunCli
) -> None:
    server = engine_sshd(banner="Welcome \x1b]52;c;cHduZWQ=\x07 friend\n")
    trust(server, ssh_dir)
    key = make_key(ssh_dir / "id_ed25519")
    test_user.authorize(pub(key))
    result = run_cli("test", f"{test_user.name}@127.0.0.1:{server.port}")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "Welcome \\033]52;c;cHduZWQ=\\007 friend" in result.stderr
    # remote stderr too (the text output); --json keeps the exact bytes
    target = f"{test_user.name}@127.0.0.1:{server.port}"
    said = run_cli("test", target, "--", "printf", "'\\033[31mred\\n'", ">&2")
    assert said.returncode == 0 and "\\033[31mred" in said.stderr and "\x1b" not in said.stderr
    exact = report(run_cli("test", target, "--json", "--", "printf", "'\\033[31mred'", ">&2"))
    assert exact["stderr"] == "\x1b[31mred"
    # a key file name and an agent-less comment with control characters, as ssh -v shows them
    evil = make_key(ssh_dir / "evil\x1b[2Jkey")
    test_user.authorize(pub(evil))
    named = run_cli("test", target, "-i", str(evil), "-v", "--json")
    assert named.returncode == 0, named.stderr
    assert "\x1b" not in named.stderr and "evil\\033[2Jkey" in named.stderr
    assert report(named)["accepted_key"] == str(evil)  # JSON: the exact name


def test_ssh_options_apply_first_value_wins_and_unknown_ones_are_usage_errors(
    engine_sshd: Start, test_user: TestUser, ssh_dir: Path, run_cli: RunCli
) -> None:
    server = engine_sshd()
    trust(server, ssh_dir)
    key = make_key(ssh_dir / "id_ed25519")
    test_user.authorize(pub(key))
    args = ("-o", f"User={test_user.name}", "-o", "User=nobody-else", "-o", f"Port={server.port}")
    result = run_cli("test", "127.0.0.1", *args, "--json")
    assert result.returncode == 0, result.stderr
    # PubkeyAcceptedAlgorithms on the client: the ed25519 key is not offered at all, as with ssh
    rsa_only = run_cli("test", "127.0.0.1", *args, "-o", "PubkeyAcceptedAlgorithms=rsa-sha2-512",
                       "--json", "-v")  # fmt: skip
    assert rsa_only.returncode == 255
    assert report(rsa_only)["offered_keys"] == []
    assert "is not in PubkeyAcceptedAlgorithms" in rsa_only.stderr
    # BatchMode: the password given is never sent (ssh turns password logins off)
    batch = run_cli("test", "127.0.0.1", *args, "-o", "BatchMode=yes", "-o",
                    "IdentityFile=/nonexistent", "-o", "IdentitiesOnly=yes", "--password-stdin",
                    "--json", input=test_user.password + "\n")  # fmt: skip
    assert batch.returncode == 255 and report(batch)["auth_method"] != "password"
    refused = run_cli("test", "127.0.0.1", "-o", "ForwardX11=yes")
    assert refused.returncode == 2 and "ForwardX11" in refused.stderr
    empty = run_cli("test", "127.0.0.1", "-o", "User=")
    assert empty.returncode == 2
