"""ssh-keygen -l's quirks, reproduced: each case runs the real ssh-keygen on the same file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.keyfactory import keygen, sign_certificate, sk_public_lines
from tui.core.errors import SshDeckError
from tui.core.keys.keygen_listing import fingerprint_report

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """``type base64`` of a few keys (no comment), as bytes."""
    d = tmp_path_factory.mktemp("listing")
    out = {}
    for name, kind, bits in (("ed", "ed25519", None), ("rsa", "rsa", 1024), ("ec", "ecdsa", 384)):
        pub = keygen(d / name, kind, bits).with_name(name + ".pub")
        out[name] = b" ".join(pub.read_bytes().split()[:2])
    out["sk"] = " ".join(sk_public_lines()["sk-ed25519"].split()[:2]).encode()
    cert = sign_certificate(keygen(d / "ca", "ed25519"), d / "ed.pub")
    out["cert"] = b" ".join(cert.read_bytes().split()[:2])
    return out


def _ours(path: Path | str, *flags: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-m", "tui", "fingerprint", *flags, "-f", str(path)],
        capture_output=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    return result.returncode, result.stdout.decode("utf-8", "surrogateescape")


def _theirs(path: Path | str, *flags: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = subprocess.run(
        ["ssh-keygen", "-l", *flags, "-f", str(path)],
        capture_output=True,
        env=env,
        timeout=60,
    )
    # bytes, not text=True: universal newlines would turn a comment's \r into \n
    return result.returncode, result.stdout.decode("utf-8", "surrogateescape")


def _same_as_ssh_keygen(path: Path) -> None:
    code, expected = _theirs(path)
    assert code == 0, "the case must be one ssh-keygen accepts"
    assert "\n".join(fingerprint_report(str(path))) + "\n" == expected


def test_pub_without_comment_shows_the_pub_path(tmp_path: Path, lines: dict[str, bytes]) -> None:
    key = keygen(tmp_path / "k", "ed25519", comment="inside")
    (tmp_path / "k.pub").write_bytes(lines["ed"] + b"\n")  # e.g. written by ssh-keygen -y
    _same_as_ssh_keygen(key)
    assert fingerprint_report(str(key))[0].split()[2] == f"{key}.pub"
    encrypted = keygen(tmp_path / "e", "ed25519", passphrase="secret phrase")
    (tmp_path / "e.pub").write_bytes(b"\n# comment\n" + lines["rsa"] + b"\r\n")
    _same_as_ssh_keygen(encrypted)


def test_relative_path_is_shown_as_typed(tmp_path: Path, lines: dict[str, bytes]) -> None:
    keygen(tmp_path / "k", "ed25519")
    (tmp_path / "k.pub").write_bytes(lines["ed"] + b"\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    ours = subprocess.run(
        [sys.executable, "-m", "tui", "fingerprint", "-f", "./k"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    theirs = subprocess.run(
        ["ssh-keygen", "-l", "-f", "./k"], capture_output=True, text=True, cwd=tmp_path
    )
    assert ours.stdout == theirs.stdout and "./k.pub" in ours.stdout


@pytest.mark.parametrize(
    "layout",
    [
        [b"{ed} first", b"{ed}"],  # stale pointer past the end: an empty comment
        [b"{rsa} first", b"{ed}"],  # stale pointer into the longer line's leftovers
        [b'from="10.0.0.1",no-pty {ed} c', b"junk", b"{ed}"],  # "junk" becomes the comment
        [b'command="echo \\"hi there\\"" {sk}', b"{ed}", b"{ed}  # not a comment"],
        [b"{rsa}\t\tc\r", b"  \t{ec} x", b"host1,host2 {ed}"],
        [b"12 {ed} numbered", b"0 {ed} zero", b'x"y z" {ed} quoted'],
        [b'from="x"  {ed} two spaces after options', b"{ed} ok"],
        [b"rsa-sha2-512 {rsa_blob} signature name", b"\n", b"# {ed}"],
    ],
)
def test_multi_line_files_match_ssh_keygen(  # longest line first: see the hypothesis test
    tmp_path: Path, lines: dict[str, bytes], layout: list[bytes]
) -> None:
    path = _layout_file(tmp_path, lines, layout)
    _same_as_ssh_keygen(path)
    for flags in (("-v",), ("-v", "-E", "md5")):
        assert _ours(path, *flags) == _theirs(path, *flags)


def _layout_file(tmp_path: Path, lines: dict[str, bytes], layout: list[bytes]) -> Path:
    values = dict(lines, rsa_blob=lines["rsa"].split()[1])
    path = tmp_path / "authorized_keys"
    body = b"\n".join(layout)
    for name, value in values.items():
        body = body.replace(b"{" + name.encode() + b"}", value)
    path.write_bytes(body + b"\n")
    return path


@pytest.mark.parametrize(
    "layout",
    [[b"{ed} alice", b"{rsa}"], [b"{sk} x", b"{cert}"], [b"{ed} alice", b"{rsa} x", b"{cert}"]],
)
def test_stale_comment_after_the_buffer_moved(
    tmp_path: Path, lines: dict[str, bytes], layout: list[bytes]
) -> None:
    """A longer line moves ssh-keygen's buffer and the stale comment reads freed memory: with the
    default hash the first 120-byte block is reused at once (empty comment), a larger freed block
    keeps the old comment. Heap behaviour of this OpenSSH/glibc, measured; -E md5 differs."""
    _same_as_ssh_keygen(_layout_file(tmp_path, lines, layout))


@pytest.mark.parametrize("locale", ["C", "C.UTF-8"])
def test_comment_bytes_are_escaped_as_ssh_keygen_does(
    tmp_path: Path, lines: dict[str, bytes], locale: str
) -> None:
    path = tmp_path / "k.pub"
    path.write_bytes(lines["ed"] + b" caf\xc3\xa9 \xff\x01tab\there\n")
    env = dict(os.environ, LC_ALL=locale, PYTHONPATH=str(REPO))
    assert _ours(path, env=env) == _theirs(path, env=env)


def test_rsa_outside_openssh_limits_is_not_a_key(tmp_path: Path) -> None:
    import base64

    from tui.core.keys import wire

    blob = wire.string("ssh-rsa") + wire.mpint(65537) + wire.mpint((1 << 767) | 1)
    path = tmp_path / "small.pub"
    path.write_text(f"ssh-rsa {base64.b64encode(blob).decode()} small\n")
    assert _theirs(path)[0] != 0
    with pytest.raises(SshDeckError):
        fingerprint_report(str(path))


LINE_PARTS = st.tuples(
    st.sampled_from(["", " ", "\t"]),
    st.sampled_from(["", 'from="1.2.3.4" ', "host,other\t", '"a b" ', "7 ", "@revoked * "]),
    st.sampled_from(["ed", "rsa", "ec", "sk", "junk", "# x", ""]),
    st.sampled_from(["", " c", "\tc d", "  # h", " c\r", " é", " \x7f"]),
)


@pytest.fixture
def utf8_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same UTF-8 locale for us (in this process) and for ssh-keygen, whatever the CI sets."""
    monkeypatch.setenv("LC_ALL", "C.UTF-8")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(LINE_PARTS, min_size=1, max_size=6))
