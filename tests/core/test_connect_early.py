"""``sshdeck test`` connects while Python imports (tui.core.connect.early), only when no ssh
option can send the connection elsewhere, and hands the same socket to the login."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.fixtures.sshd import SshdServer
from tui.core.connect import early


def test_routing_options_anywhere_keep_the_connection_for_after_the_config(tmp_path: Path) -> None:
    plain = ["Host *", "  HashKnownHosts yes", "  SendEnv LANG", "# Hostname in a comment"]
    assert not early._routes(plain, tmp_path)
    for line in (
        "Hostname 10.0.0.1",
        "  port=2222",
        "ProxyJump j",
        "Match user x",
        "BindAddress ::1",
    ):
        assert early._routes([line], tmp_path), line
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text("Host alias\n  HostName 192.0.2.9\n")
    assert early._routes(["Include conf.d/*.conf"], tmp_path)  # relative to the config's dir
    config = tmp_path / "config"
    config.write_text("Host h\n  Port 2200\n")
    assert early.start("h", 22, config, (), 5.0) is None
    assert early.start("h", 22, None, ("Port=2200",), 5.0) is None


def test_the_connection_begun_early_is_the_one_the_login_gets(
    tmp_path: Path, sshd: SshdServer
) -> None:
    config = tmp_path / "config"
    config.write_text("Host *\n  HashKnownHosts yes\n")
    begun = early.start("127.0.0.1", sshd.port, config, (), 10.0)
    assert begun is not None
    assert early.take("127.0.0.1", sshd.port + 1, begun.line) is None  # another port: not it
    taken = early.take("127.0.0.1", sshd.port, begun.line)
    assert taken is begun and early.take("127.0.0.1", sshd.port, begun.line) is None  # once
    assert taken.done.wait(10) and taken.sock is not None and taken.error is None
    assert taken.line.startswith(b"SSH-2.0-AsyncSSH_")
    taken.sock.setblocking(True)
    taken.sock.settimeout(10)
    assert taken.sock.recv(64).startswith(b"SSH-2.0-OpenSSH")  # sshd answered our version
    taken.sock.close()


def test_a_refused_connection_is_kept_as_the_error_and_nothing_leaks(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "config"
    config.write_text("")
    begun = early.start("127.0.0.1", port, config, (), 10.0)
    assert begun is not None and begun.done.wait(10)
    assert isinstance(begun.error, ConnectionRefusedError) and begun.sock is None
    early.discard()
    assert early.take("127.0.0.1", port, begun.line) is None
