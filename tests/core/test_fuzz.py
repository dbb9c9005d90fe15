"""Hypothesis: parsers meet mutated key text and random bytes; only typed errors come out."""

from __future__ import annotations

import base64
import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.keyfactory import sk_public_lines
from tui.core.errors import SshDeckError
from tui.core.keys import openssh_format
from tui.core.keys.generate import generate_private_key
from tui.core.keys.keygen_listing import mprintf, public_listing, try_load_public
from tui.core.keys.private import inspect_private_key, open_private_key
from tui.core.keys.public import parse_public_key, parse_public_keys

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
