"""Private keys: formats, encryption, interop with ssh-keygen both ways, safe writing."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ssh_keygen
from tests.keyfactory import keygen
from tui.core.errors import (
    KeyFormatError,
    PassphraseRequired,
    TargetExists,
    WriteError,
    WrongPassphrase,
)
from tui.core.keys.generate import (
    change_comment,
    change_passphrase,
    generate_key_pair,
    generate_private_key,
    write_key_pair,
    write_public_key,
)
from tui.core.keys.private import inspect_private_key, open_private_key_file, read_private_key_text
from tui.core.keys.public import read_public_key_file

PASS = "correct horse battery"


def keygen_y(path: Path, passphrase: str = "") -> str:
    result = ssh_keygen("-y", "-P", passphrase, "-f", str(path))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("key_type", "bits", "fmt", "expected_format"),
    [
        ("ed25519", None, None, "openssh"),
        ("ecdsa", 384, None, "openssh"),
        ("rsa", 1024, None, "openssh"),
        ("rsa", 1024, "PEM", "pkcs1"),
        ("ecdsa", 256, "PEM", "sec1"),
        ("dsa", 1024, "PEM", "pem-dsa"),
        ("rsa", 1024, "PKCS8", "pkcs8"),
        ("ecdsa", 521, "PKCS8", "pkcs8"),
    ],
)
@pytest.mark.parametrize("passphrase", ["", PASS])
def test_we_read_every_key_ssh_keygen_writes(
    tmp_path: Path,
    key_type: str,
    bits: int | None,
    fmt: str | None,
    expected_format: str,
    passphrase: str,
) -> None:
    path = keygen(tmp_path / "k", key_type, bits, passphrase, comment="made by ssh-keygen", fmt=fmt)
    reference = read_public_key_file(path.with_name("k.pub"))
    info = inspect_private_key(read_private_key_text(path))
    assert info.format == expected_format
    assert info.encrypted == bool(passphrase)
    if info.public is not None:
        assert info.public.blob == reference.blob
    if passphrase:
        with pytest.raises(PassphraseRequired):
            open_private_key_file(path, None)
        with pytest.raises(WrongPassphrase):
            open_private_key_file(path, passphrase + "x")
    opened = open_private_key_file(path, passphrase or None)
    assert opened.public.blob == reference.blob
    if expected_format == "openssh":
        assert opened.comment == "made by ssh-keygen"


@pytest.mark.parametrize(
    ("key_type", "bits"), [("ed25519", None), ("ecdsa", 256), ("ecdsa", 521), ("rsa", 2048)]
)
@pytest.mark.parametrize("passphrase", [None, PASS])
def test_ssh_keygen_reads_every_key_we_write(
    tmp_path: Path, key_type: str, bits: int | None, passphrase: str | None
) -> None:
    files = generate_key_pair(tmp_path / "id", key_type, bits, "me@here", passphrase)
    assert keygen_y(files.path, passphrase or "") == files.public.line()
    assert files.public_path.read_text() == files.public.line() + "\n"
    assert files.public.comment == "me@here"
    listed = ssh_keygen("-l", "-f", str(files.public_path)).stdout
    assert listed.startswith(f"{files.public.bits} {files.public.sha256} me@here")
    # the comment lives inside the private key too (ssh-keygen -l on the private file alone)
    files.public_path.unlink()
    if passphrase is None:
        assert "me@here" in ssh_keygen("-l", "-f", str(files.path)).stdout


def test_rounds_and_cipher_are_what_ssh_keygen_uses(tmp_path: Path) -> None:
    files = generate_key_pair(tmp_path / "id", passphrase=PASS, rounds=20)
    info = inspect_private_key(read_private_key_text(files.path))
    assert (info.cipher, info.rounds) == ("aes256-ctr", 20)
    assert keygen_y(files.path, PASS) == files.public.line()


def test_private_key_is_0600_and_public_0644_even_with_a_permissive_umask(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    old = os.umask(0)
    try:
        files = generate_key_pair(keys / "id")
    finally:
        os.umask(old)
    assert stat.S_IMODE(files.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.public_path.stat().st_mode) == 0o644
    assert sorted(p.name for p in keys.iterdir()) == ["id", "id.pub"]  # no temporary left


def test_private_file_is_never_visible_with_looser_mode(tmp_path: Path) -> None:
    """Watch the directory while keys are written: every file that appears is 0600 (or the .pub)."""
    import threading

    keys = tmp_path / "keys"
    keys.mkdir()
    seen: dict[str, int] = {}
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for entry in os.scandir(keys):
                with contextlib.suppress(FileNotFoundError):
                    seen.setdefault(entry.name, stat.S_IMODE(entry.stat().st_mode))

    thread = threading.Thread(target=watch)
    thread.start()
    old = os.umask(0)
    try:
        for i in range(20):
            generate_key_pair(keys / f"k{i}", passphrase=None)
    finally:
        os.umask(old)
        stop.set()
        thread.join()
    private_modes = {
        name: mode
        for name, mode in seen.items()
        if not name.endswith(".pub") and ".pub." not in name
    }
    assert private_modes and set(private_modes.values()) == {0o600}


def test_missing_ssh_dir_is_created_0700(isolated_home: Path) -> None:
    files = generate_key_pair(isolated_home / ".ssh" / "id_ed25519")
    assert stat.S_IMODE((isolated_home / ".ssh").stat().st_mode) == 0o700
    assert files.path.exists()


def test_existing_files_are_never_replaced_without_overwrite(tmp_path: Path) -> None:
    first = generate_key_pair(tmp_path / "id")
    before = (first.path.read_bytes(), first.public_path.read_bytes())
    with pytest.raises(TargetExists):
        generate_key_pair(tmp_path / "id")
    key = generate_private_key("ed25519", None, "x")
    with pytest.raises(TargetExists):
        write_key_pair(key, tmp_path / "id")
    assert (first.path.read_bytes(), first.public_path.read_bytes()) == before
    replaced = write_key_pair(key, tmp_path / "id", overwrite=True)
    assert replaced.path.read_bytes() != before[0]


def test_a_lone_pub_also_blocks_generation(tmp_path: Path) -> None:
    (tmp_path / "id.pub").write_text("keep me\n")
    with pytest.raises(TargetExists):
        generate_key_pair(tmp_path / "id")
    assert not (tmp_path / "id").exists()
    assert (tmp_path / "id.pub").read_text() == "keep me\n"


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A really read-only directory (we run as root, so mode bits alone would not stop us)."""
    target = tmp_path / "ro"
    target.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(target)], check=True)
    try:
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=False)


