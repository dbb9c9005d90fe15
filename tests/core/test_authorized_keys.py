"""The pure part of the host installer: merging a key into authorized_keys, targets, hosts files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ssh_keygen
from tui.core.connect.client import Target, parse_target
from tui.core.errors import InvalidArgument
from tui.core.keys.public import PublicKey, read_public_key_file
from tui.core.upload.authorized_keys import (
    HostResult,
    default_private_key,
    key_present,
    merge_key,
    parse_hosts_file,
    target_label,
)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[PublicKey, PublicKey]:
    directory = tmp_path_factory.mktemp("keys")
    made = []
    for name in ("a", "b"):
        path = directory / name
        ssh_keygen("-q", "-t", "ed25519", "-N", "", "-C", f"{name}@test", "-f", str(path))
        made.append(read_public_key_file(path.with_suffix(".pub")))
    return made[0], made[1]


def test_appends_to_empty_file(keys: tuple[PublicKey, PublicKey]) -> None:
    key, _ = keys
    assert merge_key(b"", key) == key.line().encode() + b"\n"


def test_keeps_existing_bytes_and_adds_missing_final_newline(
    keys: tuple[PublicKey, PublicKey],
) -> None:
    key, other = keys
    existing = b"# my hosts\r\n" + other.line().encode() + b"  trailing"
    merged = merge_key(existing, key)
    assert merged == existing + b"\n" + key.line().encode() + b"\n"


def test_no_extra_newline_when_file_ends_with_one(keys: tuple[PublicKey, PublicKey]) -> None:
    key, other = keys
    existing = other.line().encode() + b"\n"
    assert merge_key(existing, key) == existing + key.line().encode() + b"\n"


def test_same_blob_with_options_and_other_comment_is_present(
    keys: tuple[PublicKey, PublicKey],
) -> None:
    key, other = keys
    line = f'from="10.0.0.1",no-pty {key.key_type} {key.base64} another comment\n'
    content = other.line().encode() + b"\n" + line.encode()
    assert key_present(content.decode(), key)
    assert merge_key(content, key) is None


def test_other_key_is_not_present(keys: tuple[PublicKey, PublicKey]) -> None:
    key, other = keys
    assert merge_key(other.line().encode() + b"\n", key) is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("host", Target(None, "host")),
        ("root@host", Target("root", "host")),
        ("root@127.0.0.1:2222", Target("root", "127.0.0.1", 2222)),
        ("[::1]:2200", Target(None, "::1", 2200)),
        ("me@[::1]", Target("me", "::1", None)),
        ("::1", Target(None, "::1")),
    ],
)
def test_targets_as_copy_id_takes_them(text: str, expected: Target) -> None:
    assert parse_target(text) == expected
    assert parse_hosts_file(text + "\n") == [expected]


@pytest.mark.parametrize("text", ["host:0", "host:99999", "host:x", "[::1", "@host"])
def test_bad_targets_say_how_to_write_them(text: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_hosts_file(text)
    assert "\n" not in str(info.value) and "Line 1" in str(info.value)


def test_hosts_file_skips_comments_and_blank_lines() -> None:
    text = "# fleet\n\nalice@127.0.0.1:2222  # the lab\n[::1]:22\n   \nbob@localhost\n"
    assert parse_hosts_file(text) == [
        Target("alice", "127.0.0.1", 2222),
        Target(None, "::1", 22),
        Target("bob", "localhost", None),
    ]


def test_hosts_file_error_names_the_line() -> None:
    with pytest.raises(InvalidArgument, match="Line 2"):
        parse_hosts_file("good\nbad:port\n")


def test_private_key_next_to_public(tmp_path: Path) -> None:
    (tmp_path / "k.pub").write_text("x")
    assert default_private_key(tmp_path / "k.pub") is None
    (tmp_path / "k").write_text("x")
    assert default_private_key(tmp_path / "k.pub") == tmp_path / "k"


def test_result_json_fields() -> None:
    result = HostResult("h", None, 22, "failed", "Cannot connect.")
    assert result.to_json() == {
        "host": "h",
        "user": None,
        "port": 22,
        "result": "failed",
        "error": "Cannot connect.",
        "verified": None,
        "detail": None,
    }
    assert not result.has_key
    assert HostResult("h", "u", 22, "already-present").has_key


def test_labels_read_back_as_targets() -> None:
    assert target_label("::1", "me", 2222) == "me@[::1]:2222"
    assert target_label("host", None, 22) == "host:22"
    assert parse_target(target_label("::1", "me", 2222)) == Target("me", "::1", 2222)
