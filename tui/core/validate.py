"""The one check of a key comment and of a key file name, for the wizard, the dialogs and the CLI.

``*_problem`` returns the sentence to show (or None); ``validate_*`` raises it as
:class:`~tui.core.errors.InvalidArgument`.
"""

from __future__ import annotations

import unicodedata

from tui.core.errors import InvalidArgument
from tui.core.text import is_safe

MAX_COMMENT_LENGTH = 1000
MAX_FILE_NAME_BYTES = 200
#: Files OpenSSH keeps in ~/.ssh for other purposes: a key must not take their name.
RESERVED_NAMES = frozenset(
    {"authorized_keys", "authorized_keys2", "known_hosts", "known_hosts.old", "config",
     "environment", "rc"}
)  # fmt: skip


def comment_problem(comment: str) -> str | None:
    """Why ``comment`` cannot be a key comment, as one sentence, or None.

    A comment ends the ``.pub`` line and is shown in terminals: line breaks, control
    characters (ESC, C1), bidi overrides and other invisible characters are refused.
    """
    if "\n" in comment or "\r" in comment:
        return "A comment must fit on one line; remove the line break from it."
    if not is_safe(comment):
        return (
            "A comment cannot contain control characters or invisible formatting characters; "
            "type plain text."
        )
    if len(comment) > MAX_COMMENT_LENGTH:
        return f"That comment is too long; keep it under {MAX_COMMENT_LENGTH} characters."
    return None


def validate_comment(comment: str) -> None:
    problem = comment_problem(comment)
    if problem is not None:
        raise InvalidArgument(problem)


def key_file_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a key file name in the key folder, as one sentence, or None."""
    if not name:
        return "Type a file name, for example id_ed25519."
    if "/" in name:
        return "Type a file name only, without '/'; the key goes in the folder shown above."
    if name in (".", ".."):
        return f"'{name}' is not a file name; choose another name."
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in name) or not (
        is_safe(name)
    ):
        return (
            "File names with spaces or control characters break ssh commands; "
            "use letters, digits, '-', '_' or '.'."
        )
    if name.startswith("-"):
        return (
            "A file name starting with '-' would be read as an option by ssh; choose another name."
        )
    if name.endswith(".pub"):
        return "'.pub' is added for the public key; type the name without it."
    if name in RESERVED_NAMES:
        return f"{name} is used by OpenSSH for something else; choose another name."
    if len(name.encode("utf-8", "surrogateescape")) > MAX_FILE_NAME_BYTES:
        return f"That file name is too long; keep it under {MAX_FILE_NAME_BYTES} characters."
    return None


def validate_key_file_name(name: str) -> None:
    problem = key_file_name_problem(name)
    if problem is not None:
        raise InvalidArgument(problem)