def test_random_authorized_keys_files_match_ssh_keygen(
    tmp_path_factory: pytest.TempPathFactory,
    lines: dict[str, bytes],
    utf8_everywhere: None,
    parts: list[tuple],
) -> None:
    rendered = []
    for lead, prefix, what, tail in parts:
        body = lines.get(what, what.encode())
        rendered.append(lead.encode() + prefix.encode() + body + tail.encode())
    # The longest line first: then ssh-keygen's line buffer never moves, and a stale comment
    # pointer stays defined behaviour (after a move it reads freed memory).
    rendered.sort(key=len, reverse=True)
    path = tmp_path_factory.mktemp("hyp") / "keys"
    path.write_bytes(b"\n".join(rendered) + b"\n")
    code, expected = _theirs(path)
    try:
        ours = "\n".join(fingerprint_report(str(path))) + "\n"
    except SshDeckError:
        assert code != 0
    else:
        assert (code, ours) == (0, expected)


def _variant(source: Path, target: Path, change: str) -> Path:
    text = source.read_bytes()
    if change == "mode-0644":  # ssh-keygen will not load it, so it cannot know the comment
        target.write_bytes(text)
        target.chmod(0o644)
        return target
    if change == "junk-after":
        text += b"these words follow the key\n"
    elif change == "indented":
        text = b"".join(b"  " + line for line in text.splitlines(keepends=True))
    elif change == "crlf":
        text = text.replace(b"\n", b"\r\n")
    target.write_bytes(text)
    target.chmod(0o600)
    return target


