"""Security rules checked on the core: private key material is never, even for a moment, readable
by others when it is written or moved."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.hosts import CopyHost
from tui.core.keys.trash import move_to_trash, restore

_watch: dict[str, list[int]] = {}  # path -> modes seen while the hook is on
_hooked = False


def _audit(event: str, args: tuple[object, ...]) -> None:
    """After every audited operation, note the mode of each watched private file that exists."""
    if not _watch:
        return
    if event == "open" and args and isinstance(args[0], (str, Path)):
        path = os.fspath(args[0])
        if path.endswith("id_test"):
            _watch.setdefault(path, [])
    for path, modes in list(_watch.items()):
        if path == "":
            continue
        with contextlib.suppress(OSError):
            modes.append(stat.S_IMODE(os.lstat(path).st_mode))


@pytest.fixture
def watch_modes() -> Iterator[dict[str, list[int]]]:
    """Modes of files named ``*id_test`` seen at each audit event (an audit hook cannot be
    removed, so one hook serves every test and is idle outside this fixture)."""
    global _hooked
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked = True
    old_umask = os.umask(0o022)
    _watch[""] = []  # activates the hook
    try:
        yield _watch
    finally:
        _watch.clear()
        os.umask(old_umask)


def test_trash_across_filesystems_keeps_a_private_key_0600_from_the_first_byte(
    ssh_dir: Path, monkeypatch: pytest.MonkeyPatch, watch_modes: dict[str, list[int]]
) -> None:
    private = ssh_dir / "id_test"
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"private key\n")
    os.close(fd)

    def no_rename(source: object, target: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "rename", no_rename)  # the trash on another file system
    record = move_to_trash([private])
    stored = record.files[0].stored
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert restore(record) == (private,)
    assert private.read_bytes() == b"private key\n"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    seen = {path: modes for path, modes in watch_modes.items() if path}
    assert str(stored) in seen and seen[str(stored)]  # the copy was watched
    assert all(mode == 0o600 for modes in seen.values() for mode in modes), seen


def test_a_keyring_chain_with_a_plaintext_backend_counts_as_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """keyring chains every viable backend; keyrings.alt's plaintext file may be first."""
    from keyring.backends.chainer import ChainerBackend

    from tests.core.test_secrets import MemoryKeyring, PlaintextKeyring
    from tui.core import secrets

    plaintext, secure = PlaintextKeyring(), MemoryKeyring()

    class Chain(ChainerBackend):
        backends = [plaintext, secure]  # type: ignore[assignment]

    monkeypatch.setattr(secrets, "_backend", Chain)
    assert not secrets.keyring_status().available
    assert not secrets.store_passphrase("SHA256:abc", "canary words")
    assert plaintext.store == {} and secure.store == {}
    Chain.backends = [secure]  # type: ignore[assignment]
    assert secrets.keyring_status().available  # a chain of secure backends is fine


async def test_asyncssh_packet_dumps_reach_no_log_handler(
    copy_host: CopyHost, caplog: pytest.LogCaptureFixture
) -> None:
    """At debug level 3 asyncssh appends a hex dump of every packet to its log message, a
    password login's included: only its first line may reach any handler (ours or another)."""
    from tui.core.connect.client import open_connection
    from tui.core.connect.trace import TranscriptLine

    caplog.set_level(logging.DEBUG, logger="asyncssh")
    lines: list[str] = []

    def sink(event: object) -> None:
        if isinstance(event, TranscriptLine):
            lines.append(event.text)

    conn = await open_connection(copy_host.options(debug_level=3, accept_new=True), sink)
    conn.close()
    await conn.wait_closed()
    assert any(line.startswith("debug3: Sent MSG_USERAUTH_REQUEST") for line in lines)
    messages = [record.getMessage() for record in caplog.records]
    assert any("MSG_USERAUTH_REQUEST" in message for message in messages)
    assert not [m for m in messages if "\n  00000000:" in m]
    password = copy_host.user.password
    assert password not in caplog.text and not any(password in line for line in lines)


def test_a_decrypted_private_key_keeps_its_secret_out_of_repr() -> None:
    """Tracebacks, debug dumps and worker logs show reprs: the private fields must not be in it."""
    from tui.core.keys.generate import generate_private_key

    key = generate_private_key("ed25519", None, "me@test")
    shown = repr(key)
    assert "me@test" in shown and "ssh-ed25519" in shown
    assert repr(key.entry.fields) not in shown and key.entry.fields.hex() not in shown


def test_an_unencrypted_key_file_container_keeps_its_private_blob_out_of_repr() -> None:
    from tui.core.keys import openssh_format
    from tui.core.keys.generate import generate_private_key

    key = generate_private_key("ed25519", None, "me@test")
    text = openssh_format.build(key.public_blob, key.entry, None, 16)
    container = openssh_format.parse_container(openssh_format.unarmor(text))
    assert not container.encrypted and container.private_blob
    assert container.private_blob.hex() not in repr(container)
    assert repr(container.private_blob)[2:40] not in repr(container)


def test_a_transcript_never_replaces_a_private_key(ssh_dir: Path) -> None:
    from tests.keyfactory import keygen
    from tui.core.connect.probe import save_transcript
    from tui.core.connect.trace import TranscriptLine
    from tui.core.errors import TargetExists

    key = keygen(ssh_dir / "id_ed25519", "ed25519")
    before = key.read_bytes()
    with pytest.raises(TargetExists, match="private key"):
        save_transcript([TranscriptLine(1, "debug1: hello")], key)
    assert key.read_bytes() == before
    log = ssh_dir / "ssh.host.debug"
    log.write_text("an older transcript\n")
    assert save_transcript([TranscriptLine(1, "debug1: hello")], log) == log
    assert log.read_text() == "debug1: hello\n" and stat.S_IMODE(log.stat().st_mode) == 0o600
