"""``sshdeck copy-id`` as a real process: usage errors, default key, unreachable hosts, JSON."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from tests.conftest import ssh_keygen


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _make_key(directory: Path, name: str = "id_ed25519") -> Path:
    ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(directory / name))
    return directory / f"{name}.pub"


def test_no_host_is_a_usage_error(run_cli, ssh_dir: Path) -> None:
    _make_key(ssh_dir)
    result = run_cli("copy-id")
    assert result.returncode == 2
    assert "HOST" in result.stderr


def test_identity_and_password_stdin_exclude_each_other(run_cli, ssh_dir: Path) -> None:
    result = run_cli("copy-id", "--identity", "k", "--password-stdin", "127.0.0.1")
    assert result.returncode == 2


def test_no_default_key_is_one_sentence(run_cli, ssh_dir: Path) -> None:
    result = run_cli("copy-id", "127.0.0.1")
    assert result.returncode == 1
    assert "-i KEY.pub" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_target_is_one_sentence(run_cli, ssh_dir: Path) -> None:
    pub = _make_key(ssh_dir)
    result = run_cli("copy-id", "-i", str(pub), "host:99999")
    assert result.returncode == 2
    assert "port" in result.stderr and "Traceback" not in result.stderr


def test_bad_hosts_file_line_is_named(run_cli, ssh_dir: Path, tmp_path: Path) -> None:
    pub = _make_key(ssh_dir)
    hosts = tmp_path / "hosts"
    hosts.write_text("# fleet\nok@127.0.0.1\n[::1:22\n")
    result = run_cli("copy-id", "-i", str(pub), "--hosts-file", str(hosts))
    assert result.returncode == 1
    assert "Line 3" in result.stderr and "Traceback" not in result.stderr
    missing = run_cli("copy-id", "-i", str(pub), "--hosts-file", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "hosts file" in missing.stderr


def test_unreachable_hosts_fail_each_in_json(run_cli, ssh_dir: Path, tmp_path: Path) -> None:
    old = _make_key(ssh_dir, "id_rsa_old")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    newest = _make_key(ssh_dir)
    port_a, port_b = _closed_port(), _closed_port()
    hosts = tmp_path / "hosts"
    hosts.write_text(f"# lab\nbob@127.0.0.1:{port_b}\n")
    result = run_cli(
        "copy-id", "--json", "--accept-new", f"alice@127.0.0.1:{port_a}", "--hosts-file", str(hosts)
    )
    assert result.returncode == 1
    assert str(newest) in result.stderr  # says which default key it took (the newest one)
    document = json.loads(result.stdout)
    assert [(h["host"], h["user"], h["port"], h["result"]) for h in document["hosts"]] == [
        ("127.0.0.1", "alice", port_a, "failed"),
        ("127.0.0.1", "bob", port_b, "failed"),
    ]
    assert all(h["error"] and "\n" not in h["error"] for h in document["hosts"])


def test_parallel_below_one_is_a_usage_error(run_cli, ssh_dir: Path) -> None:
    pub = _make_key(ssh_dir)
    assert run_cli("copy-id", "-i", str(pub), "--parallel", "0", "127.0.0.1").returncode == 2


def test_unknown_ssh_option_is_refused_before_connecting(run_cli, ssh_dir: Path) -> None:
    pub = _make_key(ssh_dir)
    result = run_cli("copy-id", "-i", str(pub), "-o", "StrictHostKeyChecking=no", "127.0.0.1")
    assert result.returncode == 2
    assert "--accept-new" in result.stderr
    result = run_cli("copy-id", "-i", str(pub), "-o", "ProxyCommand=nc %h %p", "127.0.0.1")
    assert result.returncode == 2
    assert "UserKnownHostsFile" in result.stderr


def test_untrusted_names_are_escaped_in_text_and_exact_in_json(
    run_cli, ssh_dir: Path, tmp_path: Path
) -> None:
    """A user name from a hosts file and a key file name reach the terminal with their control
    characters made visible as OpenSSH shows them (OSC 52 would write the clipboard, U+202E
    would reverse the line); ``--json`` keeps the exact strings."""
    osc52 = "\x1b]52;c;cm0gLXJmIH4=\x07"
    _make_key(ssh_dir, f"id_{osc52}")
    user = f"u{osc52}[/]\u202e"
    port = _closed_port()
    hosts = tmp_path / "hosts"
    hosts.write_text(f"{user}@127.0.0.1:{port}\n", encoding="utf-8")
    text = run_cli("copy-id", "--hosts-file", str(hosts))
    assert text.returncode == 1
    shown = text.stdout + text.stderr
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "Traceback" not in shown
    escaped = "\\033]52;c;cm0gLXJmIH4=\\007"
    assert f"using the key {ssh_dir}/id_{escaped}.pub" in text.stderr
    assert text.stdout.startswith(f"u{escaped}[/]\\342\\200\\256@127.0.0.1:{port}: failed: ")
    document = run_cli("copy-id", "--json", "--hosts-file", str(hosts))
    assert json.loads(document.stdout)["hosts"][0]["user"] == user


def test_result_line_shows_a_hosts_own_words_escaped() -> None:
    """The error of a host that refused a write carries its stderr (a hostile host chooses those
    bytes): the text line escapes them, the JSON document keeps them."""
    from tui.cli.copy_id import _result_line
    from tui.core.upload.authorized_keys import HostResult

    error = "The host refused to write ~/.ssh/authorized_keys (\x1b[2J\x1b]8;;x\x07[/]\u202e)."
    result = HostResult("127.0.0.1", "u", 22, "failed", error)
    assert _result_line(result) == (
        "u@127.0.0.1:22: failed: The host refused to write ~/.ssh/authorized_keys "
        "(\\033[2J\\033]8;;x\\007[/]\\342\\200\\256)."
    )
    assert result.to_json()["error"] == error