@pytest.mark.parametrize("change", ["mode-0644", "junk-after", "indented", "crlf"])
@pytest.mark.parametrize("fmt", [None, "PEM"])
def test_private_key_files_are_read_as_ssh_keygen_reads_them(
    tmp_path: Path, change: str, fmt: str | None
) -> None:
    source = keygen(tmp_path / "src", "rsa" if fmt else "ed25519", 1024 if fmt else None, fmt=fmt)
    path = _variant(source, tmp_path / "key", change)
    code, expected = _theirs(path)
    try:
        ours = "\n".join(fingerprint_report(str(path))) + "\n"
    except SshDeckError:
        assert code != 0
    else:
        assert (code, ours) == (0, expected)


@pytest.mark.parametrize("name", ["sk-ed25519", "sk-ecdsa"])
def test_hand_built_security_key_private_files(tmp_path: Path, name: str) -> None:
    """A security-key private file (key handle instead of a secret) built by hand: ssh-keygen
    reads what we write, fingerprints agree, and a passphrase change keeps every field."""
    import base64

    from tui.core.keys import openssh_format, wire
    from tui.core.keys.generate import change_passphrase

    blob = base64.b64decode(sk_public_lines()[name].split()[1])
    reader = wire.WireReader(blob)
    key_type = reader.text()
    public_fields = reader.rest()  # [curve, point | pk], application
    handle = bytes([1]) + wire.string(b"key handle") + wire.string(b"")
    entry = openssh_format.PrivateEntry(key_type, public_fields + handle, "yubi@desk")
    path = tmp_path / "id_sk"
    path.write_text(openssh_format.build(blob, entry, None))
    path.chmod(0o600)
    for flags in ((), ("-v",), ("-E", "md5")):
        assert _ours(path, *flags) == _theirs(path, *flags)
    change_passphrase(path, None, "sk pass", rounds=2)
    line = subprocess.run(
        ["ssh-keygen", "-y", "-P", "sk pass", "-f", str(path)], capture_output=True, text=True
    ).stdout
    assert line == f"{key_type} {base64.b64encode(blob).decode()} yubi@desk\n"


@pytest.mark.parametrize(("kind", "fmt"), [("ed25519", None), ("ecdsa", "PEM"), ("rsa", "PKCS8")])
def test_encrypted_private_key_without_pub(tmp_path: Path, kind: str, fmt: str | None) -> None:
    """OpenSSH format: fingerprint of the clear public half, "no comment"; PEM: both refuse."""
    key = keygen(tmp_path / "k", kind, 1024 if kind == "rsa" else None, "pass phrase", "c", fmt)
    key.with_name("k.pub").unlink()
    code, expected = _theirs(key)
    ours_code, ours = _ours(key)
    assert (ours_code == 0, ours) == (code == 0, expected)
    if fmt is None:
        assert ours.endswith(" no comment (ED25519)\n")


def test_standard_input_as_ssh_keygen_reads_it(tmp_path: Path, lines: dict[str, bytes]) -> None:
    body = lines["ed"] + b" from stdin\n" + b'from="1.2.3.4" ' + lines["rsa"] + b"\n"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    ours = subprocess.run(
        [sys.executable, "-m", "tui", "fingerprint", "-v", "-f", "-"],
        input=body,
        capture_output=True,
        env=env,
        timeout=60,
    )
    theirs = subprocess.run(["ssh-keygen", "-l", "-v", "-f", "-"], input=body, capture_output=True)
    assert (ours.returncode, ours.stdout) == (0, theirs.stdout)
