"""Every cipher ssh-keygen -Z can encrypt a key with is read, listed and rewritten."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ssh_keygen
from tui.core.errors import WrongPassphrase
from tui.core.keys.generate import change_passphrase
from tui.core.keys.private import inspect_private_key, open_private_key_file, read_private_key_text
from tui.core.keys.scan import scan_directory

CIPHERS = [
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-cbc",
    "aes192-cbc",
    "aes256-cbc",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
    "3des-cbc",
]
PASS = "cipher pass"


@pytest.mark.parametrize("cipher", CIPHERS)
def test_keys_encrypted_with_any_cipher_open_and_rewrite(tmp_path: Path, cipher: str) -> None:
    path = tmp_path / "k"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-a", "2", "-Z", cipher, "-N", PASS]
        + ["-C", "ciphered", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    info = inspect_private_key(read_private_key_text(path))
    assert (info.encrypted, info.cipher) == (True, cipher)
    [entry] = scan_directory(tmp_path).keys  # listed without the passphrase
    assert entry.encrypted and entry.public.sha256 == info.public.sha256  # type: ignore[union-attr]
    with pytest.raises(WrongPassphrase):
        open_private_key_file(path, "not it")
    assert open_private_key_file(path, PASS).comment == "ciphered"
    change_passphrase(path, PASS, "second pass", rounds=2)
    reread = ssh_keygen("-y", "-P", "second pass", "-f", str(path))
    assert reread.returncode == 0 and reread.stdout.endswith(" ciphered\n")
