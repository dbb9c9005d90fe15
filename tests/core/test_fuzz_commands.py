"""Hypothesis per key command: hostile files, passphrases, comments and flags reach the CLI's
``main`` (the same code path as the ``sshdeck`` process, stdout/stderr captured). Whatever comes
in: the exit code is 0, 1 or 2; a failure is one line on stderr, never a traceback; a failed
command changes no file; no temporary is left behind and no private file is wider than 0600.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.agent import running_agent
from tests.keyfactory import sk_public_lines
from tui.__main__ import main
from tui.core.keys import openssh_format, wire
from tui.core.keys.generate import generate_private_key
from tui.core.keys.pairwrite import is_leftover_name
from tui.core.keys.public import MAX_FILE_SIZE

_KEY = generate_private_key("ed25519", None, "fuzz@test")
PLAIN = openssh_format.build(_KEY.public_blob, _KEY.entry)
ENCRYPTED = openssh_format.build(_KEY.public_blob, _KEY.entry, "right", 1)
PUBLIC = "ssh-ed25519 " + base64.b64encode(_KEY.public_blob).decode() + " fuzz@test\n"


def _odd_kdf(salt: bytes, rounds: int) -> str:
    """The encrypted key with its bcrypt salt and rounds replaced."""
    data = openssh_format.unarmor(ENCRYPTED)
    reader = wire.WireReader(data, len(openssh_format.MAGIC))
    reader.string(), reader.string()
    start = reader.pos
    reader.string()
    return openssh_format.armor(
        data[:start] + wire.string(wire.string(salt) + wire.uint32(rounds)) + data[reader.pos :]
    )


def _pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"right"),
    ).decode()


SEEDS = [PLAIN, ENCRYPTED, PUBLIC, _odd_kdf(b"", 16), _odd_kdf(b"salt", 0), _pem()]
SEEDS += list(sk_public_lines().values())
HOSTILE = ["\x1b]52;c;cm0gLXJmIH4=\x07", "\u202e", "\x9b31m", "[/]", "[link=x]", "\x00", "\udc96"]
COUNTS: dict[tuple[str, object], int] = {}


@st.composite
def contents(draw: st.DrawFn) -> bytes:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3]))):
        pos = draw(st.integers(0, len(text)))
        chunk = draw(st.one_of(st.text(max_size=6), st.sampled_from(HOSTILE)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "dup", "bom"]))
        if action == "insert":
            text = text[:pos] + chunk + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[pos + len(chunk) + 1 :]
        elif action == "replace":
            text = text[:pos] + chunk + text[pos + len(chunk) :]
        elif action == "truncate":
            text = text[:pos]
        elif action == "dup":
            text = text + text
        else:
            text = "\ufeff" + text
    return text.encode("utf-8", "surrogateescape")


KINDS = ["file"] * 8 + ["open-mode", "missing", "dir", "fifo", "dev-zero", "big"]


@st.composite
def key_dirs(draw: st.DrawFn) -> dict[str, object]:
    return {
        "kind": draw(st.sampled_from(KINDS)),
        "data": draw(contents()),
        "pub": draw(st.sampled_from(["match", "match", "match", "none", "mutated", "dir"])),
        "pub_data": draw(contents()),
    }


def _build(directory: Path, spec: dict[str, object]) -> Path:
    key = directory / "k"
    kind = spec["kind"]
    if kind in ("file", "open-mode"):
        key.write_bytes(spec["data"])  # type: ignore[arg-type]
        key.chmod(0o644 if kind == "open-mode" else 0o600)
    elif kind == "dir":
        key.mkdir()
    elif kind == "fifo":
        os.mkfifo(key)
    elif kind == "dev-zero":
        key.symlink_to("/dev/zero")
    elif kind == "big":
        with open(key, "wb") as handle:
            handle.write(PLAIN.encode())
            handle.truncate(MAX_FILE_SIZE + 1)
    pub = directory / "k.pub"
    if spec["pub"] == "match":
        pub.write_text(PUBLIC)
    elif spec["pub"] == "mutated":
        pub.write_bytes(spec["pub_data"])  # type: ignore[arg-type]
    elif spec["pub"] == "dir":
        pub.mkdir()
    return key


def _snapshot(directory: Path) -> dict[str, tuple[int, bytes]]:
    out = {}
    for path in sorted(directory.iterdir()):
        st_ = path.lstat()
        data = b""
        if stat.S_ISREG(st_.st_mode):
            data = path.read_bytes()
        elif stat.S_ISLNK(st_.st_mode):
            data = os.readlink(path).encode()
        out[path.name] = (st_.st_mode, data)
    return out


def run(argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def check(command: str, spec: dict[str, object], argv_for, stdin: bytes = b"") -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        key = _build(directory, spec)
        before = _snapshot(directory)
        code, _out, err = run(argv_for(key, directory), stdin)
        COUNTS[(command, code)] = COUNTS.get((command, code), 0) + 1
        if os.environ.get("FUZZ_DEBUG") and code:
            print(command, code, err.strip()[:150])
        assert code in (0, 1, 2), (code, err)
        assert "Traceback" not in err
        if code == 1:
            lines = err.strip().splitlines()
            assert len(lines) == 1, err
            assert "\x1b" not in err and "\x9b" not in err  # shown through visible()
        if code != 0:
            assert _snapshot(directory) == before, "a failed command changed a file"
        after = _snapshot(directory)
        assert not [n for n in after if is_leftover_name(n)], after
        mode, data = after.get("k", (0, b""))
        if stat.S_ISREG(mode) and before.get("k", (0, b""))[1] != data:  # written by sshdeck
            assert not mode & 0o077, f"k written with mode {mode:o}"


PASSPHRASES = st.one_of(st.sampled_from(["", "right", "right", "wrong"]), st.text(max_size=8))
COMMENTS = st.one_of(
    st.text(st.characters(categories=["L", "N", "P", "Zs"]), max_size=12),
    st.text(max_size=12),
    st.sampled_from(HOSTILE),
)
SETTINGS = settings(
    max_examples=70,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)


def _secret_args(flag: str, value: str | None, via_stdin: bool) -> tuple[list[str], bytes]:
    if value is None:
        return [], b""
    if via_stdin:
        return ["--passphrase-stdin"], value.encode("utf-8", "surrogateescape") + b"\n"
    return [flag, value], b""


@SETTINGS
@given(spec=key_dirs(), visual=st.booleans(), hash_name=st.sampled_from(["sha256", "md5", "sha1"]))
def test_fuzz_fingerprint(spec: dict[str, object], visual: bool, hash_name: str) -> None:
    extra = ["-v"] if visual else []
    check("fingerprint", spec, lambda k, d: ["fingerprint", *extra, "-E", hash_name, "-f", str(k)])


@SETTINGS
@given(spec=key_dirs(), as_json=st.booleans())
def test_fuzz_list(spec: dict[str, object], as_json: bool) -> None:
    extra = ["--json"] if as_json else []
    check("list", spec, lambda k, d: ["list", *extra, "--dir", str(d)])


@SETTINGS
@given(
    spec=key_dirs(),
    key_type=st.sampled_from(["ed25519", "ed25519", "ed25519", "ecdsa", "dsa", "rsa", "nonsense"]),
    bits=st.sampled_from([None, None, 256, 1024, 100000]),
    comment=st.one_of(st.none(), COMMENTS),
    passphrase=PASSPHRASES,
    via_stdin=st.booleans(),
    rounds=st.sampled_from([1, 1, 2, -1, 0, 10**9]),
    force=st.sampled_from([True, True, False]),
)
def test_fuzz_keygen(
    spec: dict[str, object],
    key_type: str,
    bits: int | None,
    comment: str | None,
    passphrase: str,
    via_stdin: bool,
    rounds: int,
    force: bool,
) -> None:
    if key_type == "rsa":
        bits = 1024  # refused before generating: a fuzz test must not wait for RSA primes
    secret, stdin = _secret_args("-N", passphrase, via_stdin)
    argv = ["keygen", "-t", key_type, "-a", str(rounds), *secret]
    argv += ["-b", str(bits)] if bits else []
    argv += ["-C", comment] if comment is not None else []
    argv += ["--force"] if force else []
    check("keygen", spec, lambda k, d: [*argv, "-f", str(k)], stdin)


@SETTINGS
@given(
    spec=key_dirs(),
    old=st.one_of(st.none(), PASSPHRASES),
    new=st.one_of(st.none(), PASSPHRASES),
    rounds=st.sampled_from([None, None, 1, 0, 10**9]),
    via_stdin=st.booleans(),
)
def test_fuzz_passwd(
    spec: dict[str, object], old: str | None, new: str | None, rounds: int | None, via_stdin: bool
) -> None:
    argv = ["passwd"]
    stdin = b""
    if via_stdin:
        argv.append("--passphrase-stdin")
        stdin = "".join(f"{v}\n" for v in (old, new) if v is not None).encode(
            "utf-8", "surrogateescape"
        )
    else:
        argv += ["-P", old] if old is not None else []
        argv += ["-N", new] if new is not None else []
    argv += ["-a", str(rounds)] if rounds is not None else []
    check("passwd", spec, lambda k, d: [*argv, "-f", str(k)], stdin)


@SETTINGS
@given(
    spec=key_dirs(),
    comment=COMMENTS,
    passphrase=st.one_of(st.none(), PASSPHRASES),
    via_stdin=st.booleans(),
)
def test_fuzz_comment(
    spec: dict[str, object], comment: str, passphrase: str | None, via_stdin: bool
) -> None:
    secret, stdin = _secret_args("-P", passphrase, via_stdin)
    check("comment", spec, lambda k, d: ["comment", "-C", comment, *secret, "-f", str(k)], stdin)


@SETTINGS
@given(
    spec=key_dirs(),
    passphrase=st.one_of(st.none(), PASSPHRASES),
    via_stdin=st.booleans(),
    write=st.sampled_from([[], ["--write"], ["--write", "--force"]]),
)
def test_fuzz_pub(
    spec: dict[str, object], passphrase: str | None, via_stdin: bool, write: list[str]
) -> None:
    secret, stdin = _secret_args("-P", passphrase, via_stdin)
    check("pub", spec, lambda k, d: ["pub", *secret, *write, "-f", str(k)], stdin)


@pytest.fixture(scope="module")
def agent_socket() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp, running_agent(Path(tmp) / "agent.sock"):
        yield str(Path(tmp) / "agent.sock")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(
    spec=key_dirs(),
    passphrase=st.one_of(st.none(), PASSPHRASES),
    via_stdin=st.booleans(),
    action=st.sampled_from(["add", "add", "remove"]),
)
def test_fuzz_agent(
    agent_socket: str,
    monkeypatch: pytest.MonkeyPatch,
    spec: dict[str, object],
    passphrase: str | None,
    via_stdin: bool,
    action: str,
) -> None:
    monkeypatch.setenv("SSH_AUTH_SOCK", agent_socket)
    secret, stdin = _secret_args("-P", passphrase, via_stdin)
    if action == "remove":
        secret, stdin = [], b""
    check("agent " + action, spec, lambda k, d: ["agent", action, *secret, "-f", str(k)], stdin)


def test_fuzz_reached_both_outcomes() -> None:
    """The fuzz inputs above made each command both succeed and fail (run with the module)."""
    if not COUNTS:
        pytest.skip("run together with the fuzz tests of this module")
    print(f"\nfuzz exit codes: {dict(sorted(COUNTS.items(), key=str))}")
    for command in ("fingerprint", "keygen", "passwd", "comment", "pub", "agent add"):
        assert COUNTS.get((command, 0)), f"{command} never succeeded"
        assert COUNTS.get((command, 1)), f"{command} never failed"