def test_read_only_directory_is_a_write_error(read_only_dir: Path) -> None:
    with pytest.raises(WriteError) as err:
        generate_key_pair(read_only_dir / "id")
    assert "read-only" in str(err.value) or "permission" in str(err.value)
    assert list(read_only_dir.iterdir()) == []


def test_change_passphrase_add_change_remove_keeps_the_key(tmp_path: Path) -> None:
    files = generate_key_pair(tmp_path / "id", "ecdsa", 256, "keep this comment")
    line = files.public.line()
    change_passphrase(files.path, None, "first pass")
    assert keygen_y(files.path, "first pass") == line
    with pytest.raises(WrongPassphrase):
        change_passphrase(files.path, "not it", "second")
    assert keygen_y(files.path, "first pass") == line  # untouched after the failure
    change_passphrase(files.path, "first pass", "second pass", rounds=8)
    assert keygen_y(files.path, "second pass") == line
    assert ssh_keygen("-y", "-P", "first pass", "-f", str(files.path)).returncode != 0
    change_passphrase(files.path, "second pass", None)
    assert keygen_y(files.path) == line
    assert stat.S_IMODE(files.path.stat().st_mode) == 0o600


def test_change_passphrase_of_a_pem_key_converts_to_openssh(tmp_path: Path) -> None:
    path = keygen(tmp_path / "k", "rsa", 1024, "", fmt="PEM")
    line = " ".join(path.with_name("k.pub").read_text().split()[:2])
    change_passphrase(path, None, PASS)
    assert path.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert keygen_y(path, PASS).startswith(line)


def test_change_comment_updates_private_and_pub(tmp_path: Path) -> None:
    files = generate_key_pair(tmp_path / "id", passphrase=PASS, comment="old")
    change_comment(files.path, "new comment", PASS)
    assert keygen_y(files.path, PASS) == files.public.line(with_comment=False) + " new comment"
    assert files.public_path.read_text().strip().endswith(" new comment")


def test_write_public_key_rederives_a_missing_pub(tmp_path: Path) -> None:
    files = generate_key_pair(tmp_path / "id", comment="c1")
    files.public_path.unlink()
    target = write_public_key(files.path)
    assert target.read_text() == files.public.line() + "\n"
    with pytest.raises(TargetExists):
        write_public_key(files.path)


def test_corrupt_private_keys_are_typed_errors(tmp_path: Path) -> None:
    files = generate_key_pair(tmp_path / "id")
    text = files.path.read_text()
    lines = text.splitlines()
    for damaged in (
        "\n".join(lines[:2]) + "\n",  # truncated, no END
        "\n".join(lines[:2] + lines[-1:]) + "\n",  # truncated body
        text.replace(lines[1], lines[1][:-4] + "!!!!"),
        "junk before\n" + text,
        text + "junk after\n",
    ):
        with pytest.raises(KeyFormatError):
            inspect_private_key(damaged)
