"""Gaps an independent acceptance pass found in the key commands, each pinned by a test.

- `list --dir` naming a directory that does not exist failed silently (exit 0, empty list):
  a typo must not look like "no keys". The default ~/.ssh may still be missing (exit 0).
- `passwd` on a terminal asked for the new passphrase before checking the old one; ssh-keygen
  -p stops at a wrong old passphrase, and a script driving the prompts waits for that.
- `keygen` into a read-only directory printed "Generating ..." on stdout before failing; it now
  fails before any output, with one sentence on stderr.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.cli.test_key_commands_contract import (
    files_state,
    one_sentence_failure,
    read_only_keys,
    run_on_tty,
)
from tests.conftest import ssh_keygen
from tests.keyfactory import keygen

Run = Callable[..., subprocess.CompletedProcess[str]]
__all__ = ["read_only_keys"]  # the fixture, re-used from the contract tests


def test_list_of_a_named_missing_directory_fails_and_creates_nothing(
    run_cli: Run, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-dir"
    for args in (["list", "--dir", str(missing)], ["list", "--json", "--dir", str(missing)]):
        result = run_cli(*args)
        one_sentence_failure(result)
        assert result.stdout == ""
        assert "does not exist" in result.stderr
    assert not missing.exists()
    assert run_cli("list", "--json").returncode == 0  # a fresh HOME without ~/.ssh is fine


def test_passwd_on_a_terminal_stops_at_a_wrong_old_passphrase(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k", "ed25519", passphrase="right one")
    before = files_state(tmp_path)
    code, screen = run_on_tty(["passwd", "-f", str(key)], ["canary wrong", "x" * 8, "x" * 8])
    assert code == 1, screen
    assert "new passphrase" not in screen  # never asked: the old one was checked first
    assert "canary" not in screen
    assert files_state(tmp_path) == before
    assert ssh_keygen("-y", "-P", "right one", "-f", str(key)).returncode == 0


def test_keygen_into_a_read_only_directory_prints_nothing_on_stdout(
    run_cli: Run, read_only_keys: Path
) -> None:
    before = files_state(read_only_keys)
    for target in (read_only_keys / "fresh", read_only_keys / "sub" / "fresh"):
        result = run_cli("keygen", "-N", "", "-f", str(target))
        one_sentence_failure(result)
        assert result.stdout == ""
        assert "read-only" in result.stderr
    assert files_state(read_only_keys) == before


def test_a_non_private_file_given_to_a_private_key_command_is_named(
    run_cli: Run, tmp_path: Path
) -> None:
    key = keygen(tmp_path / "k", "ed25519")
    notes = tmp_path / "notes.txt"
    notes.write_text("Here is my key:\n" + key.read_text())
    before = files_state(tmp_path)
    for target in (tmp_path / "k.pub", notes):
        for args in (["pub"], ["passwd", "-N", "x" * 8], ["comment", "-C", "c"]):
            result = run_cli(args[0], "-f", str(target), *args[1:])
            one_sentence_failure(result)
            assert str(target) in result.stderr and "give the private key" in result.stderr
    assert files_state(tmp_path) == before


def test_top_level_dir_before_the_command_is_the_command_dir(run_cli: Run, tmp_path: Path) -> None:
    """`sshdeck --dir D list` lists D, as `sshdeck list --dir D` does (not ~/.ssh)."""
    keys = tmp_path / "keys"
    keys.mkdir()
    keygen(keys / "work", "ed25519")
    import json

    before = json.loads(run_cli("--dir", str(keys), "list", "--json").stdout)
    after = json.loads(run_cli("list", "--dir", str(keys), "--json").stdout)
    assert [k["path"] for k in before["keys"]] == [str(keys / "work")]
    assert before == after
