"""How hard a passphrase is to guess, as zxcvbn estimates it, in words a person can act on.

The passphrase is only handed to zxcvbn in memory: it is never logged, stored or put into the
returned value (the advice comes from zxcvbn's fixed texts, which do not quote the input).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: zxcvbn refuses longer inputs; the tail of a passphrase this long does not change the verdict.
MAX_CHECKED_LENGTH = 72
LABELS = ("very weak", "weak", "fair", "strong", "very strong")
#: A key file is attacked offline; bcrypt's KDF makes each guess slow, so this is the fair scale.
_CRACK_TIME_SCENARIO = "offline_slow_hashing_1e4_per_second"


@dataclass(frozen=True)
class Strength:
    """A verdict: ``score`` 0 (guessed at once) to 4 (very hard), a label and what to do."""

    score: int
    label: str
    advice: tuple[str, ...] = ()
    crack_time: str = ""  # e.g. "3 hours", for an offline attacker who has the file

    @property
    def acceptable(self) -> bool:
        """Strong enough to recommend without a warning (zxcvbn score 3 or more)."""
        return self.score >= 3


EMPTY = Strength(0, "empty", ("Type a passphrase: several uncommon words are easy to remember.",))
UNKNOWN = Strength(
    0, "unknown", ("The strength could not be estimated; prefer several uncommon words.",)
)


def estimate(passphrase: str, user_inputs: Iterable[str] = ()) -> Strength:
    """Score ``passphrase``; ``user_inputs`` (user name, host, comment) count as easy guesses."""
    if not passphrase:
        return EMPTY
    from zxcvbn import zxcvbn

    hints = [word for word in user_inputs if word]
    try:
        result = zxcvbn(passphrase[:MAX_CHECKED_LENGTH], user_inputs=hints)
    except Exception:  # a library bug must not become a traceback that shows the passphrase
        return UNKNOWN
    score = max(0, min(4, int(result.get("score", 0))))
    feedback = result.get("feedback") or {}
    advice: list[str] = []
    warning = feedback.get("warning") or ""
    if warning:
        advice.append(str(warning))
    advice.extend(str(s) for s in feedback.get("suggestions") or () if s)
    if not advice and score < 3:
        advice.append("Add another word or two; uncommon words are better.")
    crack = str((result.get("crack_times_display") or {}).get(_CRACK_TIME_SCENARIO, ""))
    return Strength(score, LABELS[score], tuple(advice), crack)
