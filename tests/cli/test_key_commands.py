"""The key commands as scripts use them: real processes, exit codes, stdout/stderr, files."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ssh_keygen
from tests.keyfactory import keygen

Run = Callable[..., subprocess.CompletedProcess[str]]
PASS = "s3cret passphrase"


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.name: (p.read_bytes(), p.stat().st_mode)
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


def assert_one_sentence_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.strip().endswith(".")


def test_fingerprint_matches_ssh_keygen_for_encrypted_key_with_pub(
    run_cli: Run, tmp_path: Path
) -> None:
    key = keygen(tmp_path / "k", "ecdsa", 384, PASS, comment="enc")
    for args in (["-f", str(key)], ["-v", "-f", str(key)], ["-v", "-E", "md5", "-f", str(key)]):
        ours = run_cli("fingerprint", *args)
        theirs = ssh_keygen("-l", *args)
        assert ours.returncode == 0 and ours.stdout == theirs.stdout


def test_keygen_prints_what_ssh_keygen_prints_and_writes_a_readable_key(
    run_cli: Run, isolated_home: Path
) -> None:
    result = run_cli("keygen", "-N", PASS, "-C", "me@box")
    assert result.returncode == 0, result.stderr
    path = isolated_home / ".ssh" / "id_ed25519"
    lines = result.stdout.splitlines()
    assert lines[0] == "Generating public/private ed25519 key pair."
    assert lines[1] == f"Your identification has been saved in {path}"
    assert lines[2] == f"Your public key has been saved in {path}.pub"
    assert lines[3] == "The key fingerprint is:"
    expected_fp = ssh_keygen("-l", "-v", "-f", str(path) + ".pub").stdout.splitlines()
    bits, sha, *_ = expected_fp[0].split()
    assert lines[4] == f"{sha} me@box"
    assert lines[5] == "The key's randomart image is:"
    assert lines[6:] == expected_fp[1:]
    assert PASS not in result.stdout + result.stderr
    assert stat.S_IMODE((isolated_home / ".ssh").stat().st_mode) == 0o700
    assert (
        ssh_keygen("-y", "-P", PASS, "-f", str(path)).stdout.strip()
        == (path.with_name("id_ed25519.pub")).read_text().strip()
    )


def test_keygen_json_and_types(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli(
        "keygen",
        "-t",
        "rsa",
        "-b",
        "2048",
        "-f",
        str(tmp_path / "r"),
        "-N",
        "",
        "-C",
        "x",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {
        "path",
        "public_path",
        "type",
        "bits",
        "sha256",
        "comment",
        "encrypted",
        "randomart",
    }
    assert (data["type"], data["bits"], data["encrypted"], data["comment"]) == (
        "ssh-rsa",
        2048,
        False,
        "x",
    )
    assert data["sha256"] == ssh_keygen("-l", "-f", data["public_path"]).stdout.split()[1]
    assert data["randomart"].splitlines()[0] == "+---[RSA 2048]----+"
    ecdsa = run_cli(
        "keygen",
        "-t",
        "ecdsa",
        "-b",
        "521",
        "-f",
        str(tmp_path / "e"),
        "--passphrase-stdin",
        "--json",
        input=PASS + "\n",
    )
    data = json.loads(ecdsa.stdout)
    assert (data["type"], data["bits"], data["encrypted"]) == ("ecdsa-sha2-nistp521", 521, True)
    assert ssh_keygen("-y", "-P", PASS, "-f", str(tmp_path / "e")).returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ["-t", "rsa", "-b", "1024"],
        ["-t", "dsa"],
        ["-t", "nonsense"],
        ["-t", "ecdsa", "-b", "200"],
    ],
)
def test_keygen_refuses_weak_or_unknown_types(
    run_cli: Run, tmp_path: Path, args: list[str]
) -> None:
    result = run_cli("keygen", *args, "-N", "", "-f", str(tmp_path / "k"))
    assert_one_sentence_failure(result)
    assert not (tmp_path / "k").exists()


def test_keygen_refuses_an_existing_target_unless_forced(run_cli: Run, tmp_path: Path) -> None:
    keygen(tmp_path / "k", "ed25519")
    before = snapshot(tmp_path)
    result = run_cli("keygen", "-N", "", "-f", str(tmp_path / "k"))
    assert_one_sentence_failure(result)
    assert snapshot(tmp_path) == before
    forced = run_cli("keygen", "-N", "", "-f", str(tmp_path / "k"), "--force")
    assert forced.returncode == 0 and snapshot(tmp_path) != before


def test_keygen_without_a_terminal_or_passphrase_option_refuses(
    run_cli: Run, tmp_path: Path
) -> None:
    result = run_cli("keygen", "-f", str(tmp_path / "k"))
    assert_one_sentence_failure(result)
    assert not (tmp_path / "k").exists()


def test_empty_passphrase_only_with_explicit_N(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("keygen", "-f", str(tmp_path / "k"), "--passphrase-stdin", input="\n")
    assert_one_sentence_failure(result)
    assert not (tmp_path / "k").exists()


def test_passwd_via_stdin_then_ssh_keygen_reads_with_the_new_one(
    run_cli: Run, tmp_path: Path
) -> None:
    key = keygen(tmp_path / "k", "ed25519", passphrase=PASS, comment="stay")
    result = run_cli(
        "passwd", "-f", str(key), "--passphrase-stdin", input=f"{PASS}\nnew passphrase!\n"
    )
    assert result.returncode == 0, result.stderr
    assert (
        PASS not in result.stdout + result.stderr
        and "new passphrase!" not in result.stdout + result.stderr
    )
    assert (
        ssh_keygen("-y", "-P", "new passphrase!", "-f", str(key)).stdout.strip().endswith(" stay")
    )
    wrong = run_cli("passwd", "-f", str(key), "-P", "wrong one", "-N", "x" * 10)
    assert_one_sentence_failure(wrong)
    assert "wrong one" not in wrong.stderr
    assert ssh_keygen("-y", "-P", "new passphrase!", "-f", str(key)).returncode == 0
    removed = run_cli("passwd", "-f", str(key), "-P", "new passphrase!", "-N", "")
    assert removed.returncode == 0
    assert ssh_keygen("-y", "-P", "", "-f", str(key)).returncode == 0


def test_comment_and_pub(run_cli: Run, tmp_path: Path) -> None:
    key = keygen(tmp_path / "k", "ed25519", passphrase=PASS, comment="old")
    assert run_cli("comment", "-f", str(key), "-C", "brand new", "-P", PASS).returncode == 0
    assert ssh_keygen("-y", "-P", PASS, "-f", str(key)).stdout.strip().endswith(" brand new")
    pub = run_cli("pub", "-f", str(key), "-P", PASS)
    assert pub.stdout == ssh_keygen("-y", "-P", PASS, "-f", str(key)).stdout
    (tmp_path / "k.pub").unlink()
    written = run_cli("pub", "-f", str(key), "-P", PASS, "--write")
    assert written.returncode == 0
    assert (tmp_path / "k.pub").read_text() == pub.stdout
    assert stat.S_IMODE((tmp_path / "k.pub").stat().st_mode) == 0o644
    again = run_cli("pub", "-f", str(key), "-P", PASS, "--write")
    assert_one_sentence_failure(again)


def test_list_json_contract(run_cli: Run, ssh_dir: Path) -> None:
    keygen(ssh_dir / "id_ed25519", "ed25519", passphrase=PASS, comment="laptop")
    keygen(ssh_dir / "id_rsa", "rsa", 1024)
    (ssh_dir / "corrupt").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    result = run_cli("list", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["directory"] == str(ssh_dir)
    ed, rsa = data["keys"]
    assert ed["path"] == str(ssh_dir / "id_ed25519") and ed["public_path"] == str(
        ssh_dir / "id_ed25519.pub"
    )
    assert (ed["type"], ed["bits"], ed["comment"], ed["encrypted"]) == (
        "ssh-ed25519",
        256,
        "laptop",
        True,
    )
    assert ed["sha256"] == ssh_keygen("-l", "-f", ed["public_path"]).stdout.split()[1]
    assert ed["md5"] == ssh_keygen("-l", "-E", "md5", "-f", ed["public_path"]).stdout.split()[1]
    assert {p["code"] for p in rsa["problems"]} == {"weak-key", "unencrypted-private-key"}
    for problem in rsa["problems"]:
        assert set(problem) == {"code", "severity", "message", "fix"}
    assert [s["path"] for s in data["skipped"]] == [str(ssh_dir / "corrupt")]
    table = run_cli("list", "--dir", str(ssh_dir))
    assert "id_ed25519" in table.stdout and ed["sha256"] in table.stdout


BAD_INPUTS: dict[str, Callable[[Path], Path]] = {
    "missing": lambda d: d / "missing",
    "directory": lambda d: d,
    "empty": lambda d: _write(d / "empty", ""),
    "text": lambda d: _write(d / "notes.txt", "just some notes\nnothing else\n"),
    "binary": lambda d: _write_bytes(d / "blob", os.urandom(64)),
    "truncated": lambda d: _write(d / "trunc", keygen(d / "src", "ed25519").read_text()[:150]),
    "junk-around": lambda d: _write(
        d / "junk", "Here is my key:\n" + keygen(d / "src2", "ed25519").read_text()
    ),
    "junk-inside": lambda d: _write(
        d / "junkpub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI!!junk!! x\n"
    ),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize("command", ["fingerprint", "pub", "passwd", "comment"])
def test_bad_input_is_one_sentence_and_touches_nothing(
    run_cli: Run, tmp_path: Path, case: str, command: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    target = BAD_INPUTS[case](work)
    before = snapshot(work)
    extra = {
        "passwd": ["-P", "x", "-N", "newpass"],
        "comment": ["-C", "c", "-P", "x"],
        "pub": [],
        "fingerprint": [],
    }
    result = run_cli(command, "-f", str(target), *extra[command])
    assert_one_sentence_failure(result)
    assert snapshot(work) == before


def test_wrong_passphrase_is_one_sentence_and_touches_nothing(run_cli: Run, tmp_path: Path) -> None:
    key = keygen(tmp_path / "k", "ed25519", passphrase=PASS)
    before = snapshot(tmp_path)
    for args in (
        ["pub", "-P", "nope"],
        ["passwd", "-P", "nope", "-N", "other"],
        ["comment", "-C", "x", "-P", "nope"],
    ):
        result = run_cli(args[0], "-f", str(key), *args[1:])
        assert_one_sentence_failure(result)
        assert "nope" not in result.stderr
    assert snapshot(tmp_path) == before


def test_read_only_directory(run_cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "ro"
    target.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(target)], check=True)
    try:
        result = run_cli("keygen", "-N", "", "-f", str(target / "id"))
        assert_one_sentence_failure(result)
        assert list(target.iterdir()) == []
    finally:
        subprocess.run(["umount", str(target)], check=False)


def test_usage_errors_exit_2(run_cli: Run) -> None:
    assert run_cli("fingerprint").returncode == 2
    assert run_cli("keygen", "--bogus").returncode == 2
    assert run_cli("fingerprint", "-E", "sha1", "-f", "x").returncode == 2
