"""The key commands against the issue's contract, as an outside tester would try them.

Terminals are real pseudo-terminals, read-only directories are real read-only mounts, fixes are
run as the shell commands the JSON names, and ssh-keygen judges the results.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ssh_keygen
from tests.keyfactory import keygen
from tests.waiting import wait_for_newer_mtime

Run = Callable[..., subprocess.CompletedProcess[str]]
REPO = Path(__file__).resolve().parents[2]
PASS = "tty passphrase"


def files_state(directory: Path) -> dict[str, tuple[bytes, int, int]]:
    """Bytes, mode and mtime of every file: "untouched" means all three are the same."""
    return {
        p.name: (p.read_bytes(), p.stat().st_mode, p.stat().st_mtime_ns)
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


def one_sentence_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def run_on_tty(args: list[str], answers: list[str], cwd: Path | None = None) -> tuple[int, str]:
    """Run ``sshdeck ARGS`` on a pseudo-terminal, typing one answer per prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(cwd or REPO)
        os.execv(sys.executable, [sys.executable, "-m", "tui", *args])
    out = b""
    typed = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        # Type only once the next prompt is there: getpass flushes input typed ahead of it.
        if typed < len(answers) and out.count(b": ") > typed and out.endswith(b": "):
            os.write(fd, answers[typed].encode() + b"\r")
            typed += 1
    done, status = os.waitpid(pid, os.WNOHANG)
    if not done:  # still waiting for something: stop it rather than hang the suite
        os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_keygen_on_a_terminal_asks_twice_without_echo(tmp_path: Path) -> None:
    code, screen = run_on_tty(["keygen", "-f", str(tmp_path / "k"), "-C", "tty"], [PASS, PASS])
    assert code == 0, screen
    assert screen.count("passphrase") == 2 and "again" in screen  # two prompts
    assert PASS not in screen  # no echo
    assert ssh_keygen("-y", "-P", PASS, "-f", str(tmp_path / "k")).stdout.endswith(" tty\n")


