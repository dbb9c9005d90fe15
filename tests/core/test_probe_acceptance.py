"""Unit checks behind the tester's acceptance fixes (no sshd needed)."""

from __future__ import annotations

from pathlib import Path

from tui.core.connect import known_hosts as kh
from tui.core.connect.openssh_call import rehomed_config
from tui.core.keys.public import parse_public_key

HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBOtIm0DXORuizGMSbAVmmpnn/NgNX/s+eA6mYsXcjdg"


def test_rehomed_config_spells_home_where_ssh_would_use_the_passwd_home(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        'Host a\n  IdentityFile %d/k\n  IdentityFile "~/x y"\n  Include conf.d/*\n'
        "  ControlPath %%d-~/s\n  User ~bob\n  UserKnownHostsFile=~/kh\n"
    )
    text = rehomed_config(config, Path("/H"))
    assert text is not None
    lines = text.splitlines()
    assert lines[:7] == [
        "Host a",
        "  IdentityFile /H/k",
        '  IdentityFile "/H/x y"',
        "  Include /H/.ssh/conf.d/*",
        "  ControlPath %%d-~/s",  # %%d is a literal, and ~ mid-word is not expanded by ssh
        "  User ~bob",  # not a path option
        "  UserKnownHostsFile=/H/kh",
    ]
    # last, as a default: reaches the ssh that ProxyJump starts
    assert lines[-2:] == [
        "Host *",
        '  UserKnownHostsFile "/H/.ssh/known_hosts" "/H/.ssh/known_hosts2"',
    ]
    assert rehomed_config(tmp_path / "missing", Path("/H")) is None


def test_hashed_append_is_found_by_name(tmp_path: Path) -> None:
    key = parse_public_key(HOST_KEY)
    path = tmp_path / "known_hosts"
    assert kh.append(path, "127.0.0.1", 2222, key, hashed=True) == 1
    line = path.read_text()
    assert line.startswith("|1|") and "127.0.0.1" not in line
    found = kh.check((path,), "127.0.0.1", 2222, key)
    assert found.status == "known"
    assert kh.check((path,), "127.0.0.1", 22, key).status == "unknown"
