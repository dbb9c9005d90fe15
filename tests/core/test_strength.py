"""The passphrase strength wrapper: scores, labels and advice from zxcvbn, never the passphrase."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.core.keys.strength import EMPTY, LABELS, MAX_CHECKED_LENGTH, UNKNOWN, estimate


def test_empty_passphrase_is_empty_with_advice() -> None:
    assert estimate("") is EMPTY
    assert EMPTY.score == 0 and EMPTY.label == "empty" and EMPTY.advice
    assert not EMPTY.acceptable


@pytest.mark.parametrize("weak", ["password", "123456", "qwerty", "aaaa"])
def test_common_passwords_are_weak_and_say_why(weak: str) -> None:
    verdict = estimate(weak)
    assert verdict.score <= 1
    assert verdict.label in ("very weak", "weak")
    assert verdict.advice, "a weak passphrase must come with advice"
    assert not verdict.acceptable


def test_long_uncommon_passphrase_is_very_strong() -> None:
    verdict = estimate("quartz lantern obliquely marmalade")
    assert verdict.score == 4
    assert verdict.label == "very strong"
    assert verdict.acceptable
    assert verdict.crack_time


def test_user_inputs_count_as_easy_guesses() -> None:
    alone = estimate("zorbatron1")
    with_hint = estimate("zorbatron1", user_inputs=["zorbatron"])
    assert with_hint.score <= alone.score
    assert with_hint.score <= 1


def test_overlong_passphrase_is_checked_not_refused() -> None:
    verdict = estimate("Tq8!vz" * 40)
    assert len("Tq8!vz" * 40) > MAX_CHECKED_LENGTH
    assert verdict.label in LABELS


def test_passphrase_never_reaches_logs_or_the_verdict(caplog: pytest.LogCaptureFixture) -> None:
    secret = "wobbly-giraffe-secret-42"
    with caplog.at_level(logging.DEBUG):
        verdict = estimate(secret, user_inputs=["me", "host"])
    assert secret not in caplog.text
    assert secret not in repr(verdict)
    assert all("giraffe" not in line for line in verdict.advice)


def test_a_failing_estimator_gives_unknown_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import zxcvbn

    def broken(password: str, user_inputs: list[str] | None = None) -> dict[str, object]:
        raise ValueError("boom")

    monkeypatch.setattr(zxcvbn, "zxcvbn", broken)
    assert estimate("anything at all") is UNKNOWN


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=120))
def test_any_text_gives_a_bounded_score(text: str) -> None:
    verdict = estimate(text)
    assert 0 <= verdict.score <= 4
    assert verdict.label in (*LABELS, "empty", "unknown")
    assert all(isinstance(line, str) and line for line in verdict.advice)
