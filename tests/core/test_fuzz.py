"""Hypothesis: parsers meet mutated key text and random bytes; only typed errors come out."""

from __future__ import annotations

import base64
import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.keyfactory import sk_public_lines
from tui.core import openssh_format
from tui.core.errors import SshDeckError
from tui.core.generate import generate_private_key
from tui.core.keygen_listing import mprintf, public_listing, try_load_public
from tui.core.keys import parse_public_key, parse_public_keys
from tui.core.private import inspect_private_key, open_private_key

_KEY = generate_private_key("ed25519", None, "fuzz@test")
PRIVATE_TEXT = openssh_format.build(_KEY.public_blob, _KEY.entry)
PUBLIC_LINE = "ssh-ed25519 " + base64.b64encode(_KEY.public_blob).decode() + " fuzz@test"
SEEDS = [PUBLIC_LINE, PRIVATE_TEXT, *sk_public_lines().values()]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        chunk = draw(st.text(min_size=1, max_size=8))
        if action == "insert":
            text = text[:pos] + chunk + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[pos + len(chunk) :]
        elif action == "replace":
            text = text[:pos] + chunk + text[pos + len(chunk) :]
        else:
            text = text[:pos]
    return text


def _parse_all(text: str) -> None:
    for parse in (parse_public_key, parse_public_keys, inspect_private_key):
        try:
            parse(text)
        except SshDeckError as exc:
            assert str(exc) and "\n" not in str(exc)
    raw = text.encode("utf-8", errors="surrogateescape")
    public_listing(raw)  # never raises: lines that are not keys are skipped, as ssh-keygen does
    try_load_public(raw, b"name")
    assert "\x00" not in mprintf(raw)
    with contextlib.suppress(SshDeckError):
        open_private_key(text, "a passphrase")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_key_text_gives_typed_errors_only(text: str) -> None:
    _parse_all(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_give_typed_errors_only(data: bytes) -> None:
    _parse_all(data.decode("latin-1"))
    _parse_all("ssh-ed25519 " + base64.b64encode(data).decode())
    armored = openssh_format.armor(openssh_format.MAGIC + data)
    _parse_all(armored)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=mutated())
def test_cli_on_mutated_files_exits_0_or_1_with_one_sentence(
    tmp_path_factory: object, text: str
) -> None:
    import io
    import tempfile
    from pathlib import Path

    from tui.__main__ import main

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "key"
        path.write_text(text)
        for argv in (
            ["fingerprint", "-v", "-f", str(path)],
            ["pub", "-f", str(path), "-P", "x"],
            ["comment", "-f", str(path), "-C", "c", "-P", "x"],
            ["passwd", "-f", str(path), "-P", "x", "-N", "new passphrase", "-a", "1"],
            ["list", "--json", "--dir", tmp],
        ):
            err = io.StringIO()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                code = main(argv)
            assert code in (0, 1)
            if code == 1:
                assert len(err.getvalue().strip().splitlines()) == 1