@pytest.mark.parametrize("answers", [["one", "two"], ["", ""]])
def test_keygen_on_a_terminal_refuses_mismatch_and_empty(
    tmp_path: Path, answers: list[str]
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    code, screen = run_on_tty(["keygen", "-f", str(work / "k")], answers)
    assert code == 1, screen
    assert "empty for no passphrase" not in screen  # empty needs -N ''
    assert list(work.iterdir()) == []


def test_passwd_on_a_terminal_asks_old_then_new_twice(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k", "ed25519", passphrase="old phrase", comment="kept")
    code, screen = run_on_tty(["passwd", "-f", str(key)], ["old phrase", PASS, PASS])
    assert code == 0, screen
    assert "old phrase" not in screen and PASS not in screen
    assert ssh_keygen("-y", "-P", PASS, "-f", str(key)).stdout.endswith(" kept\n")


def test_keygen_prints_the_path_as_typed_like_ssh_keygen(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    ours = subprocess.run(
        [sys.executable, "-m", "tui", "keygen", "-N", "", "-f", "./mine", "-C", "c"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    theirs = subprocess.run(
        ["ssh-keygen", "-t", "ed25519", "-N", "", "-f", "./theirs", "-C", "c"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert ours.returncode == 0, ours.stderr
    mine = ours.stdout.splitlines()
    expected = theirs.stdout.replace("./theirs", "./mine").splitlines()
    assert mine[:4] == expected[:4]
    assert mine[5] == expected[5] and len(mine) == len(expected)


def test_keygen_into_a_directory_or_as_dsa_is_one_sentence(run_cli: Run, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    for args in (["-f", str(work)], ["-t", "dsa", "-f", str(work / "d")]):
        result = run_cli("keygen", "-N", "", *args)
        one_sentence_failure(result)
    assert "is a directory" in run_cli("keygen", "-N", "", "-f", str(work)).stderr
    assert list(work.iterdir()) == []


@pytest.fixture
def read_only_keys(tmp_path: Path) -> Iterator[Path]:
    """Keys on a tmpfs remounted read-only: writes fail even for root."""
    target = tmp_path / "ro"
    target.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(target)], check=True)
    try:
        keygen(target / "enc", "ed25519", passphrase="pass phrase")
        keygen(target / "plain", "ed25519")
        (target / "plain.pub").unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(target)], check=True)
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=False)


def test_rewrites_in_a_read_only_directory_fail_cleanly(run_cli: Run, read_only_keys: Path) -> None:
    before = files_state(read_only_keys)
    enc, plain = str(read_only_keys / "enc"), str(read_only_keys / "plain")
    for args in (
        ["passwd", "-f", enc, "-P", "pass phrase", "-N", "another one"],
        ["comment", "-f", enc, "-P", "pass phrase", "-C", "new"],
        ["passwd", "-f", plain, "-N", "a new one"],
        ["pub", "-f", plain, "--write"],
        ["keygen", "-N", "", "-f", str(read_only_keys / "fresh")],
        ["keygen", "-N", "", "-f", plain, "--force"],
    ):
        one_sentence_failure(run_cli(*args))
    assert files_state(read_only_keys) == before


def test_wrong_passphrase_leaves_bytes_mode_and_mtime(run_cli: Run, tmp_path: Path) -> None:
    key = keygen(tmp_path / "k", "ecdsa", 256, passphrase="right one")
    before = files_state(tmp_path)
    wait_for_newer_mtime(tmp_path)
    for args in (["passwd", "-P", "wrong", "-N", "x" * 8], ["comment", "-P", "wrong", "-C", "x"]):
        one_sentence_failure(run_cli(args[0], "-f", str(key), *args[1:]))
    one_sentence_failure(
        run_cli("passwd", "-f", str(key), "--passphrase-stdin", input="wrong\nnew one\n")
    )
    assert files_state(tmp_path) == before


def test_passwd_stdin_for_an_unencrypted_key(run_cli: Run, tmp_path: Path) -> None:
    """stdin carries the new passphrase alone, or an empty current line and then it."""
    for name, text in (("a", "first\n"), ("b", "\nsecond\n")):
        key = keygen(tmp_path / name, "ed25519", comment=name)
        result = run_cli("passwd", "-f", str(key), "--passphrase-stdin", input=text)
        assert result.returncode == 0, result.stderr
        new = text.strip()
        assert ssh_keygen("-y", "-P", new, "-f", str(key)).stdout.endswith(f" {name}\n")


def test_comment_and_pub_of_an_unencrypted_key_need_no_stdin_line(
    run_cli: Run, tmp_path: Path
) -> None:
    key = keygen(tmp_path / "k", "ed25519", comment="before")
    result = run_cli("comment", "-f", str(key), "-C", "after", "--passphrase-stdin", input="")
    assert result.returncode == 0, result.stderr
    pub = run_cli("pub", "-f", str(key), "--passphrase-stdin", input="")
    assert pub.stdout == ssh_keygen("-y", "-f", str(key)).stdout
    assert pub.stdout.endswith(" after\n")


def test_list_without_ssh_dir_is_empty_and_list_of_a_file_fails(
    run_cli: Run, isolated_home: Path, tmp_path: Path
) -> None:
    result = run_cli("list", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "directory": str(isolated_home / ".ssh"),
        "keys": [],
        "skipped": [],
    }
    assert run_cli("list").returncode == 0
    one_sentence_failure(run_cli("list", "--dir", str(keygen(tmp_path / "k", "ed25519"))))


def _problems(run_cli: Run, directory: Path) -> dict[str, set[str]]:
    data = json.loads(run_cli("list", "--json", "--dir", str(directory)).stdout)
    return {
        Path(k["path"] or k["public_path"]).name: {p["code"] for p in k["problems"]}
        for k in data["keys"]
    }


def test_each_fix_command_fixes_its_problem(run_cli: Run, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    keygen(keys / "open", "ed25519")
    os.chmod(keys / "open", 0o640)
    keygen(keys / "nopub", "ed25519", passphrase="pass phrase")
    (keys / "nopub.pub").unlink()
    keygen(keys / "mismatch", "ed25519")
    keygen(keys / "other", "ed25519")
    shutil.copy(keys / "other.pub", keys / "mismatch.pub")
    shutil.copy(keys / "other.pub", keys / "lone.pub")
    keygen(keys / "work", "rsa", 1024)
    keygen(keys / "badpub", "ed25519")
    (keys / "badpub.pub").write_text("ssh-ed25519 AAAA-damaged\n")
    os.chmod(keys, 0o777)
    found = _problems(run_cli, keys)
    assert "unprotected-private-key" in found["open"]
    assert "missing-public-key" in found["nopub"]
    assert "missing-public-key" in found["badpub"]
    assert "public-private-mismatch" in found["mismatch"]
    assert all("ssh-dir-permissions" in codes for codes in found.values())  # lone .pub too
    data = json.loads(run_cli("list", "--json", "--dir", str(keys)).stdout)
    [weak] = [
        p["fix"] for k in data["keys"] for p in k["problems"] if p["code"] == "weak-key"
    ]  # a successor key next to the weak one (interactive: it asks for a passphrase)
    assert weak == f"sshdeck keygen -t ed25519 -f {keys / 'work_ed25519'}"
    wanted = {"unprotected-private-key", "missing-public-key", "public-private-mismatch"}
    wanted.add("ssh-dir-permissions")
    commands = {p["fix"] for k in data["keys"] for p in k["problems"] if p["code"] in wanted}
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    if not (bin_dir / "sshdeck").exists():
        pytest.skip("the sshdeck script is not installed in this environment")
    for command in sorted(commands):
        done = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True)
        assert done.returncode == 0, (command, done.stderr)
    after = _problems(run_cli, keys)
    assert not any(codes & wanted for codes in after.values()), after
    assert (
        ssh_keygen("-l", "-f", str(keys / "mismatch.pub")).stdout.split()[1]
        == ssh_keygen("-l", "-f", str(keys / "mismatch")).stdout.split()[1]
    )


def test_a_comment_with_a_line_break_is_refused(run_cli: Run, tmp_path: Path) -> None:
    one_sentence_failure(run_cli("keygen", "-N", "", "-C", "two\nlines", "-f", str(tmp_path / "k")))
    assert not (tmp_path / "k").exists()
    key = keygen(tmp_path / "k", "ed25519", comment="one")
    before = files_state(tmp_path)
    one_sentence_failure(run_cli("comment", "-f", str(key), "-C", "two\nlines"))
    assert files_state(tmp_path) == before


def test_rewrites_go_through_a_symlink_like_ssh_keygen(run_cli: Run, tmp_path: Path) -> None:
    store = tmp_path / "dotfiles"
    store.mkdir()
    keygen(store / "id", "ed25519", comment="linked")
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "id").symlink_to(store / "id")
    (keys / "id.pub").symlink_to(store / "id.pub")
    assert run_cli("passwd", "-f", str(keys / "id"), "-N", "via link").returncode == 0
    assert run_cli("comment", "-f", str(keys / "id"), "-P", "via link", "-C", "c2").returncode == 0
    assert (keys / "id").is_symlink() and (keys / "id.pub").is_symlink()
    assert ssh_keygen("-y", "-P", "via link", "-f", str(store / "id")).stdout.endswith(" c2\n")
    assert (store / "id.pub").read_text().endswith(" c2\n")
    assert sorted(p.name for p in keys.iterdir()) == ["id", "id.pub"]  # no stray temp files


@pytest.mark.parametrize(("kind", "fmt"), [("rsa", "PEM"), ("ecdsa", "PKCS8"), ("ed25519", None)])
@pytest.mark.parametrize("passphrase", ["", "pem pass phrase"])
def test_pub_prints_what_ssh_keygen_y_prints(
    run_cli: Run, tmp_path: Path, kind: str, fmt: str | None, passphrase: str
) -> None:
    key = keygen(tmp_path / "k", kind, 1024 if kind == "rsa" else None, passphrase, "c", fmt)
    ours = run_cli("pub", "-f", str(key), "-P", passphrase)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == ssh_keygen("-y", "-P", passphrase, "-f", str(key)).stdout


def test_passwd_and_comment_print_what_ssh_keygen_prints(run_cli: Run, tmp_path: Path) -> None:
    ours = keygen(tmp_path / "ours", "ed25519", passphrase="first pass", comment="old")
    theirs = keygen(tmp_path / "theirs", "ed25519", passphrase="first pass", comment="old")
    for args in (
        ["-c", "-C", "new one", "-P", "first pass"],
        ["-p", "-P", "first pass", "-N", "second pass"],
        ["-p", "-P", "second pass", "-N", ""],
    ):
        command = {"-c": ["comment", "-C", args[2], "-P", args[4]], "-p": ["passwd", *args[1:]]}
        mine = run_cli(*command[args[0]], "-f", str(ours))
        expected = ssh_keygen(*args, "-f", str(theirs))
        assert (mine.returncode, mine.stdout) == (expected.returncode, expected.stdout)
