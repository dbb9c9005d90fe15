"""No traceback, ever, and no terminal injection: empty passphrases, odd KDF fields, files that
are not key files, and comments or file names carrying escape sequences."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ssh_keygen
from tests.core.test_fuzz_commands import _odd_kdf, run
from tests.keyfactory import keygen
from tui.core.errors import InvalidArgument
from tui.core.keys.generate import check_comment
from tui.core.keys.public import MAX_FILE_SIZE
from tui.core.validate import comment_problem, key_file_name_problem, validate_key_file_name

Run = Callable[..., subprocess.CompletedProcess[str]]
OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"


def one_sentence(code: int, err: str) -> str:
    assert code == 1, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


# -- empty passphrases: a passphrase of length zero, as ssh-keygen handles it ---------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["pub", "-P", ""],
        ["passwd", "-P", "", "-N", "new"],
        ["comment", "-C", "x", "-P", ""],
    ],
)
def test_empty_passphrase_for_an_encrypted_key_is_a_wrong_passphrase(
    tmp_path: Path, argv: list[str]
) -> None:
    key = keygen(tmp_path / "k", "ed25519", passphrase="secret")
    before = snapshot(tmp_path)
    code, _out, err = run([*argv, "-f", str(key)])
    assert "passphrase is wrong" in one_sentence(code, err)
    assert snapshot(tmp_path) == before
    # the oracle fails the same way
    theirs = ssh_keygen("-y", "-P", "", "-f", str(key))
    assert theirs.returncode != 0 and "incorrect passphrase" in theirs.stderr


@pytest.mark.parametrize(
    ("argv", "stdin"),
    [
        (["pub", "--passphrase-stdin"], b"\n"),
        (["passwd", "--passphrase-stdin", "-N", "new"], b"\n"),
        (["comment", "-C", "x", "--passphrase-stdin"], b"\n"),
    ],
)
def test_empty_line_on_stdin_is_an_empty_passphrase(
    tmp_path: Path, argv: list[str], stdin: bytes
) -> None:
    key = keygen(tmp_path / "k", "ed25519", passphrase="secret")
    before = snapshot(tmp_path)
    code, _out, err = run([*argv, "-f", str(key)], stdin)
    assert "passphrase is wrong" in one_sentence(code, err)
    assert snapshot(tmp_path) == before


def test_agent_add_with_an_empty_passphrase_is_one_sentence(tmp_path: Path, ssh_agent) -> None:  # type: ignore[no-untyped-def]
    key = keygen(tmp_path / "k", "ed25519", passphrase="secret")
    for argv, stdin in ((["-P", ""], b""), (["--passphrase-stdin"], b"\n")):
        code, _out, err = run(["agent", "add", *argv, "-f", str(key)], stdin)
        assert "passphrase is wrong" in one_sentence(code, err)
    assert ssh_agent.fingerprints() == []


def test_empty_passphrase_for_an_unencrypted_key_is_ignored_as_ssh_keygen_does(
    tmp_path: Path,
) -> None:
    key = keygen(tmp_path / "k", "ed25519", passphrase="", comment="plain")
    code, out, err = run(["pub", "-P", "", "-f", str(key)])
    assert code == 0, err
    assert out == ssh_keygen("-y", "-P", "", "-f", str(key)).stdout
    code, _out, err = run(["comment", "-C", "renamed", "-P", "", "-f", str(key)])
    assert code == 0, err
    assert (tmp_path / "k.pub").read_text().strip().endswith(" renamed")


# -- odd KDF fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(("salt", "rounds"), [(b"", 16), (b"0123456789abcdef", 0)])
def test_odd_bcrypt_fields_are_a_clear_error(tmp_path: Path, salt: bytes, rounds: int) -> None:
    key = tmp_path / "k"
    key.write_text(_odd_kdf(salt, rounds))
    key.chmod(0o600)
    before = snapshot(tmp_path)
    for argv in (
        ["pub", "-P", "right"],
        ["passwd", "-P", "right", "-N", "new"],
        ["comment", "-C", "x", "-P", "right"],
    ):
        code, _out, err = run([*argv, "-f", str(key)])
        assert "bcrypt settings are damaged" in one_sentence(code, err)
    assert snapshot(tmp_path) == before
    assert ssh_keygen("-y", "-P", "right", "-f", str(key)).returncode != 0  # the oracle refuses too


# -- files that are not key files: refused without reading them -----------------------------------


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory", "big"])
@pytest.mark.parametrize(
    "argv",
    [
        ["fingerprint"],
        ["pub"],
        ["passwd", "-P", "x", "-N", "y"],
        ["comment", "-C", "c", "-P", "x"],
        ["agent", "add", "-P", "x"],
    ],
)
def test_non_regular_or_huge_files_are_refused_unread(
    run_cli: Run, tmp_path: Path, kind: str, argv: list[str], ssh_agent
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "k"
    if kind == "fifo":
        os.mkfifo(target)  # nobody writes to it: reading it would hang
    elif kind == "dev-zero":
        target = Path("/dev/zero")  # reading it would never end
    elif kind == "directory":
        target.mkdir()
    else:
        with open(target, "wb") as handle:
            handle.truncate(MAX_FILE_SIZE + 1)
    result = run_cli(*argv, "-f", str(target), timeout=30)
    sentence = one_sentence(result.returncode, result.stderr)
    expected = {
        "fifo": "is not a regular file",
        "dev-zero": "is not a regular file",
        "directory": "is a directory",
        "big": f"over the {MAX_FILE_SIZE}-byte limit",
    }[kind]
    assert expected in sentence


# -- untrusted text: visible in text output, exact in JSON ----------------------------------------


def test_hostile_comment_is_escaped_in_every_text_output_and_exact_in_json(
    tmp_path: Path, ssh_agent
) -> None:  # type: ignore[no-untyped-def]
    comment = f"evil{OSC52}\u202e\x9b"
    key = keygen(tmp_path / "k", "ed25519", passphrase="", comment=comment)
    escaped = "evil\\033]52;c;cm0gLXJmIH4=\\007\\342\\200\\256\\302\\233"
    outputs = {}
    for name, argv in {
        "list": ["list", "--dir", str(tmp_path)],
        "pub": ["pub", "-f", str(key)],
        "passwd": ["passwd", "-f", str(key), "-N", ""],
        "agent add": ["agent", "add", "-f", str(key)],
        "agent list": ["agent", "list"],
        "comment": ["comment", "-f", str(key), "-C", "tidy"],
    }.items():
        code, out, err = run(argv)
        assert code == 0, (name, err)
        outputs[name] = out + err
        assert "\x1b" not in out + err and "\x9b" not in out + err and "\u202e" not in out + err
        assert escaped in out + err, (name, out)
    # JSON keeps the exact string
    keygen(tmp_path / "j", "ed25519", passphrase="", comment=comment)
    code, out, _err = run(["list", "--json", "--dir", str(tmp_path)])
    document = json.loads(out)
    assert comment in [k["comment"] for k in document["keys"]]
    code, out, _err = run(["agent", "list", "--json"])
    assert comment in [k["comment"] for k in json.loads(out)["keys"]]


def test_hostile_file_name_is_escaped_in_keygen_output_and_errors(tmp_path: Path) -> None:
    name = tmp_path / f"k{OSC52}"
    code, out, err = run(["keygen", "-f", str(name), "-N", "", "-C", "c"])
    assert code == 0, err
    assert "\x1b" not in out and "k\\033]52" in out
    code, out, err = run(["keygen", "-f", str(name), "-N", "", "-C", "c"])  # exists: refused
    assert "\x1b" not in err and "k\\033]52" in one_sentence(code, err)


def test_fingerprint_escapes_a_non_utf8_comment_byte_as_ssh_keygen(tmp_path: Path) -> None:
    keygen(tmp_path / "k", "ed25519")
    line = (tmp_path / "k.pub").read_bytes().split(b" ")
    pub = tmp_path / "odd.pub"
    pub.write_bytes(line[0] + b" " + line[1] + b" x\x96y\x1b[2J\n")
    code, out, err = run(["fingerprint", "-f", str(pub)])
    assert code == 0, err
    assert "x\\226y\\033[2J" in out
    assert out == ssh_keygen("-l", "-f", str(pub)).stdout


# -- one validation for comments and key file names ----------------------------------------------


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", OSC52, "x\u202ey", "x\x9by", "x\x00y", "z" * 1001])
def test_check_comment_refuses_what_the_wizard_refuses(bad: str) -> None:
    assert comment_problem(bad)
    with pytest.raises(InvalidArgument):
        check_comment(bad)


@pytest.mark.parametrize(
    "good", ["", "me@laptop", "[/]", "[@click=app.quit]", "émile — clé", "a\\b"]
)
def test_check_comment_accepts_plain_text(good: str) -> None:
    assert comment_problem(good) is None
    check_comment(good)


@pytest.mark.parametrize(
    "bad", ["", "a/b", "..", "-x", "k.pub", "known_hosts", "a b", "k\x1b", "k\u202e", "x" * 201]
)
def test_key_file_name_validation(bad: str) -> None:
    assert key_file_name_problem(bad)
    with pytest.raises(InvalidArgument):
        validate_key_file_name(bad)
    assert key_file_name_problem("id_ed25519_work") is None


def test_comment_command_refuses_a_hostile_comment_without_touching_files(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k", "ed25519")
    before = snapshot(tmp_path)
    code, _out, err = run(["comment", "-f", str(key), "-C", OSC52])
    assert "control characters" in one_sentence(code, err)
    assert snapshot(tmp_path) == before


def test_pub_write_onto_a_directory_is_refused(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k", "ed25519")
    (tmp_path / "k.pub").unlink()
    (tmp_path / "k.pub").mkdir()
    code, _out, err = run(["pub", "-f", str(key), "--write", "--force"])
    assert "is a directory" in one_sentence(code, err)
    assert (tmp_path / "k.pub").is_dir()


def test_keygen_refuses_an_empty_file_name_and_a_file_as_directory(
    tmp_path: Path, isolated_home: Path
) -> None:
    code, out, err = run(["keygen", "-f", "", "-N", ""])
    assert "names no file" in one_sentence(code, err)
    assert not (isolated_home / ".ssh").exists()  # not the default key instead
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    code, out, err = run(["keygen", "-f", str(blocker / "k"), "-N", ""])
    assert "is not a directory" in one_sentence(code, err)
    assert "Generating" not in out  # refused before the work


@pytest.mark.parametrize("fmt", ["PEM", "PKCS8"])
def test_empty_passphrase_for_an_encrypted_pem_key_is_a_wrong_passphrase(
    tmp_path: Path, fmt: str
) -> None:
    key = keygen(tmp_path / "k", "ecdsa", 256, passphrase="secret", fmt=fmt)
    before = snapshot(tmp_path)
    for argv in (
        ["pub", "-P", ""],
        ["passwd", "-P", "", "-N", "x"],
        ["comment", "-C", "x", "-P", ""],
    ):
        code, _out, err = run([*argv, "-f", str(key)])
        assert "passphrase is wrong" in one_sentence(code, err)
    assert snapshot(tmp_path) == before
    assert "incorrect passphrase" in ssh_keygen("-y", "-P", "", "-f", str(key)).stderr


def _damage_blob(pub: Path, out: Path, offset_from_end: int) -> Path:
    import base64

    key_type, b64, *rest = pub.read_bytes().split(b" ")
    blob = bytearray(base64.b64decode(b64))
    blob[-offset_from_end] ^= 0x01
    out.write_bytes(key_type + b" " + base64.b64encode(bytes(blob)) + b" damaged\n")
    return out


def test_fingerprint_refuses_an_ec_point_off_its_curve_and_a_forged_certificate(
    tmp_path: Path,
) -> None:
    from tests.keyfactory import sign_certificate

    keygen(tmp_path / "ec", "ecdsa", 256)
    keygen(tmp_path / "ca", "ed25519")
    keygen(tmp_path / "user", "ed25519")
    cert = sign_certificate(tmp_path / "ca", tmp_path / "user.pub")
    damaged = [
        _damage_blob(tmp_path / "ec.pub", tmp_path / "offcurve.pub", 5),  # y changed
        _damage_blob(cert, tmp_path / "forged-cert.pub", 10),  # inside the CA signature
    ]
    for path in damaged:
        theirs = ssh_keygen("-l", "-f", str(path))
        assert theirs.returncode != 0, theirs.stdout
        code, _out, err = run(["fingerprint", "-f", str(path)])
        assert "is not a public key file" in one_sentence(code, err)
    # the undamaged ones still match the oracle
    for path in (tmp_path / "ec.pub", cert):
        code, out, _err = run(["fingerprint", "-f", str(path)])
        assert code == 0 and out == ssh_keygen("-l", "-f", str(path)).stdout
