"""The one function that shows untrusted text: what reaches a terminal is never a control code."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.core.text import visible, visible_bytes


def test_escape_and_osc52_become_octal_as_openssh_prints_them() -> None:
    hostile = "me\x1b]52;c;cm0gLXJmIH4=\x1b\\ \x07bell\rcr"
    assert visible(hostile) == "me\\033]52;c;cm0gLXJmIH4=\\033\\ \\007bell\\015cr"


def test_c1_bidi_and_separators_are_escaped_as_utf8_bytes() -> None:
    assert visible("a\u009bb") == "a\\302\\233b"
    assert visible("evil\u202etxt.exe") == "evil\\342\\200\\256txt.exe"
    assert visible("x\u2028y") == "x\\342\\200\\250y"
    assert visible("zero\u200bwidth") == "zero\\342\\200\\213width"


def test_printable_text_passes_unchanged() -> None:
    for text in ["alice@laptop", "[/] [link=x] [@click=app.quit]", "back\\slash", "café ключ 鍵"]:
        assert visible(text) == text


def test_newlines_and_tabs_kept_only_for_multiline_text() -> None:
    assert visible("a\nb\tc") == "a\\012b\\011c"
    assert visible("a\nb\tc\x1b", multiline=True) == "a\nb\tc\\033"


def test_undecodable_bytes_show_as_ssh_keygen_prints_them() -> None:
    assert visible_bytes(b"caf\x96") == "caf\\226"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_nothing_unsafe_survives(text: str) -> None:
    shown = visible(text)
    for ch in shown:
        code = ord(ch)
        assert code >= 0x20 and code != 0x7F and not 0x80 <= code <= 0x9F
        assert not 0x202A <= code <= 0x202E and not 0x2066 <= code <= 0x2069
    assert visible(shown) == shown  # idempotent: escaping twice shows the same
