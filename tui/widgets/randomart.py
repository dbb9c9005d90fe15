"""A key's randomart picture with its fingerprint line, exactly as ssh-keygen prints them."""

from __future__ import annotations

from typing import Literal

from textual.content import Content
from textual.widgets import Static

from tui.core.keys.public import PublicKey
from tui.core.text import visible

#: "list" is ``ssh-keygen -l -v`` (``BITS FINGERPRINT COMMENT (TYPE)`` then the picture);
#: "generated" is what ``ssh-keygen`` prints right after making a key.
ArtStyle = Literal["list", "generated"]


def randomart_text(public: PublicKey, hash_name: str = "sha256", style: ArtStyle = "list") -> str:
    """The text ssh-keygen prints for ``public`` (no trailing newline); as ssh-keygen does, the
    comment's control characters are shown as octal escapes (``\\033``)."""
    comment = visible(public.comment)
    if style == "generated":
        return "\n".join(
            (
                "The key fingerprint is:",
                f"{public.fingerprint(hash_name)} {comment}",
                "The key's randomart image is:",
                public.randomart(hash_name),
            )
        )
    line = public.keygen_line(hash_name, comment=comment)
    return visible(line) + "\n" + public.randomart(hash_name)


class RandomArt(Static):
    """Displays one key's art; ``show_key(None)`` clears it. Comments are shown as plain text
    with visible escapes, never as markup."""

    DEFAULT_CSS = """
    RandomArt { height: auto; width: auto; }
    """

    def __init__(
        self,
        public: PublicKey | None = None,
        hash_name: str = "sha256",
        style: ArtStyle = "list",
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes, markup=False)
        self.art_style: ArtStyle = style
        self.show_key(public, hash_name)

    def show_key(self, public: PublicKey | None, hash_name: str = "sha256") -> None:
        self.public = public
        self.hash_name = hash_name
        text = "" if public is None else randomart_text(public, hash_name, self.art_style)
        # Content, not markup: a comment such as "[b]me" must appear as typed.
        self.update(Content(text))
